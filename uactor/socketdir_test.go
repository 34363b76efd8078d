package uactor_test

// Where an actor's Unix socket lives, who may reach it, and that it goes
// with its actor.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/uactor-go/uactor/uactor"
)

// socketDir is the directory of the Unix socket at address.
func socketDir(address string) string {
	return filepath.Dir(strings.TrimPrefix(address, "unix://"))
}

// reportedActor reads what a process that spawned an actor reported
// ("<unix address> <pid>"): the actor's socket directory and pid.
func reportedActor(t *testing.T, said, who string) (dir string, pid int) {
	t.Helper()
	f := strings.Fields(said)
	err := error(nil)
	if len(f) == 2 {
		pid, err = strconv.Atoi(f[1])
	}
	if len(f) != 2 || err != nil || !strings.HasPrefix(f[0], "unix:///") {
		t.Fatalf("%s said %q", who, said)
	}
	return socketDir(f[0]), pid
}

// An actor's default Unix socket is a file on disk (not in the abstract
// namespace) in a private directory of mode 0700, owned by this user, and
// gone once the actor is closed; for spawned and for hosted actors.
func TestUnixSocketIsPrivate(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	spawned, hosted := spawnCounter(t, ctx), host(t, ctx, CounterKind, &Counter{})
	for _, c := range []struct {
		name string
		r    uactor.Ref[*Counter]
	}{{"spawned", spawned}, {"hosted", hosted}} {
		t.Run(c.name, func(t *testing.T) {
			addr := c.r.Address()
			if !strings.HasPrefix(addr, "unix:///") {
				t.Fatalf("address %q: want unix:/// and an absolute path (not abstract, not relative)", addr)
			}
			path := strings.TrimPrefix(addr, "unix://")
			fi, err := os.Lstat(path)
			if err != nil {
				t.Fatalf("the socket is not a file on disk: %v", err)
			}
			if fi.Mode().Type() != os.ModeSocket {
				t.Fatalf("%s has mode %v; want a socket", path, fi.Mode())
			}
			dir := filepath.Dir(path)
			di, err := os.Lstat(dir)
			if err != nil {
				t.Fatal(err)
			}
			if !di.IsDir() || di.Mode().Perm() != 0o700 {
				t.Fatalf("the socket's directory %s has mode %v; want a directory of mode 0700", dir, di.Mode())
			}
			if st, ok := di.Sys().(*syscall.Stat_t); ok && int(st.Uid) != os.Getuid() {
				t.Fatalf("the socket's directory is owned by uid %d, not %d", st.Uid, os.Getuid())
			}
			t.Logf("%s: socket %v in %s %v", addr, fi.Mode(), dir, di.Mode())
			if _, err := Add.Call(ctx, c.r, 1); err != nil {
				t.Fatal(err)
			}
			c.r.Close()
			if _, err := os.Lstat(dir); !os.IsNotExist(err) {
				t.Fatalf("the socket's directory %s is left after Close: %v", dir, err)
			}
		})
	}
}

