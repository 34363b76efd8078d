package uactor_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/uactor-go/uactor/internal/netns"
	"github.com/uactor-go/uactor/uactor"
)

// BenchmarkLinkCompression measures echo calls of 64 KiB of JSON between
// two hosts joined by a 100 Mbit/s link with a 20 ms round trip, with both
// ends sending plain frames, and with both ends at Compression(4096); one
// caller at a time, and eight at once on one connection. The echo actor
// is hosted in host A (in this process, listening in A's namespace); the
// caller is this test binary run again in host B. The figure is the
// caller's calls/s, timed in the caller once connected (ns/op includes
// starting it, so read calls/s).
//
//	go test -run '^$' -bench LinkCompression -benchtime 40x .
func BenchmarkLinkCompression(b *testing.B) {
	const size = 64 << 10
	nw := netns.New(b, 2, netns.Link{Delay: 10 * time.Millisecond, Rate: 100_000_000})
	a, host := nw.Hosts[0], nw.Hosts[1]
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addrs := map[int]string{}
	for _, compress := range []int{0, 4096} {
		var ref uactor.Ref[echoer]
		err := a.Do(func() (err error) {
			ref, err = uactor.Host(ctx, echoKind, echoer{}, uactor.AuthKey(linkKey),
				uactor.Listen(a.URL(0)), uactor.Compression(compress))
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
		defer ref.Close()
		addrs[compress] = ref.Address()
	}
	for _, conc := range []int{1, 8} {
		for _, compress := range []int{0, 4096} {
			name := fmt.Sprintf("callers=%d/compression=%d", conc, compress)
			b.Run(name, func(b *testing.B) {
				spec := fmt.Sprintf("%s %d %d %d %d", addrs[compress], compress, conc, b.N, size)
				cctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
				defer cancel()
				cmd := host.Command(cctx, os.Args[0])
				cmd.Env = append(os.Environ(), linkClientEnv+"="+spec)
				cmd.Stderr = os.Stderr
				out, err := cmd.Output()
				if err != nil {
					b.Fatalf("client in host B: %v", err)
				}
				ns, err := strconv.ParseInt(strings.TrimSpace(string(out)), 10, 64)
				if err != nil {
					b.Fatalf("client printed %q", out)
				}
				b.ReportMetric(float64(b.N)/time.Duration(ns).Seconds(), "calls/s")
			})
		}
	}
}
