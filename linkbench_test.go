package uactor_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/uactor-go/uactor/uactor"
)

// The client half of BenchmarkLinkCompression (linkbench_linux_test.go):
// the benchmark runs this test binary in another host with linkClientEnv
// set, and TestMain hands over to runLinkClient.

const linkClientEnv = "UACTOR_TEST_LINK_CLIENT"

// echoer answers with what it was sent.
type echoer struct{}

// Echo returns b.
func (echoer) Echo(ctx context.Context, b []byte) ([]byte, error) { return b, nil }

var (
	linkKey  = []byte("link benchmark key")
	echoKind = uactor.Define("uactor_test.echo", func(ctx context.Context, _ uactor.Empty) (echoer, error) {
		return echoer{}, nil
	})
	echo = uactor.Expose(echoKind, "echo", echoer.Echo)
)

// jsonPayload returns n bytes of JSON records, alike in shape and varied in
// values, as an API's responses are; the same bytes on every call.
func jsonPayload(n int) []byte {
	r := rand.New(rand.NewPCG(1, 2))
	words := []string{"alpha", "beta", "gamma", "delta", "omega", "sigma", "kappa", "lambda"}
	var sb strings.Builder
	sb.WriteString("[")
	for i := 0; sb.Len() < n; i++ {
		fmt.Fprintf(&sb, `{"id":%d,"name":"user-%d","email":"user%d@example.com","active":%t,"score":%.2f,"tags":["%s","%s"],"created":"2026-%02d-%02dT%02d:%02d:%02dZ"},`,
			i, r.IntN(100000), r.IntN(100000), r.IntN(2) == 0, r.Float64()*100, words[r.IntN(8)], words[r.IntN(8)],
			1+r.IntN(12), 1+r.IntN(28), r.IntN(24), r.IntN(60), r.IntN(60))
	}
	return []byte(sb.String()[:n])
}

// runLinkClient connects to the echo actor at the address spec names, makes
// the calls it says, and prints how long they took: spec is "<address>
// <compress min size> <concurrent callers> <calls> <payload bytes>".
func runLinkClient(spec string) int {
	var addr string
	var compress, conc, n, size int
	if _, err := fmt.Sscan(spec, &addr, &compress, &conc, &n, &size); err != nil || conc < 1 {
		fmt.Fprintf(os.Stderr, "bad %s %q: %v\n", linkClientEnv, spec, err)
		return 2
	}
	ctx := context.Background()
	ref, err := uactor.Connect(ctx, echoKind, addr, linkKey, uactor.Compression(compress))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer ref.Close()
	payload := jsonPayload(size)
	if _, err := echo.Call(ctx, ref, payload); err != nil { // warm: the first call pays for the connection
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var failed error
	start := time.Now()
	for c := range conc {
		wg.Go(func() {
			for i := c; i < n; i += conc {
				got, err := echo.Call(ctx, ref, payload)
				if err == nil && len(got) != len(payload) {
					err = fmt.Errorf("echo of %d bytes came back with %d", len(payload), len(got))
				}
				if err != nil {
					mu.Lock()
					failed = err
					mu.Unlock()
					return
				}
			}
		})
	}
	wg.Wait()
	if failed != nil {
		fmt.Fprintln(os.Stderr, failed)
		return 1
	}
	fmt.Println(time.Since(start).Nanoseconds())
	return 0
}
