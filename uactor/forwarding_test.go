package uactor_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/uactor-go/uactor/uactor"
	"github.com/uactor-go/uactor/uactor/wire"
)

// uActor's forwarded proxies: MyActor returns a ref to its MyOtherActor,
// which has another key. Without that key the caller gets AuthKeyError;
// after Connect with the key and Capture of the address the ref names, the
// same call returns a ref that works. Both of uActor's orders, and a
// listen address with no host, which refs name as 0.0.0.0: Capture takes
// it as written to Listen.
func TestForwardedProxies(t *testing.T) {
	for _, c := range []struct {
		name         string
		connectFirst bool
		host, named  string // in the listen address; in the refs
	}{
		{"catch then connect", false, "127.0.0.1", "127.0.0.1"},
		{"connect first", true, "127.0.0.1", "127.0.0.1"},
		{"no host", false, "", "0.0.0.0"},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx := testCtx(t, 30*time.Second)
			p := freePort(t)
			listen := "tcp://" + c.host + ":" + p
			actor := spawn(t, ctx, MyActorKind, listen)
			connectFirst := c.connectFirst
			if !connectFirst {
				_, err := MyOtherActor.Call(ctx, actor, uactor.Empty{})
				var ake *uactor.AuthKeyError
				if named := "tcp://" + c.named + ":" + p; !errors.Is(err, uactor.ErrAuthKey) || !errors.As(err, &ake) || ake.Address != named {
					t.Fatalf("ref to an actor with an unknown key = %v; want *AuthKeyError for %s", err, named)
				}
			}
			conn := connect(t, ctx, "localhost:"+p, "OtherSecret", uactor.Capture(listen))
			other, err := MyOtherActor.Call(ctx, actor, uactor.Empty{})
			if err != nil {
				t.Fatalf("after Connect and Capture: %v", err)
			}
			if other.Address() != "tcp://localhost:"+p {
				t.Fatalf("captured ref reaches %s; want tcp://localhost:%s", other.Address(), p)
			}
			pid, err := GetPID.Call(ctx, other, uactor.Empty{})
			if err != nil || pid != conn.PID() || pid == actor.PID() {
				t.Fatalf("forwarded ref's getpid = %d, %v; want MyOtherActor's %d", pid, err, conn.PID())
			}
			// The capture and the key live as long as the connection: a
			// decoded ref still held keeps neither.
			conn.Close()
			if _, err := MyOtherActor.Call(ctx, actor, uactor.Empty{}); !errors.Is(err, uactor.ErrAuthKey) {
				t.Fatalf("after the connection closed = %v; want AuthKeyError again", err)
			}
			runtime.KeepAlive(other)
		})
	}
}

// The id another process gave a key names it here only while a connection
// that learned it, or a ref that names it, is held: a process that keeps a
// key (it serves with it) and reaches one actor after another whose owners
// each drew an id of their own for it would otherwise know more ids with
// every one, and go on reading refs of actors it left long ago.
func TestKeyIDsOfActorsLeftAreForgotten(t *testing.T) {
	ctx := testCtx(t, 60*time.Second)
	host(t, ctx, CounterKind, &Counter{}, uactor.AuthKey([]byte("OtherSecret"))) // holds the key throughout
	spawnCounter(t, ctx)                                                         // and the tree's key, held for good from the first Spawn
	base := uactor.KnownKeyIDs()
	var last []byte
	for range 3 {
		p := freePort(t)
		actor := spawn(t, ctx, MyActorKind, "tcp://127.0.0.1:"+p) // its process draws an id of its own for the key
		b, err := OtherRefBytes.Call(ctx, actor, uactor.Empty{})
		if err != nil {
			t.Fatal(err)
		}
		conn := connect(t, ctx, "localhost:"+p, "OtherSecret")
		var other uactor.Ref[*Counter]
		if err := other.UnmarshalBinary(b); err != nil {
			t.Fatalf("a ref to MyOtherActor while connected to it: %v", err)
		}
		conn.Close() // the ref holds the id now
		if _, err := Add.Call(ctx, other, 1); err != nil {
			t.Fatal(err)
		}
		other.Close()
		actor.Close()
		last = b
	}
	if n := uactor.KnownKeyIDs(); n != base {
		t.Errorf("after three actors reached and left, the keyring knows %d key ids; it knew %d before", n, base)
	}
	var again uactor.Ref[*Counter]
	if err := again.UnmarshalBinary(last); !errors.Is(err, uactor.ErrAuthKey) {
		again.Close()
		t.Errorf("a ref to an actor left, with nothing that learned its key id held: %v; want ErrAuthKey", err)
	}
}

