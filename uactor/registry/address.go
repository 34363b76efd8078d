package registry

import (
	"fmt"
	"net"
	"net/netip"
	"path/filepath"
	"strconv"
	"strings"
)

// maxAddressLen bounds one registered address.
const maxAddressLen = 1024

// entry is one registered actor: its canonical address and how to dial it.
type entry struct {
	addr    string // canonical: "tcp://host:port" or "unix:///path"
	network string // "tcp" or "unix"
	target  string // host:port, or the socket's path
	strikes int    // failed checks in a row (see judge)
}

// parseEntry checks that s is an actor address and puts it in canonical
// form, so that one actor registered twice under two spellings is one
// entry: "host:port" becomes "tcp://host:port", IP literals and ports are
// written the standard way, host names in lower case, and paths cleaned.
func parseEntry(s string) (entry, error) {
	bad := func(why string) (entry, error) {
		if len(s) > 64 {
			s = s[:64] + "…"
		}
		return entry{}, fmt.Errorf("%w: %q: %s", ErrBadAddress, s, why)
	}
	if len(s) > maxAddressLen {
		return bad(fmt.Sprintf("longer than %d bytes", maxAddressLen))
	}
	rest := s
	switch {
	case strings.HasPrefix(s, "unix://"):
		p := strings.TrimPrefix(s, "unix://")
		switch {
		case strings.HasPrefix(p, "@") && len(p) > 1: // Linux abstract socket
		case filepath.IsAbs(p):
			p = filepath.Clean(p)
		default:
			return bad("want an absolute socket path")
		}
		return entry{addr: "unix://" + p, network: "unix", target: p}, nil
	case strings.HasPrefix(s, "tcp://"):
		rest = strings.TrimPrefix(s, "tcp://")
	case strings.Contains(s, "://"):
		return bad("unknown scheme (want tcp:// or unix://)")
	}
	host, port, err := net.SplitHostPort(rest)
	if err != nil {
		return bad(err.Error())
	}
	n, err := strconv.ParseUint(port, 10, 16)
	if err != nil || n == 0 {
		return bad("want a port from 1 to 65535")
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		host = ip.String()
	} else {
		host = strings.ToLower(host)
	}
	if host == "" {
		return bad("no host")
	}
	target := net.JoinHostPort(host, strconv.FormatUint(n, 10))
	return entry{addr: "tcp://" + target, network: "tcp", target: target}, nil
}