// An actor process cannot make its owner delete a directory: the owner
// removes only the one it made itself, whatever address the child reports.
func TestOwnerRemovesOnlyItsOwnDirectory(t *testing.T) {
	ctx := testCtx(t, 20*time.Second)
	victim, err := os.MkdirTemp("", "uactor-victim-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(victim) })
	if err := os.WriteFile(filepath.Join(victim, "precious"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("UACTOR_TEST_FORGE_READY", "unix://"+filepath.Join(victim, "actor.sock"))
	r, err := uactor.Spawn(ctx, CounterKind, 0, uactor.GracePeriod(100*time.Millisecond))
	if err == nil {
		pid := r.PID()
		r.Close()
		assertGone(t, pid, time.Second)
	} else if !errors.Is(err, uactor.ErrProtocol) {
		t.Logf("Spawn of the forging child: %v", err)
	}
	if _, err := os.Stat(filepath.Join(victim, "precious")); err != nil {
		t.Fatalf("the owner removed a directory the child named: %v", err)
	}
}

// A value hosted inside an actor process goes with it, and so does its
// socket directory: when the owner closes the actor, and when it is
// killed, whether the actor itself listens on a Unix socket or on TCP.
func TestHostedInActorLeavesNoDirectory(t *testing.T) {
	ctx := testCtx(t, 20*time.Second)
	for _, listen := range []string{"unix", "tcp://127.0.0.1:0"} {
		for _, end := range []string{"close", "sigkill"} {
			a, err := uactor.Spawn(ctx, CounterKind, 0, uactor.Listen(listen))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { a.Close() }) // on a failure below; closing twice does nothing
			shared, err := Shared.Call(ctx, a, uactor.Empty{})
			if err != nil {
				t.Fatal(err)
			}
			dirs := []string{socketDir(shared.Address())}
			if listen == "unix" {
				dirs = append(dirs, socketDir(a.Address()))
			}
			if end == "sigkill" {
				killPID(a.PID())
				<-a.Done()
			}
			a.Close()
			shared.Close()
			for _, dir := range dirs {
				if _, err := os.Stat(dir); !os.IsNotExist(err) {
					t.Errorf("%s, %s: socket directory %s outlived its actor (%v)", listen, end, dir, err)
				}
			}
		}
	}
}

// A TMPDIR long enough for an actor's own socket has room for the socket
// of a value the actor hosts too: macOS gives every program a TMPDIR that
// left a hosted value's path (a random name of 26 characters) past a
// socket address's bound, so that hosting a value in an actor failed
// there.
func TestHostedInActorUnderLongTMPDIR(t *testing.T) {
	short, err := os.MkdirTemp("/tmp", "s")
	if err != nil {
		t.Skip("no /tmp here:", err)
	}
	t.Cleanup(func() { os.RemoveAll(short) })
	// As long a base as a hosted value's path, at its longest, leaves
	// room for: longer than the TMPDIR that macOS gives.
	n := len(syscall.RawSockaddrUnix{}.Path) - 53
	long := filepath.Join(short, strings.Repeat("x", n-len(short)-1))
	if err := os.Mkdir(long, 0o700); err != nil {
		t.Fatal(err)
	}
	t.Setenv("TMPDIR", long)
	ctx := testCtx(t, 20*time.Second)
	r := spawnCounter(t, ctx)
	shared, err := Shared.Call(ctx, r, uactor.Empty{})
	if err != nil {
		t.Fatalf("a value hosted in an actor whose directory is in a TMPDIR of %d bytes: %v", len(long), err)
	}
	t.Cleanup(func() { shared.Close() })
	if filepath.Dir(socketDir(shared.Address())) != socketDir(r.Address()) {
		t.Fatalf("the hosted value listens at %s, outside its actor's directory %s", shared.Address(), socketDir(r.Address()))
	}
	if got, err := Add.Call(ctx, shared, 3); err != nil || got != 3 {
		t.Fatalf("Add through the hosted value = %d, %v", got, err)
	}
}

// hostThenFail's constructor hosts a value, then fails: Spawn kills the
// process as soon as it has the error.
var hostThenFail = uactor.Define("socketdir-host-then-fail", func(ctx context.Context, _ uactor.Empty) (*Counter, error) {
	if _, err := uactor.Host(ctx, CounterKind, &Counter{}); err != nil {
		return nil, err
	}
	return nil, errors.New("failed after hosting")
})

// The socket directory of a value hosted by a constructor that then fails
// goes with the process, which Spawn kills, whatever the actor listens on.
func TestFailedConstructorLeavesNoDirectory(t *testing.T) {
	ctx := testCtx(t, 20*time.Second)
	for _, listen := range []string{"unix", "tcp://127.0.0.1:0"} {
		before, _ := filepath.Glob(filepath.Join(os.TempDir(), "uactor-*"))
		for range 5 {
			if _, err := uactor.Spawn(ctx, hostThenFail, uactor.Empty{}, uactor.Listen(listen)); err == nil || !strings.Contains(err.Error(), "failed after hosting") {
				t.Fatalf("%s: Spawn: %v", listen, err)
			}
		}
		after, _ := filepath.Glob(filepath.Join(os.TempDir(), "uactor-*"))
		if len(after) > len(before) {
			t.Errorf("%s: socket directories before five failed Spawns: %v; after: %v", listen, before, after)
		}
	}
}

// With no TMPDIR and an XDG_RUNTIME_DIR of the test's own, an actor's
// private directory is made there, serves, and is gone once the actor is.
func TestSocketDirFollowsTheEnvironment(t *testing.T) {
	xdg, err := os.MkdirTemp("/tmp", "x") // a short path: TMPDIR's or t.TempDir's may leave no room for a socket's
	if err != nil {
		t.Skip("no /tmp here:", err)
	}
	t.Cleanup(func() { os.RemoveAll(xdg) })
	t.Setenv("TMPDIR", "")
	t.Setenv("XDG_RUNTIME_DIR", xdg)
	ctx := testCtx(t, 20*time.Second)
	r := spawnCounter(t, ctx)
	dir := socketDir(r.Address())
	if filepath.Dir(dir) != xdg {
		t.Fatalf("socket %s is not in a directory of %s", r.Address(), xdg)
	}
	if n, err := Add.Call(ctx, r, 2); err != nil || n != 2 {
		t.Fatalf("Add = %d, %v", n, err)
	}
	r.Close()
	assertGone(t, r.PID(), 5*time.Second)
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("socket directory outlived the actor: %v", err)
	}
}

// hostAndLeave, in a process started by leaveHostedDir, hosts a value and
// exits without closing it, as a program that returns from main does.
func hostAndLeave() bool {
	if os.Getenv("UACTOR_TEST_HOST_AND_LEAVE") == "" {
		return false
	}
	r, err := uactor.Host(context.Background(), CounterKind, &Counter{})
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	fmt.Println(r.Address())
	os.Exit(0)
	return true
}

// leaveHostedDir runs a process that hosts a value and ends without
// closing it, and returns the socket directory it left. The test removes
// the directory when it ends, if nothing else has.
func leaveHostedDir(t *testing.T, ctx context.Context) string {
	t.Helper()
	cmd := exec.CommandContext(ctx, os.Args[0])
	cmd.Env = append(os.Environ(), "UACTOR_TEST_HOST_AND_LEAVE=1")
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	addr := strings.TrimSpace(string(out))
	if err != nil || !strings.HasPrefix(addr, "unix:///") {
		t.Fatalf("the hosting process said %q: %v", addr, err)
	}
	dir := socketDir(addr)
	t.Cleanup(func() { os.RemoveAll(dir) })
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("the hosting process left no directory to remove: %v", err)
	}
	return dir
}