// refHolderKind's spawn argument is a ref.
var refHolderKind = uactor.Define("ref-holder", func(context.Context, uactor.Ref[*Counter]) (*Counter, error) {
	return &Counter{}, nil
})

// A ref passed to an actor that lacks its key does not decode there, in a
// request or as the spawn argument: the caller's error matches ErrDecode
// and ErrAuthKey, so that it can tell the actor needs the key (Connect)
// from a request that is garbage, and is an *AuthKeyError that says to
// which actor.
func TestRefPassedToActorWithoutItsKey(t *testing.T) {
	ctx := testCtx(t, 20*time.Second)
	a := spawnCounter(t, ctx)                                      // the tree's key
	b := spawnCounter(t, ctx, uactor.AuthKey([]byte("other-key"))) // one a never learns
	_, err := AddVia.Call(ctx, a, b)
	if !errors.Is(err, uactor.ErrAuthKey) || !errors.Is(err, uactor.ErrDecode) {
		t.Fatalf("a.AddVia(b), b's key unknown to a = %v; want an error matching ErrAuthKey and ErrDecode", err)
	}
	if ake, ok := errors.AsType[*uactor.AuthKeyError](err); !ok || ake.Address != b.Address() {
		t.Fatalf("a.AddVia(b), b's key unknown to a = %v; want an *AuthKeyError naming %s", err, b.Address())
	}
	err = spawnFails(t, ctx, refHolderKind, b)
	if !errors.Is(err, uactor.ErrAuthKey) || !errors.Is(err, uactor.ErrDecode) {
		t.Fatalf("Spawn with b as the argument, b's key unknown to the child = %v; want an error matching ErrAuthKey and ErrDecode", err)
	}
	if ake, ok := errors.AsType[*uactor.AuthKeyError](err); !ok || ake.Address != b.Address() {
		t.Fatalf("Spawn with b as the argument, b's key unknown to the child = %v; want an *AuthKeyError naming %s", err, b.Address())
	}
}

// A ref decodes only as a Ref of its kind's actor type, where this
// process defines the kind: the bytes of a ref to a counter, read as a ref
// to a probe, would send probe calls to a counter.
func TestRefOfAnotherActorType(t *testing.T) {
	ctx := testCtx(t, 20*time.Second)
	c := spawnCounter(t, ctx)
	b, err := c.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var p uactor.Ref[*Probe]
	// ErrDecode, and not ErrWrongActor, which says a call was not sent:
	// in a response, this one was, and ran.
	err = p.UnmarshalBinary(b)
	if !errors.Is(err, uactor.ErrDecode) || errors.Is(err, uactor.ErrWrongActor) || !strings.Contains(fmt.Sprint(err), `"counter"`) {
		t.Fatalf("a counter's ref read as a Ref[*Probe]: %v; want ErrDecode naming its kind", err)
	}
	var again uactor.Ref[*Counter]
	if err := again.UnmarshalBinary(b); err != nil {
		t.Fatalf("a counter's ref read as a Ref[*Counter]: %v", err)
	}
	defer again.Close()
	if _, err := Add.Call(ctx, again, 1); err != nil {
		t.Fatal(err)
	}
}

