// Package addr parses actor addresses: the one place that says what
// "unix:///path", "tcp://host:port" and a bare "host:port" mean, for the
// uactor package (which dials and listens) and the registry (which keeps
// addresses in a canonical form); and Captures, which reaches some
// addresses at others.
package addr

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"path/filepath"
	"strconv"
	"strings"
)

// MaxLen bounds the length of an address accepted by Canonical, as given
// and in canonical form.
const MaxLen = 1024

// Addr is an actor address.
type Addr struct {
	Network string // "unix" or "tcp"
	Target  string // the socket's path, or host:port
}

// String returns the address as refs and registries carry it: "unix://path"
// or "tcp://host:port".
func (a Addr) String() string { return a.Network + "://" + a.Target }

// Parse accepts "unix://path", "tcp://host:port" and a bare "host:port"
// (TCP), the port a number from 0 to 65535 (0: any, to listen). It checks
// only what dialling needs; Canonical checks the rest.
func Parse(s string) (Addr, error) {
	rest := s
	switch {
	case strings.HasPrefix(s, "unix://"):
		p := strings.TrimPrefix(s, "unix://")
		switch {
		case p == "":
			return Addr{}, errors.New("empty socket path")
		case strings.IndexByte(p, 0) >= 0:
			// The system would end the path at the NUL: bound or dialled,
			// the socket is another than the address names.
			return Addr{}, errors.New("socket path holds a NUL byte")
		}
		return Addr{"unix", p}, nil
	case strings.HasPrefix(s, "tcp://"):
		rest = strings.TrimPrefix(s, "tcp://")
	case strings.Contains(s, "://"):
		return Addr{}, errors.New("unknown scheme (want unix:// or tcp://)")
	}
	host, port, err := net.SplitHostPort(rest)
	if err != nil {
		return Addr{}, err
	}
	// A port that is no number ("unix:/tmp/a.sock" reads as host "unix",
	// port "/tmp/a.sock"), or none ("h:"), would fail only later, where
	// it is dialled, or listen on a port that refs do not name.
	n, err := strconv.ParseUint(port, 10, 16)
	if err != nil {
		return Addr{}, fmt.Errorf("port %q: want a number from 0 to 65535", port)
	}
	// The port in decimal, so that "00" is "0" (any port) wherever a
	// port is compared; only a port with leading zeros is written anew,
	// so that the usual address costs no new string.
	if len(port) > 1 && port[0] == '0' {
		rest = net.JoinHostPort(host, strconv.FormatUint(n, 10))
	}
	return Addr{"tcp", rest}, nil
}

// Canonical parses s as Parse does and puts it in canonical form, so that
// one actor written two ways is one address: socket paths absolute (or
// Linux abstract, "@name") and cleaned (a ".." after a symbolic link on
// this host climbing out of its target, as the system reads it), ports
// from 1 to 65535, IP literals written the standard way, host names in
// lower case (and refused if they hold a byte that no host name has).
func Canonical(s string) (Addr, error) {
	if len(s) > MaxLen {
		return Addr{}, fmt.Errorf("longer than %d bytes", MaxLen)
	}
	a, err := Parse(s)
	if err != nil {
		return Addr{}, err
	}
	if a.Network == "unix" {
		switch p := a.Target; {
		case strings.HasPrefix(p, "@") && len(p) > 1:
		case filepath.IsAbs(p):
			a.Target = cleanSocket(p)
		default:
			return Addr{}, errors.New("want an absolute socket path")
		}
		return a, nil
	}
	host, port, _ := net.SplitHostPort(a.Target) // Parse checked it
	n, err := strconv.ParseUint(port, 10, 16)
	if err != nil || n == 0 {
		return Addr{}, errors.New("want a port from 1 to 65535")
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		// An IPv4-mapped IPv6 address (::ffff:1.2.3.4) is its IPv4
		// address: the standard library dials and listens on it as such.
		host = ip.Unmap().String()
	} else {
		for i := 0; i < len(host); i++ {
			switch c := host[i]; {
			case c >= 0x80: // lower-casing would rewrite it, and could lengthen it
				return Addr{}, errors.New("want an ASCII host name (IDNs in their xn-- form)")
			case !hostByte(c):
				// No host name holds it (a space, a slash, a NUL, a zone
				// without its IP): no actor listens there, and the
				// resolver would only say that no such host exists.
				return Addr{}, errors.New("want an IP address, or a host name of letters, digits, '-', '_' and '.'")
			}
		}
		host = strings.ToLower(host)
	}
	if host == "" {
		return Addr{}, errors.New("no host")
	}
	a.Target = net.JoinHostPort(host, strconv.FormatUint(n, 10))
	// A bare "host:port" gains its scheme: the canonical form must be
	// accepted again, as refs and registries carry it.
	if len(a.String()) > MaxLen {
		return Addr{}, fmt.Errorf("longer than %d bytes with its scheme", MaxLen)
	}
	return a, nil
}

// HostName reports whether s is a DNS name as the resolver reads one: not
// empty, of bytes that hostByte allows, in labels of 1 to 63 bytes that
// neither begin nor end with '-', at most 253 bytes (254 with the root's
// dot), and not all digits. The resolver answers "no such host" for
// anything else, as for a name with no records, without asking a server.
func HostName(s string) bool {
	if s == "." {
		return true
	}
	if n := len(s); n == 0 || n > 254 || n == 254 && s[n-1] != '.' {
		return false
	}
	label, digitsOnly := 0, true
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case !hostByte(c):
			return false
		case c == '.':
			if label == 0 || label > 63 || s[i-1] == '-' {
				return false
			}
			label = 0
		case c == '-' && label == 0:
			return false
		default:
			label++
			digitsOnly = digitsOnly && '0' <= c && c <= '9'
		}
	}
	return label <= 63 && s[len(s)-1] != '-' && !digitsOnly
}

// hostByte reports whether c may stand in a host name: a letter, a digit,
// '-', '_' (which the resolver accepts, as DNS SRV names have it) or '.'.
func hostByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.'
}