// spawnAndWait, in a process started by leaveSpawnedDir, spawns an actor,
// says its address and pid, and waits to be killed.
func spawnAndWait() bool {
	if os.Getenv("UACTOR_TEST_SPAWN_AND_WAIT") == "" {
		return false
	}
	var opts []uactor.Option
	if l := os.Getenv("UACTOR_TEST_SPAWN_LISTEN"); l != "" {
		opts = append(opts, uactor.Listen(l))
	}
	r, err := uactor.Spawn(context.Background(), CounterKind, 0, opts...)
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	if path := os.Getenv("UACTOR_TEST_SPAWN_HOST_AT"); path != "" {
		if _, err := HostAt.Call(context.Background(), r, path); err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
	}
	fmt.Println(r.Address(), r.PID())
	time.Sleep(time.Minute) // the test kills us long before
	os.Exit(0)
	return true
}

// leaveSpawnedDir runs a process that spawns an actor, kills the two
// together with SIGKILL (their process group, as when a job is killed), so
// that neither can remove the actor's socket directory, and returns the
// directory. The test removes it when it ends, if nothing else has.
func leaveSpawnedDir(t *testing.T) string {
	t.Helper()
	cmd, said := startReporting(t, "UACTOR_TEST_SPAWN_AND_WAIT", "the spawning process did not report its actor")
	dir, pid := reportedActor(t, said, "the spawning process")
	t.Cleanup(func() { os.RemoveAll(dir) })
	syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	cmd.Wait()
	assertGone(t, pid, 5*time.Second)
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("the killed processes left no directory to remove: %v", err)
	}
	return dir
}

// An actor killed together with its owner leaves its socket directory; the
// next process to spawn an actor, or to host a value, removes it once it
// is a minute old, and leaves alone the directory of an actor whose owner
// lives, however old.
func TestSpawnedDirLeftBehindIsRemoved(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	live := spawnCounter(t, ctx)
	liveDir := socketDir(live.Address())
	old := time.Now().Add(-2 * time.Minute)
	backdate := func(dirs ...string) {
		for _, dir := range dirs {
			if err := os.Chtimes(dir, old, old); err != nil {
				t.Fatal(err)
			}
		}
	}
	first := leaveSpawnedDir(t)
	backdate(first, liveDir)
	second := leaveSpawnedDir(t) // sweeps as it spawns
	backdate(second)
	next := leaveHostedDir(t, ctx) // sweeps as it hosts
	for _, c := range []struct {
		name, dir string
		there     bool
	}{
		{"left, then a spawn", first, false},
		{"left, then a hosted value", second, false},
		{"its owner lives", liveDir, true},
		{"hosted last", next, true},
	} {
		if _, err := os.Stat(c.dir); (err == nil) != c.there {
			t.Errorf("%s: %s there %v, want %v (%v)", c.name, c.dir, err == nil, c.there, err)
		}
	}
	if n, err := Add.Call(ctx, live, 1); err != nil || n != 1 {
		t.Fatalf("the live actor after the sweeps: Add = %d, %v", n, err)
	}
}