// A ref that names a process id no process has (one that would read as a
// negative int, which kill(2) takes for a group, or every process) fails
// to decode.
func TestRefWithImpossiblePID(t *testing.T) {
	ctx := testCtx(t, 20*time.Second)
	c := spawnCounter(t, ctx)
	b, err := c.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	r := wire.NewReader(b[1:])
	kind, id, adv, _ := r.String(), r.Raw(16), r.String(), r.Uvarint()
	keyID := r.Raw(r.Len())
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	for _, pid := range []uint64{1 << 31, 1<<64 - 1} {
		forged := wire.AppendString([]byte{b[0]}, kind)
		forged = wire.AppendUvarint(wire.AppendString(append(forged, id...), adv), pid)
		forged = append(forged, keyID...)
		var got uactor.Ref[*Counter]
		if err := got.UnmarshalBinary(forged); !errors.Is(err, uactor.ErrDecode) {
			got.Close()
			t.Errorf("a ref naming process %d: PID %d, %v; want ErrDecode", pid, got.PID(), err)
		}
	}
}

// A ref passed to an actor (here from this process: a third one, to both
// actors) is called there.
func TestRefPassedToAnotherActor(t *testing.T) {
	ctx := testCtx(t, 20*time.Second)
	a, b := spawnCounter(t, ctx), spawnCounter(t, ctx)
	for want := int64(1); want <= 3; want++ {
		n, err := AddVia.Call(ctx, a, b)
		if err != nil || n != want {
			t.Fatalf("a.AddVia(b) = %d, %v; want %d", n, err, want)
		}
	}
	if n, _ := Add.Call(ctx, b, 0); n != 3 {
		t.Fatalf("b = %d; want the 3 adds a made", n)
	}
	if n, _ := Add.Call(ctx, a, 0); n != 0 {
		t.Fatalf("a = %d; want 0", n)
	}
}

// An actor hands out a live object it holds (a result proxy): two refs to
// it, from two calls, see each other's changes.
func TestHostedObjectSharedByRefs(t *testing.T) {
	ctx := testCtx(t, 20*time.Second)
	a := spawnCounter(t, ctx)
	r1, err := Shared.Call(ctx, a, uactor.Empty{})
	if err != nil {
		t.Fatal(err)
	}
	r2, err := Shared.Call(ctx, a, uactor.Empty{})
	if err != nil {
		t.Fatal(err)
	}
	if r1.PID() != a.PID() {
		t.Fatalf("hosted object's pid %d; want its host's %d", r1.PID(), a.PID())
	}
	if _, err := Add.Call(ctx, r1, 5); err != nil {
		t.Fatal(err)
	}
	if n, err := Add.Call(ctx, r2, 1); err != nil || n != 6 {
		t.Fatalf("through the second ref = %d, %v; want 6", n, err)
	}
	if n, _ := Add.Call(ctx, a, 0); n != 0 {
		t.Fatalf("the host's own count = %d; the hosted object is another value", n)
	}
}

// A ref whose actor was replaced by another at the same address (a restart
// on a fixed port) fails cleanly and never reaches the new actor. The first
// dies killed: one its owner closes says it is gone for good (GOAWAY), and
// the ref would not dial again at all.
func TestStaleRefAfterRestart(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	listen := "tcp://127.0.0.1:" + freePort(t)
	opts := []uactor.Option{uactor.Listen(listen), uactor.AuthKey([]byte("k"))}
	first := spawnCounter(t, ctx, opts...)
	stale := connect(t, ctx, listen, "k")
	if _, err := Add.Call(ctx, stale, 1); err != nil {
		t.Fatal(err)
	}
	killPID(first.PID())
	waitDone(t, first, 10*time.Second)
	second := spawnCounter(t, ctx, opts...)
	if _, err := Add.Call(ctx, stale, 1); !errors.Is(err, uactor.ErrWrongActor) {
		t.Fatalf("stale ref after a restart = %v; want ErrWrongActor", err)
	}
	if n, err := Calls.Call(ctx, second, uactor.Empty{}); err != nil || n != 0 {
		t.Fatalf("the new actor ran %d calls (%v); want none from the stale ref", n, err)
	}
}

