package uactor_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/uactor-go/uactor/uactor"
)

// Relative Unix socket paths: each is read against the working directory
// of the process that gives it, when it does, so that refs name where it
// led then, from any process.

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

// Connect("unix://rel.sock") reads the path against the working directory
// of the caller, when it calls: the ref names that socket's absolute path,
// so that it still leads there after a Chdir, and a Connect of the same
// relative path from another directory reaches the actor there, not the
// first one over the connection the two would share. The ref works
// forwarded to an actor whose process has another working directory.
func TestConnectRelativeUnixPath(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	key := uactor.NewKey()
	d1, d2 := t.TempDir(), t.TempDir()
	t.Chdir(d1) // restored when the test ends
	in1 := spawn(t, ctx, CounterKind, 0, uactor.Listen("unix://rel.sock"), uactor.AuthKey(key))
	os.Chdir(d2)
	in2 := spawn(t, ctx, CounterKind, 0, uactor.Listen("unix://rel.sock"), uactor.AuthKey(key))
	relay := spawn(t, ctx, CounterKind, 0, uactor.AuthKey(key)) // its process works in d2

	os.Chdir(d1)
	c1 := connect(t, ctx, "unix://rel.sock", string(key))
	if want := "unix://" + filepath.Join(d1, "rel.sock"); c1.Address() != want {
		t.Errorf("Connect(unix://rel.sock) in %s: Address() = %q; want %q", d1, c1.Address(), want)
	}
	os.Chdir(d2)
	c2 := connect(t, ctx, "unix://rel.sock", string(key))
	if pid, err := GetPID.Call(ctx, c2, uactor.Empty{}); err != nil || pid != in2.PID() {
		t.Errorf("Connect(unix://rel.sock) in %s reached pid %d (%v); want %d, the actor there (%d is the one in %s)", d2, pid, err, in2.PID(), in1.PID(), d1)
	}
	if pid, err := GetPID.Call(ctx, c1, uactor.Empty{}); err != nil || pid != in1.PID() {
		t.Errorf("the ref from Connect(unix://rel.sock) in %s, called from %s, reached pid %d (%v); want %d", d1, d2, pid, err, in1.PID())
	}
	if _, err := AddVia.Call(ctx, relay, c1); err != nil {
		t.Errorf("the ref from Connect(unix://rel.sock) in %s, forwarded to an actor working in %s: %v", d1, d2, err)
	}
}

// Advertise("unix://rel.sock") reads the path against the working
// directory of the process that calls Spawn or Host, when it calls, as
// Listen does: the refs the actor hands out name that socket's absolute
// path, so that an actor whose process works in another directory, handed
// one, reaches it.
func TestRelativeAdvertiseForward(t *testing.T) {
	for _, c := range []struct {
		name  string
		start func(*testing.T, ...uactor.Option) uactor.Ref[*Counter]
	}{
		{"Spawn", func(t *testing.T, opts ...uactor.Option) uactor.Ref[*Counter] {
			return spawn(t, testCtx(t, 30*time.Second), CounterKind, 0, opts...)
		}},
		{"Host", func(t *testing.T, opts ...uactor.Option) uactor.Ref[*Counter] {
			return host(t, testCtx(t, 30*time.Second), CounterKind, &Counter{}, opts...)
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx := testCtx(t, 30*time.Second)
			key := uactor.NewKey()
			dir, elsewhere := t.TempDir(), t.TempDir()
			t.Chdir(elsewhere)
			relay := spawn(t, ctx, CounterKind, 0, uactor.AuthKey(key)) // its process works elsewhere
			os.Chdir(dir)
			r := c.start(t, uactor.Listen("unix://rel.sock"), uactor.Advertise("unix://rel.sock"), uactor.AuthKey(key))
			if want := "unix://" + filepath.Join(dir, "rel.sock"); r.Advertised() != want {
				t.Errorf("Advertised() = %q; want %q", r.Advertised(), want)
			}
			if _, err := AddVia.Call(ctx, relay, r); err != nil {
				t.Errorf("the ref forwarded to an actor working in another directory: %v", err)
			}
		})
	}
}

// Capture("unix://rel.sock") reads the path against the working directory
// when Connect is called, as Listen does: it captures the refs of the
// actor listening at Listen("unix://rel.sock") there, which name its
// absolute path. Here the connection goes through a link to the socket.
func TestCaptureRelativeUnixPath(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	dir := t.TempDir()
	t.Chdir(dir)
	actor := spawn(t, ctx, MyActorKind, "unix://rel.sock") // its other actor listens at dir/rel.sock
	if err := os.Symlink(filepath.Join(dir, "rel.sock"), filepath.Join(dir, "link.sock")); err != nil {
		t.Fatal(err)
	}
	conn := connect(t, ctx, "unix://link.sock", "OtherSecret", uactor.Capture("unix://rel.sock"))
	other, err := MyOtherActor.Call(ctx, actor, uactor.Empty{})
	if err != nil {
		t.Fatalf("after Connect and Capture: %v", err)
	}
	defer other.Close()
	if want := "unix://" + filepath.Join(dir, "link.sock"); other.Address() != want {
		t.Errorf("captured ref reaches %s; want %s", other.Address(), want)
	}
	if pid, err := GetPID.Call(ctx, other, uactor.Empty{}); err != nil || pid != conn.PID() {
		t.Errorf("captured ref's getpid = %d, %v; want %d", pid, err, conn.PID())
	}
}
