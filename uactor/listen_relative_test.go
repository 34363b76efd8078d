package uactor_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/uactor-go/uactor/uactor"
)

// Listen("unix://rel.sock") names a socket relative to the working
// directory of the process that spawns or hosts the actor, when it does:
// the ref's address is that socket's absolute path, so that a process
// with another working directory (this one, once it has moved; any other
// it hands the ref to) reaches the actor. Before, the address stayed
// relative, and dialled from elsewhere named another file.
func TestListenRelativeUnixPath(t *testing.T) {
	for _, c := range []struct {
		name  string
		start func(*testing.T, *Counter, ...uactor.Option) uactor.Ref[*Counter]
	}{
		{"Spawn", func(t *testing.T, _ *Counter, opts ...uactor.Option) uactor.Ref[*Counter] {
			return spawn(t, testCtx(t, 30*time.Second), CounterKind, 0, opts...)
		}},
		{"Host", func(t *testing.T, a *Counter, opts ...uactor.Option) uactor.Ref[*Counter] {
			return host(t, testCtx(t, 30*time.Second), CounterKind, a, opts...)
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx := testCtx(t, 30*time.Second)
			dir, elsewhere := t.TempDir(), t.TempDir()
			t.Chdir(dir)
			key := uactor.NewKey()
			r := c.start(t, &Counter{}, uactor.Listen("unix://rel.sock"), uactor.AuthKey(key))
			want := "unix://" + filepath.Join(dir, "rel.sock")
			if got := r.Address(); got != want {
				t.Errorf("Address() = %q; want %q", got, want)
			}
			if _, err := os.Stat(filepath.Join(dir, "rel.sock")); err != nil {
				t.Errorf("no socket where the relative path names one: %v", err)
			}
			os.Chdir(elsewhere) // t.Chdir restores the first directory when the test ends
			other, err := uactor.Connect(ctx, CounterKind, r.Address(), key)
			if err != nil {
				t.Fatalf("Connect(%q) from another working directory: %v", r.Address(), err)
			}
			defer other.Close()
			if _, err := Add.Call(ctx, other, 1); err != nil {
				t.Fatalf("a call from another working directory: %v", err)
			}
		})
	}
}
