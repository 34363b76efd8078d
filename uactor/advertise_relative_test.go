package uactor_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/uactor-go/uactor/uactor"
)

// Advertise("unix://rel.sock") names, as Listen's relative path does, a
// socket relative to the working directory of the process that spawns or
// hosts the actor: the refs it hands out name that socket's absolute path,
// which a process with another working directory reaches. Before, they
// carried the relative path, which names another file there.
func TestAdvertiseRelativeUnixPath(t *testing.T) {
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
			// It listens there too: the advertised path leads to it.
			r := c.start(t, &Counter{}, uactor.Listen("unix://adv.sock"), uactor.Advertise("unix://adv.sock"), uactor.AuthKey(key))
			want := "unix://" + filepath.Join(dir, "adv.sock")
			if got := r.Advertised(); got != want {
				t.Errorf("Advertised() = %q; want %q", got, want)
			}
			os.Chdir(elsewhere) // t.Chdir restores the first directory when the test ends
			other, err := uactor.Connect(ctx, CounterKind, r.Advertised(), key)
			if err != nil {
				t.Fatalf("Connect(%q) from another working directory: %v", r.Advertised(), err)
			}
			defer other.Close()
			if _, err := Add.Call(ctx, other, 1); err != nil {
				t.Fatalf("a call from another working directory: %v", err)
			}
		})
	}
}