// A process that hosts a value and ends without Close leaves its socket
// directory; the next process to host a value removes it, once it is a
// minute old, and leaves alone the directories of hosted values that live
// and those too young to judge.
func TestHostedDirLeftBehindIsRemoved(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	live := host(t, ctx, CounterKind, &Counter{})
	dead, young, liveDir := leaveHostedDir(t, ctx), leaveHostedDir(t, ctx), socketDir(live.Address())
	old := time.Now().Add(-2 * time.Minute)
	for _, dir := range []string{dead, liveDir} {
		if err := os.Chtimes(dir, old, old); err != nil {
			t.Fatal(err)
		}
	}
	next := leaveHostedDir(t, ctx) // sweeps as it hosts
	for _, c := range []struct {
		dir   string
		there bool
	}{{dead, false}, {young, true}, {liveDir, true}, {next, true}} {
		if _, err := os.Stat(c.dir); (err == nil) != c.there {
			t.Errorf("%s: there %v, want %v (%v)", c.dir, err == nil, c.there, err)
		}
	}
	if n, err := Add.Call(ctx, live, 1); err != nil || n != 1 {
		t.Fatalf("the live hosted value after the sweep: Add = %d, %v", n, err)
	}
}

// An actor listening on a Unix socket at a path its owner chose leaves no
// socket file behind when its process ends without removing it (killed, or
// killed by Close because it would not stop): the owner, which removes the
// stale file before a restart, removes it too once the actor is gone for
// good, so that the address can be used again.
func TestUserSocketRemovedWhenActorGone(t *testing.T) {
	parallel(t) // its time goes in waiting
	for _, c := range []struct {
		name string
		end  func(t *testing.T, r uactor.Ref[*Counter])
	}{
		{"killed", func(t *testing.T, r uactor.Ref[*Counter]) {
			killPID(r.PID())
			waitDone(t, r, 10*time.Second)
			if !errors.Is(r.Err(), uactor.ErrActorDied) {
				t.Fatalf("Err = %v; want ErrActorDied", r.Err())
			}
		}},
		{"closed while stopped", func(t *testing.T, r uactor.Ref[*Counter]) {
			stop(t, r.PID()) // it cannot stop by itself: Close kills it
			r.Close()
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx := testCtx(t, 30*time.Second)
			sock := userSocket(t)
			r := spawnCounter(t, ctx, uactor.Listen("unix://"+sock), uactor.GracePeriod(0))
			if _, err := Add.Call(ctx, r, 1); err != nil {
				t.Fatal(err)
			}
			pid := r.PID()
			c.end(t, r)
			assertSocketFreed(t, ctx, sock, pid)
		})
	}
}

// An actor whose owner dies (SIGKILL, the owner alone) removes the socket
// it listens on at a path the owner chose, and that of a value it hosts at
// a path of its choice, as it removes its directory, so that the addresses
// can be used again.
func TestUserSocketRemovedWhenOwnerKilled(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	sock, hosted := userSocket(t), userSocket(t)
	t.Setenv("UACTOR_TEST_SPAWN_LISTEN", "unix://"+sock)
	t.Setenv("UACTOR_TEST_SPAWN_HOST_AT", hosted)
	cmd, said := startReporting(t, "UACTOR_TEST_SPAWN_AND_WAIT", "the spawning process did not report its actor")
	f := strings.Fields(said)
	if len(f) != 2 || f[0] != "unix://"+sock {
		t.Fatalf("the spawning process said %q", said)
	}
	pid, err := strconv.Atoi(f[1])
	if err != nil {
		t.Fatal(err)
	}
	syscall.Kill(cmd.Process.Pid, syscall.SIGKILL) // the owner alone: its actor sees it go
	cmd.Wait()
	assertSocketFreed(t, ctx, sock, pid)
	if fi, err := os.Lstat(hosted); err == nil {
		t.Errorf("socket %s (%v) of a value actor %d hosted outlived it", hosted, fi.Mode(), pid)
	}
	r, err := uactor.Host(ctx, CounterKind, &Counter{}, uactor.Listen("unix://"+hosted))
	if err != nil {
		t.Fatalf("Host at the address of a value the orphaned actor hosted: %v", err)
	}
	r.Close()
}