// pair carries a ref inside a user type, written with the wire helpers.
type pair struct {
	Label string
	Ref   uactor.Ref[*Counter]
}

func (p pair) AppendBinary(b []byte) ([]byte, error) {
	return wire.AppendValue(wire.AppendString(b, p.Label), p.Ref)
}

func (p *pair) UnmarshalBinary(b []byte) error {
	r := wire.NewReader(b)
	p.Label = r.String()
	r.Value(&p.Ref)
	return r.Close()
}

func TestRefInsideUserType(t *testing.T) {
	ctx := testCtx(t, 20*time.Second)
	a := spawnCounter(t, ctx)
	b, err := pair{"a", a}.AppendBinary(nil)
	if err != nil {
		t.Fatal(err)
	}
	var got pair
	if err := got.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	if got.Label != "a" || got.Ref.PID() != a.PID() || got.Ref.Address() != a.Address() {
		t.Fatalf("decoded %+v; want a ref to %d at %s", got, a.PID(), a.Address())
	}
	if n, err := Add.Call(ctx, got.Ref, 2); err != nil || n != 2 {
		t.Fatalf("call through the decoded ref = %d, %v", n, err)
	}
}

// A decoded ref that its holder drops as it calls outlives the call: the
// collector, running while the call waits, must not release the
// connection under it (the call failed with ErrClosed).
func TestDecodedRefDroppedAsItCalls(t *testing.T) {
	ctx := testCtx(t, 20*time.Second)
	// An option of its own, so that the decoded ref shares no connection.
	a := spawnCounter(t, ctx, uactor.WriteTimeout(9*time.Second))
	b, err := a.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	stop, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		for {
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
				runtime.GC()
			}
		}
	}()
	err = callThroughDecoded(ctx, b)
	close(stop)
	<-stopped
	if err != nil {
		t.Fatalf("call through a decoded ref dropped as it called: %v", err)
	}
}

// A decoded ref's Done, held by a waiter without the ref: the collector,
// closing the ref, closes Done too, rather than leave the waiter waiting
// for ever on a channel nothing watches. A ref that is kept stays open.
func TestDecodedRefCollectedClosesDone(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	a := spawnCounter(t, ctx)
	b, err := a.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	kept, keptDone := decodeAndCall(t, ctx, b)
	_, dropped := decodeAndCall(t, ctx, b)
	for closed := false; !closed; {
		runtime.GC()
		select {
		case <-dropped:
			closed = true
		case <-time.After(10 * time.Millisecond):
		case <-ctx.Done():
			t.Fatal("Done of a decoded ref that no copy was left of never closed")
		}
	}
	select {
	case <-keptDone:
		t.Fatalf("Done of a decoded ref still held closed: %v", kept.Err())
	default:
	}
	if n, err := Add.Call(ctx, kept, 1); err != nil || n != 1 {
		t.Fatalf("call through the ref still held = %d, %v", n, err)
	}
	runtime.KeepAlive(kept)
}

// decodeAndCall decodes b into a ref and calls through it, and returns the
// ref and its Done.
//
//go:noinline
func decodeAndCall(t *testing.T, ctx context.Context, b []byte) (uactor.Ref[*Counter], <-chan struct{}) {
	t.Helper()
	var r uactor.Ref[*Counter]
	if err := r.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	if _, err := Add.Call(ctx, r, 0); err != nil {
		t.Fatal(err)
	}
	return r, r.Done()
}

// callThroughDecoded decodes a ref from b and makes one call through it,
// blocking for a second, its last use of the ref.
//
//go:noinline
func callThroughDecoded(ctx context.Context, b []byte) error {
	var r uactor.Ref[*Counter]
	if err := r.UnmarshalBinary(b); err != nil {
		return err
	}
	_, err := Block.Call(ctx, r, time.Second)
	return err
}
