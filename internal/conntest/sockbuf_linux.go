package conntest

import (
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/uactor-go/uactor/internal/sockbuf"
)

// UnixSendGranted is the send buffer the kernel grants a Unix socket that
// asks for sockbuf.UnixSend: twice what it is asked for (its own
// accounting), at most twice net.core.wmem_max. It skips the test where
// that limit cannot be read.
func UnixSendGranted(tb testing.TB) int {
	tb.Helper()
	raw, err := os.ReadFile("/proc/sys/net/core/wmem_max")
	if err != nil {
		tb.Skip(err)
	}
	wmemMax, err := strconv.Atoi(strings.TrimSpace(string(raw)))
	if err != nil {
		tb.Fatal(err)
	}
	return 2 * min(sockbuf.UnixSend, wmemMax)
}