// userSocket returns a socket path in a directory of the test's own, with a
// short name: a socket's path has a bound.
func userSocket(t *testing.T) string {
	dir, err := os.MkdirTemp("", "s")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return filepath.Join(dir, "a.sock")
}

// assertSocketFreed checks that once actor pid is gone, the socket it
// listened on at sock is too, and that the next actor may listen there.
func assertSocketFreed(t *testing.T, ctx context.Context, sock string, pid int) {
	t.Helper()
	assertGone(t, pid, 5*time.Second)
	if fi, err := os.Lstat(sock); err == nil {
		t.Errorf("socket %s (%v) outlived actor %d", sock, fi.Mode(), pid)
	}
	r, err := uactor.Spawn(ctx, CounterKind, 0, uactor.Listen("unix://"+sock))
	if err != nil {
		t.Fatalf("Spawn at the dead actor's address: %v", err)
	}
	r.Close()
	assertGone(t, r.PID(), time.Second)
}

// A socket path longer than a Unix socket's address holds fails Host,
// Spawn and Connect with an error that says so, rather than bind's bare "invalid
// argument", whether the path is Listen's or in a TMPDIR too long for
// one; and leaves no directory behind.
func TestSocketPathTooLongSaysSo(t *testing.T) {
	ctx := testCtx(t, 20*time.Second)
	max := len(syscall.RawSockaddrUnix{}.Path) - 1 // its closing NUL takes one
	long := filepath.Join(os.TempDir(), strings.Repeat("z", 100))
	if err := os.Mkdir(long, 0o700); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(long) })
	listen := uactor.Listen("unix://" + filepath.Join(long, "a.sock"))
	for _, tc := range []struct {
		name   string
		tmpdir string
		start  func() error
	}{
		{"Host, Listen", "", func() error { _, err := uactor.Host(ctx, CounterKind, &Counter{}, listen); return err }},
		{"Spawn, Listen", "", func() error { _, err := uactor.Spawn(ctx, CounterKind, 0, listen); return err }},
		{"Connect", "", func() error {
			_, err := uactor.Connect(ctx, CounterKind, "unix://"+filepath.Join(long, "a.sock"), []byte("k"))
			return err
		}},
		{"Host, TMPDIR", long, func() error { _, err := uactor.Host(ctx, CounterKind, &Counter{}); return err }},
		{"Spawn, TMPDIR", long, func() error { _, err := uactor.Spawn(ctx, CounterKind, 0); return err }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.tmpdir != "" {
				t.Setenv("TMPDIR", tc.tmpdir)
			}
			err := tc.start()
			if err == nil {
				t.Fatal("started on a socket path too long for one")
			}
			if want := fmt.Sprintf("longer than the %d bytes", max); !strings.Contains(err.Error(), want) {
				t.Errorf("err = %v; want one that says %q", err, want)
			}
			if tc.tmpdir != "" && !strings.Contains(err.Error(), "TMPDIR") {
				t.Errorf("err = %v; want one that names TMPDIR", err)
			}
			if left, _ := filepath.Glob(filepath.Join(long, "*")); len(left) > 0 {
				t.Errorf("left behind: %v", left)
			}
		})
	}
}

// A relative TMPDIR still gives actors absolute socket paths: a ref's
// address must reach the actor from a process in another directory, and
// the directory must go with its actor after this process changes its own.
func TestRelativeTMPDIRGivesAbsoluteAddresses(t *testing.T) {
	ctx := testCtx(t, 20*time.Second)
	short, err := os.MkdirTemp("/tmp", "r") // t.TempDir may leave no room for a socket's path
	if err != nil {
		t.Skip("no /tmp here:", err)
	}
	t.Cleanup(func() { os.RemoveAll(short) })
	t.Chdir(short)
	if err := os.Mkdir("rel", 0o700); err != nil {
		t.Fatal(err)
	}
	t.Setenv("TMPDIR", "rel")
	hosted := host(t, ctx, CounterKind, &Counter{})
	spawned := spawnCounter(t, ctx)
	for _, r := range []uactor.Ref[*Counter]{hosted, spawned} {
		path := strings.TrimPrefix(r.Address(), "unix://")
		if !filepath.IsAbs(path) {
			t.Errorf("address %s under TMPDIR=rel is not absolute", r.Address())
			continue
		}
		t.Chdir("/")
		r.Close()
		if _, err := os.Stat(filepath.Dir(path)); !os.IsNotExist(err) {
			t.Errorf("socket directory %s after Close from another directory: %v", filepath.Dir(path), err)
		}
	}
}
