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
// directory of the process that spawns or hosts the actor, when it does,
// and so does Advertise: the ref's address (Address, Advertised) is that
// socket's absolute path, so that a process with another working
// directory reaches the actor: this one, once it has moved, and an actor
// whose process works elsewhere, handed the ref. Before, the addresses
// stayed relative, and dialled from elsewhere named another file.
func TestRelativeListenAndAdvertise(t *testing.T) {
	for _, start := range []struct {
		name string
		ref  func(*testing.T, ...uactor.Option) uactor.Ref[*Counter]
	}{
		{"Spawn", func(t *testing.T, opts ...uactor.Option) uactor.Ref[*Counter] {
			return spawn(t, testCtx(t, 30*time.Second), CounterKind, 0, opts...)
		}},
		{"Host", func(t *testing.T, opts ...uactor.Option) uactor.Ref[*Counter] {
			return host(t, testCtx(t, 30*time.Second), CounterKind, &Counter{}, opts...)
		}},
	} {
		for _, given := range []struct {
			name     string
			opts     []uactor.Option
			accessor string
			address  func(uactor.Ref[*Counter]) string
		}{
			{"Listen", []uactor.Option{uactor.Listen("unix://rel.sock")}, "Address", uactor.Ref[*Counter].Address},
			{"Advertise", []uactor.Option{uactor.Listen("unix://rel.sock"), uactor.Advertise("unix://rel.sock")}, "Advertised", uactor.Ref[*Counter].Advertised},
		} {
			t.Run(start.name+"/"+given.name, func(t *testing.T) {
				ctx := testCtx(t, 30*time.Second)
				key := uactor.NewKey()
				dir, elsewhere := t.TempDir(), t.TempDir()
				t.Chdir(elsewhere)                                          // restored when the test ends
				relay := spawn(t, ctx, CounterKind, 0, uactor.AuthKey(key)) // its process works elsewhere
				os.Chdir(dir)
				r := start.ref(t, append(given.opts, uactor.AuthKey(key))...)
				if want := "unix://" + filepath.Join(dir, "rel.sock"); given.address(r) != want {
					t.Errorf("%s() = %q; want %q", given.accessor, given.address(r), want)
				}
				if _, err := os.Stat(filepath.Join(dir, "rel.sock")); err != nil {
					t.Errorf("no socket where the relative path names one: %v", err)
				}
				os.Chdir(elsewhere)
				other, err := uactor.Connect(ctx, CounterKind, given.address(r), key)
				if err != nil {
					t.Fatalf("Connect(%q) from another working directory: %v", given.address(r), err)
				}
				defer other.Close()
				if _, err := Add.Call(ctx, other, 1); err != nil {
					t.Errorf("a call from another working directory: %v", err)
				}
				if _, err := AddVia.Call(ctx, relay, r); err != nil {
					t.Errorf("the ref forwarded to an actor working in another directory: %v", err)
				}
			})
		}
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
