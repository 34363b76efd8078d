package spawn

import (
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"
)

// pipeEmpty waits until nothing waits in the pipe whose read end is fd.
func pipeEmpty(t *testing.T, fd uintptr) {
	t.Helper()
	for end := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		var n int32
		if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, fd, syscall.TIOCINQ, uintptr(unsafe.Pointer(&n))); e != 0 {
			t.Fatal(e)
		}
		if n == 0 {
			return
		}
		if time.Now().After(end) {
			t.Fatalf("%d bytes still in the pipe", n)
		}
	}
}

// A line that a standby's holder was in the middle of, past what it keeps,
// when a relay took the pipe over reaches the relay's writer neither in
// part nor uncounted: it is one of the lines dropped. Before, its end came
// out as a line of its own, under the actor's prefix, and the line went
// uncounted.
func TestHeldLineInProgressIsDroppedWhole(t *testing.T) {
	child, read, err := outputPipes()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closeAll(child[:]) })
	h := hold(read[0])
	if h == nil {
		t.Skip("the pipe's reads cannot be cut short here")
	}
	line := strings.Repeat("h", 99) + "\n"
	const lines = maxQueued/100 + 10
	child[0].WriteString(strings.Repeat(line, lines) + "the start of a line")
	fd, _ := read[0].SyscallConn()
	fd.Control(func(fd uintptr) { pipeEmpty(t, fd) }) // the holder has read it all
	var out strings.Builder                           // read once flushed
	r := NewRelay(&out, "kind", nil)
	p := &Process{pid: 42, spare: read, held: [2]*holder{h}}
	p.readSpareLocked(r)
	child[0].WriteString(" and its end\nnext\n")
	closeAll(child[:])
	select {
	case <-p.output:
	case <-time.After(10 * time.Second):
		t.Fatal("the relay's reading did not end")
	}
	flushed(t, r)
	dropped := regexp.MustCompile(`^kind\[42\] \[(\d+) lines dropped\]$`)
	whole, lost := 0, 0
	for _, l := range strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n") {
		switch m := dropped.FindStringSubmatch(l); {
		case l == "kind[42] "+strings.TrimSuffix(line, "\n"):
			whole++
		case m != nil:
			n, _ := strconv.Atoi(m[1])
			lost += n
		case l == "kind[42] next":
			whole++
		default:
			t.Errorf("relayed a line that was not written so: %q", l)
		}
	}
	if whole+lost != lines+2 { // the line in progress, and next
		t.Errorf("%d lines relayed and %d counted as dropped, of %d written", whole, lost, lines+2)
	}
}
