package registry_test

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/uactor-go/uactor/uactor"
	"github.com/uactor-go/uactor/uactor/registry"
)

// respell writes an actor address another way that names the same actor:
// a bare host:port for tcp://, a path through "." for unix://.
func respell(t *testing.T, a string) string {
	t.Helper()
	switch {
	case strings.HasPrefix(a, "tcp://"):
		return strings.TrimPrefix(a, "tcp://")
	case strings.HasPrefix(a, "unix:///"):
		p := strings.TrimPrefix(a, "unix://")
		return "unix://" + filepath.Dir(p) + "/./" + filepath.Base(p)
	}
	t.Fatalf("cannot respell %q", a)
	return ""
}

// An actor a source lists under two spellings is one actor: it has one
// place in the pool (and so gets its share of calls, not twice that), and
// ConnectFrom and PoolFrom count an address nothing serves as one failure.
func TestOneActorListedTwoWays(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	refs, _ := hostWorkers(t, 2)
	a0, a1 := refs[0].Address(), refs[1].Address()
	src := &listings{lists: []registry.Addresses{{a0, respell(t, a0), a1}}}
	pool, err := registry.PoolFrom(ctx, src, 0, workerKind, testKey, hit)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pool.Close() })
	if got, want := pool.Addresses(), []string{a0, a1}; !slices.Equal(got, want) {
		t.Errorf("pool of %q; want %q", got, want)
	}
	if got, want := calls(t, pool, 4), []string{"w0", "w1", "w0", "w1"}; !slices.Equal(got, want) {
		t.Errorf("calls went to %v; want %v", got, want)
	}

	dir := t.TempDir()
	tcp := listen(t, "tcp")
	tcp.close() // a port nothing listens on now
	gone := registry.Addresses{tcp.addr, respell(t, tcp.addr)}
	for _, n := range []string{"a", "b", "c", "d"} {
		a := "unix://" + filepath.Join(dir, n+".sock")
		gone = append(gone, a, respell(t, a))
	}
	src = &listings{lists: []registry.Addresses{gone}}
	_, err = registry.ConnectFrom(ctx, src, workerKind, testKey)
	if err == nil || !strings.Contains(err.Error(), "5 Connects failed") {
		t.Errorf("ConnectFrom over 5 missing actors, each listed two ways: %v; want it to say 5 Connects failed", err)
	}
	_, err = registry.PoolFrom(ctx, src, 0, workerKind, testKey, hit)
	if err == nil || !strings.Contains(err.Error(), "5 Connects failed") {
		t.Errorf("PoolFrom over 5 missing actors, each listed two ways: %v; want it to say 5 Connects failed", err)
	}
}

// An actor that a source lists first under a spelling that names it only
// once cleaned (a trailing slash, a ".." past a directory that does not
// exist), and then as its ref names it, is reached: the spellings are one
// actor, so the pool and ConnectFrom dial it where the spellings agree it
// is, not where the first one, as written, does not lead.
func TestActorListedFirstUnderUndiallableSpelling(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	refs := spawnWorkers(t, ctx, 1)
	a := refs[0].Address()
	if !strings.HasPrefix(a, "unix:///") {
		t.Skipf("the worker listens at %q, not on a Unix socket", a)
	}
	p := strings.TrimPrefix(a, "unix://")
	for _, other := range []string{
		a + "/",
		"unix://" + filepath.Join(filepath.Dir(p), "no-such-dir") + "/../" + filepath.Base(p),
	} {
		src := &listings{lists: []registry.Addresses{{other, a}}}
		ref, err := registry.ConnectFrom(ctx, src, workerKind, testKey)
		if err != nil {
			t.Errorf("ConnectFrom over %q, %q: %v", other, a, err)
		} else {
			ref.Close()
		}
		pool, err := registry.PoolFrom(ctx, src, 0, workerKind, testKey, hit)
		if err != nil {
			t.Errorf("PoolFrom over %q, %q: %v", other, a, err)
			continue
		}
		if got := calls(t, pool, 2); !slices.Equal(got, []string{"w0", "w0"}) {
			t.Errorf("pool over %q, %q: calls went to %v", other, a, got)
		}
		pool.Close()
	}
}

// An actor a source lists under relative socket paths, which Connect reads
// against the working directory, is one actor however the path is spelled
// ("w.sock", "./w.sock"): one place in the pool, not one per spelling.
func TestOneActorListedTwoRelativeWays(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	dir := t.TempDir()
	w0, err := uactor.Host(ctx, workerKind, &worker{name: "w0"}, uactor.AuthKey(testKey),
		uactor.Listen("unix://"+filepath.Join(dir, "w.sock")))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w0.Close() })
	refs, _ := hostWorkers(t, 2)
	a1 := refs[1].Address()
	t.Chdir(dir)
	src := &listings{lists: []registry.Addresses{{"unix://w.sock", "unix://./w.sock", a1}}}
	pool, err := registry.PoolFrom(ctx, src, 0, workerKind, testKey, hit)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pool.Close() })
	if got, want := pool.Addresses(), []string{"unix://w.sock", a1}; !slices.Equal(got, want) {
		t.Errorf("pool of %q; want %q", got, want)
	}
	if got, want := calls(t, pool, 4), []string{"w0", "w1", "w0", "w1"}; !slices.Equal(got, want) {
		t.Errorf("calls went to %v; want %v", got, want)
	}
}
