package registry

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/uactor-go/uactor/internal/addr"
)

// SRV is a Source that finds actors through DNS SRV records, as Kubernetes
// headless Services and Consul publish them: Name is the full record name,
// "_service._tcp.domain". Every target of the answer is an actor at
// "tcp://<target's address>:<port>", in the answer's order of preference
// (lowest priority first, then shuffled by weight, RFC 2782).
//
// The target names are resolved with the same Resolver, so that a
// Resolver that reaches a private DNS server resolves its names too; the
// first address of each target is used; a record with port 0 names no
// actor, and is left out, as is a target without an address. A name with
// no records (NXDOMAIN, or an empty answer) lists no actors; a record whose
// target is not a host name is left out, unless no actor is left, which is
// an error wrapping the resolver's, as other DNS failures are. A Name that
// is empty, or no DNS name, is an error too, and no DNS server is asked.
type SRV struct {
	Name     string        // the record's full name, "_service._tcp.domain"
	Resolver *net.Resolver // nil: net.DefaultResolver
}

// Lookup queries Name's SRV records and resolves their targets.
func (s SRV) Lookup(ctx context.Context) (Addresses, error) {
	r := s.Resolver
	if r == nil {
		r = net.DefaultResolver
	}
	// The resolver answers "no such host" for what is no name, which
	// would read as a name with no records: an unset Name, say, is a
	// mistake to report, not a service without actors.
	if !addr.HostName(s.Name) {
		return nil, fmt.Errorf("registry: SRV %q: want a DNS name: labels of 1 to 63 letters, digits, '-' and '_', "+
			"joined by '.'", s.Name)
	}
	_, srvs, err := r.LookupSRV(ctx, "", "", s.Name)
	if notFound(err) {
		return nil, nil
	}
	// Records whose target is no host name come back as an error beside
	// the valid ones, which still serve.
	if err != nil && len(srvs) == 0 {
		return nil, fmt.Errorf("registry: SRV %s: %w", s.Name, err)
	}
	malformed := err // if not nil: records were left out
	out := make(Addresses, 0, len(srvs))
	seen := map[string]bool{}
	for _, rec := range srvs {
		host := strings.TrimSuffix(rec.Target, ".")
		if host == "" || rec.Port == 0 { // "." means: no such service here (RFC 2782); no actor listens on port 0
			continue
		}
		ips, err := r.LookupNetIP(ctx, "ip", host)
		if notFound(err) {
			continue // a target without an address is no actor to reach
		}
		if err != nil {
			return nil, fmt.Errorf("registry: SRV %s: target %s: %w", s.Name, host, err)
		}
		if len(ips) == 0 {
			continue
		}
		a := "tcp://" + net.JoinHostPort(ips[0].Unmap().String(), strconv.Itoa(int(rec.Port)))
		if !seen[a] {
			seen[a] = true
			out = append(out, a)
		}
	}
	// With no actor left, the malformed records are all there was to
	// read: an empty list would say that the name lists no actors.
	if malformed != nil && len(out) == 0 {
		return nil, fmt.Errorf("registry: SRV %s: no record names an actor: %w", s.Name, malformed)
	}
	return out, nil
}

func notFound(err error) bool {
	var dns *net.DNSError
	return errors.As(err, &dns) && dns.IsNotFound
}
