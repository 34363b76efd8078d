package registry_test

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/uactor-go/uactor/uactor"
	"github.com/uactor-go/uactor/uactor/registry"
)

// A spelling whose ".." follows a symbolic link names, as the system reads
// it, another socket than its cleaned canonical form does: the listed
// address is the one that leads to the actor. ConnectFrom and the pool
// reach the actor the source lists, not another one (or none) that the
// cleaned path happens to name.
func TestListedSpellingThroughSymlinkIsDialledAsWritten(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	dir := t.TempDir()
	real := filepath.Join(dir, "real")
	if err := os.MkdirAll(filepath.Join(real, "sub"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(real, "sub"), filepath.Join(dir, "link")); err != nil {
		t.Skipf("no symbolic link: %v", err)
	}
	host := func(name, path string) {
		r, err := uactor.Host(ctx, workerKind, &worker{name: name}, uactor.AuthKey(testKey), uactor.Listen("unix://"+path))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { r.Close() })
	}
	host("listed", filepath.Join(real, "w.sock"))
	// What the spelling's cleaned form names: another actor of the kind.
	host("decoy", filepath.Join(dir, "w.sock"))
	listed := "unix://" + dir + "/link/../w.sock" // link/.. is real, as the system reads it

	src := &listings{lists: []registry.Addresses{{listed}}}
	ref, err := registry.ConnectFrom(ctx, src, workerKind, testKey)
	if err != nil {
		t.Fatalf("ConnectFrom over %q: %v", listed, err)
	}
	got, err := hit.Call(ctx, ref, uactor.Empty{})
	ref.Close()
	if err != nil || got != "listed" {
		t.Errorf("ConnectFrom over %q reached %q (%v); want the actor listening there, \"listed\"", listed, got, err)
	}
	pool, err := registry.PoolFrom(ctx, src, 0, workerKind, testKey, hit)
	if err != nil {
		t.Fatalf("PoolFrom over %q: %v", listed, err)
	}
	t.Cleanup(func() { pool.Close() })
	if got := calls(t, pool, 2); !slices.Equal(got, []string{"listed", "listed"}) {
		t.Errorf("pool over %q: calls went to %v; want the actor listening there", listed, got)
	}
}
