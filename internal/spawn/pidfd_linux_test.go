//go:build linux && !(mips || mipsle || mips64 || mips64le)

package spawn

import (
	"os"
	"syscall"
	"testing"
)

// A start refused with EINVAL while it asked for a pidfd turns pidfds off
// for later starts; any other failure, or a start that asked for none, does not.
func TestPidfdRefused(t *testing.T) {
	if !pidfdWorks() {
		t.Skip("this kernel cannot wait on pidfds")
	}
	t.Cleanup(func() { noClonePidfd.Store(false) })
	a := &syscall.SysProcAttr{}
	withPidfd(a)
	if a.PidFD == nil || *a.PidFD != -1 {
		t.Fatalf("PidFD = %v, want a request for one", a.PidFD)
	}
	einval := &os.PathError{Op: "fork/exec", Path: "/bin/x", Err: syscall.EINVAL}
	for _, c := range []struct {
		name string
		a    *syscall.SysProcAttr
		err  error
		want bool
	}{
		{"another failure", a, &os.PathError{Op: "fork/exec", Path: "/bin/x", Err: syscall.ENOENT}, false},
		{"no pidfd asked for", &syscall.SysProcAttr{}, einval, false},
		{"refused", a, einval, true},
	} {
		if got := pidfdRefused(c.a, c.err); got != c.want {
			t.Errorf("%s: pidfdRefused = %v, want %v", c.name, got, c.want)
		}
	}
	b := &syscall.SysProcAttr{}
	withPidfd(b)
	if b.PidFD != nil {
		t.Error("a start after a refusal still asks for a pidfd")
	}
}
