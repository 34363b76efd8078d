// Package advertise chooses the address that the example programs' actors
// put in the refs they hand out, so that what they print and register is an
// address other hosts can dial, whenever this host can know one.
package advertise

import (
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"

	"github.com/uactor-go/uactor/internal/addr"
)

// For returns the Advertise option's address for an actor that listens on
// listen ("tcp://host:port", or a Unix socket), given the -advertise flag's
// value.
//
//   - A flag naming a host ("10.0.0.5") or an address ("tcp://10.0.0.5:0")
//     is used as it is: port 0, or no port, stands for the bound port.
//   - Otherwise, if listen is a Unix socket, "": no other host dials it, so
//     there is nothing to advertise, nor to warn about.
//   - Otherwise, if listen names a specific host, refs name it already: ""
//     (no Advertise).
//   - Otherwise (listening on every interface) this host's address, if it
//     has exactly one that is up and not loopback; and if it has none or
//     several, "" with ok false: no address is known that other hosts reach.
func For(flag, listen string) (spec string, ok bool) {
	if flag != "" {
		rest, isTCP := strings.CutPrefix(flag, "tcp://")
		if !isTCP && strings.Contains(flag, "://") {
			return flag, true // another scheme: Advertise judges it
		}
		if host, port, err := net.SplitHostPort(rest); err == nil {
			if port == "" { // "10.0.0.5:": no port, as in "10.0.0.5"
				port = "0"
			}
			return "tcp://" + net.JoinHostPort(host, port), true
		}
		host := strings.TrimSuffix(strings.TrimPrefix(rest, "["), "]") // "[::1]" as well as "::1"
		return "tcp://" + net.JoinHostPort(host, "0"), true
	}
	// Read as Listen reads it: a bare "host:port" is TCP too.
	l, err := addr.Parse(listen)
	if err != nil || l.Network != "tcp" {
		return "", true // a Unix socket (refs name it, and no other host dials it), or Listen's to refuse
	}
	host, _, _ := net.SplitHostPort(l.Target) // Parse checked it
	if ip, err := netip.ParseAddr(host); host != "" && (err != nil || !ip.Unmap().IsUnspecified()) {
		return "", true
	}
	a, err := only()
	if err != nil {
		return "", false
	}
	return "tcp://" + net.JoinHostPort(a.String(), "0"), true
}

// Spec is For in the command prog, which prints the address its actor
// advertises. When no address is known it says so on standard error, since
// other hosts then cannot dial what prog prints, and returns "".
func Spec(prog, flag, listen string) string {
	spec, ok := For(flag, listen)
	if !ok {
		fmt.Fprintf(os.Stderr, "%s: this host's address is not known: other hosts cannot dial what is printed; give -advertise\n", prog)
	}
	return spec
}

// only returns this host's one IPv4 address that is up and not loopback.
func only() (netip.Addr, error) {
	ifs, err := net.Interfaces()
	if err != nil {
		return netip.Addr{}, err
	}
	links := make([]link, 0, len(ifs))
	for _, ifc := range ifs {
		l := link{flags: ifc.Flags}
		addrs, _ := ifc.Addrs()
		for _, a := range addrs {
			l.addrs = append(l.addrs, a.String())
		}
		links = append(links, l)
	}
	return theOne(links)
}

// link is what theOne needs to know of a network interface: its flags, and
// its addresses in CIDR notation.
type link struct {
	flags net.Flags
	addrs []string
}

// theOne returns the one global unicast IPv4 address of the links that are
// up and not loopback, or an error if there are none or several.
func theOne(links []link) (netip.Addr, error) {
	var found []netip.Addr
	for _, l := range links {
		if l.flags&net.FlagUp == 0 || l.flags&net.FlagLoopback != 0 {
			continue
		}
		for _, a := range l.addrs {
			if p, err := netip.ParsePrefix(a); err == nil && p.Addr().Is4() && p.Addr().IsGlobalUnicast() {
				found = append(found, p.Addr())
			}
		}
	}
	if len(found) != 1 {
		return netip.Addr{}, fmt.Errorf("%d candidate addresses", len(found))
	}
	return found[0], nil
}
