package uactor_test

// Acceptance checks of the package's promises on identity, sealing and refs,
// written as an outside programmer would: through the public API, across
// real processes.

import (
	"context"
	"errors"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/uactor-go/uactor/uactor"
)

// A ref to an actor that was replaced by another at the same address (one
// closed by its owner, or killed, then another spawned there) fails
// cleanly and never reaches the new actor: the ref Connect returned, and
// the old actor's ref decoded from its bytes once the new one serves. The
// connected ref finds its actor gone (Done), and a new Connect reaches the
// new actor. On a Unix socket at a fixed path and on a fixed TCP port.
func TestAcceptReplacedActorAtSameAddress(t *testing.T) {
	const key = "replaced"
	for _, transport := range []string{"unix", "tcp"} {
		for _, how := range []string{"closed", "killed"} {
			t.Run(transport+"/"+how, func(t *testing.T) {
				ctx := testCtx(t, 60*time.Second)
				listen := "tcp://127.0.0.1:" + freePort(t)
				if transport == "unix" {
					listen = "unix://" + filepath.Join(t.TempDir(), "a.sock")
				}
				opts := []uactor.Option{uactor.Listen(listen), uactor.AuthKey([]byte(key))}
				first, err := uactor.Spawn(ctx, CounterKind, 0, opts...)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { first.Close() })
				if first.Address() != listen {
					t.Fatalf("Address() = %q; want %q", first.Address(), listen)
				}
				old, err := first.MarshalBinary()
				if err != nil {
					t.Fatal(err)
				}
				remote := connect(t, ctx, listen, key)
				if _, err := Add.Call(ctx, remote, 1); err != nil {
					t.Fatal(err)
				}
				if how == "killed" {
					killPID(first.PID())
					waitDone(t, first, 10*time.Second)
				} else {
					first.Close()
					assertGone(t, first.PID(), 10*time.Second)
				}
				second := spawnCounter(t, ctx, opts...)

				_, err = Add.Call(ctx, remote, 1)
				if err == nil || strings.Count(err.Error(), "uactor:") != 1 {
					t.Fatalf("call through the connected ref to the replaced actor = %v; want one clean error", err)
				}
				t.Logf("connected ref: %v", err)
				waitDone(t, remote, 10*time.Second)

				var decoded uactor.Ref[*Counter]
				if err := decoded.UnmarshalBinary(old); err == nil {
					_, err = Add.Call(ctx, decoded, 1)
					decoded.Close()
					if err == nil || !errors.Is(err, uactor.ErrWrongActor) {
						t.Fatalf("call through the old actor's ref, decoded now = %v; want ErrWrongActor", err)
					}
					t.Logf("decoded ref: %v", err)
				} else if !errors.Is(err, uactor.ErrAuthKey) {
					t.Fatalf("decoding the old actor's ref = %v", err)
				}
				expectUntouched(t, ctx, second)

				again := connect(t, ctx, listen, key)
				if pid, err := GetPID.Call(ctx, again, uactor.Empty{}); err != nil || pid != second.PID() {
					t.Fatalf("a new Connect reaches pid %d (%v); want the new actor's %d", pid, err, second.PID())
				}
			})
		}
	}
}

// Sealing is in force when either end asks for it (Sealed's godoc): with
// only one end turned off, a relay between the two sees no payload.
func TestAcceptSealedWhenEitherEndAsks(t *testing.T) {
	marker := []byte("ONE-SIDED-PLAINTEXT-91d3")
	for _, c := range []struct {
		name           string
		server, client []uactor.Option
	}{
		{"actor off", []uactor.Option{uactor.Sealed(false)}, nil},
		{"caller off", nil, []uactor.Option{uactor.Sealed(false)}},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx := testCtx(t, 20*time.Second)
			r := tcpCounter(t, "tcp://127.0.0.1:0", c.server...)
			rl := startRelay(t, r.Address(), nil)
			remote := connect(t, ctx, rl.addr(), "SECRET", c.client...)
			if got, err := Echo.Call(ctx, remote, marker); err != nil || string(got) != string(marker) {
				t.Fatalf("echo through the relay = %q, %v", got, err)
			}
			remote.Close()
			if rl.relayed() == 0 {
				t.Fatal("the relay carried nothing")
			}
			if rl.saw(marker) {
				t.Fatal("the relay saw the plaintext")
			}
		})
	}
}

// Between two actor processes over TCP (one calls the other through a ref
// it was handed, which names a relay by Advertise), the relay sees neither
// the metadata the call carries nor the answer.
func TestAcceptSealedBetweenActors(t *testing.T) {
	marker := "ACTOR-TO-ACTOR-PLAINTEXT-5e07"
	got, rl := relayBetweenActors(t, ProbeKind, ProbeRelay, marker)
	if !strings.HasPrefix(got, marker+" ") {
		t.Fatalf("a relays to b = %q; want the trace metadata back", got)
	}
	if rl.relayed() == 0 {
		t.Fatal("a did not reach b through the relay its ref names")
	}
	if rl.saw([]byte(marker)) {
		t.Fatal("the relay between two actor processes saw the plaintext")
	}
}

// relayBetweenActors spawns two actors of kind k, b on TCP behind a relay
// that b's refs name, and has a pass b's ref to relay with marker as the
// call's "trace" metadata. It returns a's answer and the relay.
func relayBetweenActors[A any](t *testing.T, k *uactor.Kind[A, uactor.Empty], relay uactor.Method[A, uactor.Ref[A], string], marker string) (string, *relay) {
	t.Helper()
	ctx := testCtx(t, 30*time.Second)
	p := freePort(t)
	rl := startRelay(t, "tcp://127.0.0.1:"+p, nil)
	b := spawn(t, ctx, k, uactor.Empty{}, uactor.Listen("tcp://127.0.0.1:"+p), uactor.Advertise("tcp://"+rl.addr()))
	a := spawn(t, ctx, k, uactor.Empty{})
	got, err := relay.Call(uactor.WithMetadata(ctx, "trace", marker), a, b)
	if err != nil {
		t.Fatalf("a relays to b: %v", err)
	}
	return got, rl
}

// A ref's MessagePack form is a bin value around its binary form, and
// Msgsize bounds it, for refs of every origin: spawned, connected (which
// names the dialled address), and advertised.
func TestAcceptRefFormsAgree(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	p := freePort(t)
	spawned := tcpCounter(t, "tcp://0.0.0.0:"+p)
	advertised := tcpCounter(t, "tcp://127.0.0.1:0", uactor.Advertise("tcp://localhost:0"))
	connected := connect(t, ctx, "localhost:"+p, "SECRET")
	for name, r := range map[string]uactor.Ref[*Counter]{"spawned": spawned, "advertised": advertised, "connected": connected} {
		bin, err := r.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		app, _ := r.AppendBinary([]byte("x"))
		msg, err := r.MarshalMsg(nil)
		if err != nil {
			t.Fatal(err)
		}
		if string(app[1:]) != string(bin) || len(msg) > r.Msgsize() || !strings.HasSuffix(string(msg), string(bin)) || len(msg)-len(bin) != 2 {
			t.Fatalf("%s: MarshalBinary % x, AppendBinary % x, MarshalMsg % x (Msgsize %d) disagree", name, bin, app[1:], msg, r.Msgsize())
		}
		var fromBin, fromMsg uactor.Ref[*Counter]
		if err := fromBin.UnmarshalBinary(bin); err != nil {
			t.Fatalf("%s: UnmarshalBinary: %v", name, err)
		}
		if rest, err := fromMsg.UnmarshalMsg(msg); err != nil || len(rest) != 0 {
			t.Fatalf("%s: UnmarshalMsg: %v, %d bytes left", name, err, len(rest))
		}
		if fromBin.Address() != fromMsg.Address() || fromBin.PID() != fromMsg.PID() || fromBin.PID() != r.PID() || fromBin.Advertised() != r.Advertised() {
			t.Fatalf("%s: decoded %s pid %d and %s pid %d; want %s pid %d", name, fromBin.Address(), fromBin.PID(), fromMsg.Address(), fromMsg.PID(), r.Advertised(), r.PID())
		}
		if name == "connected" && strings.Contains(r.Advertised(), "0.0.0.0") {
			t.Fatalf("%s: ref carries %s, which no other process can dial", name, r.Advertised())
		}
		if pid, err := GetPID.Call(ctx, fromMsg, uactor.Empty{}); err != nil || pid != r.PID() {
			t.Fatalf("%s: getpid through the decoded ref = %d, %v; want %d", name, pid, err, r.PID())
		}
		fromBin.Close()
		fromMsg.Close()
	}
}

// Two open Connects that capture the same address: closing one leaves the
// other's capture and key in force, and a ref decoded while captured keeps
// working after both are closed. A Connect without Capture, open beside
// the capturing one, keeps the key but not the capture.
func TestAcceptCaptureOutlivesOneOfTwoConnects(t *testing.T) {
	for _, secondCaptures := range []bool{true, false} {
		t.Run(map[bool]string{true: "both capture", false: "one captures"}[secondCaptures], func(t *testing.T) {
			ctx := testCtx(t, 30*time.Second)
			p := freePort(t)
			listen := "tcp://127.0.0.1:" + p
			actor := spawn(t, ctx, MyActorKind, listen)
			first := connect(t, ctx, "localhost:"+p, "OtherSecret", uactor.Capture(listen))
			var opts []uactor.Option
			if secondCaptures {
				opts = append(opts, uactor.Capture(listen))
			}
			second := connect(t, ctx, "localhost:"+p, "OtherSecret", opts...)
			held, err := MyOtherActor.Call(ctx, actor, uactor.Empty{})
			if err != nil || held.Address() != "tcp://localhost:"+p {
				t.Fatalf("while captured: %v, %q", err, held.Address())
			}
			t.Cleanup(func() { held.Close() })
			first.Close()
			other, err := MyOtherActor.Call(ctx, actor, uactor.Empty{})
			if err != nil {
				t.Fatalf("with the second Connect open: %v", err)
			}
			want := listen
			if secondCaptures {
				want = "tcp://localhost:" + p
			}
			if other.Address() != want {
				t.Fatalf("with the second Connect open, the ref reaches %s; want %s", other.Address(), want)
			}
			if pid, err := GetPID.Call(ctx, other, uactor.Empty{}); err != nil || pid != second.PID() {
				t.Fatalf("getpid = %d, %v; want %d", pid, err, second.PID())
			}
			other.Close()
			second.Close()
			if _, err := MyOtherActor.Call(ctx, actor, uactor.Empty{}); !errors.As(err, new(*uactor.AuthKeyError)) {
				t.Fatalf("with both Connects closed = %v; want *AuthKeyError", err)
			}
			if pid, err := GetPID.Call(ctx, held, uactor.Empty{}); err != nil || pid != second.PID() {
				t.Fatalf("a ref decoded while captured, after both Connects closed: getpid = %d, %v; want %d", pid, err, second.PID())
			}
		})
	}
}

// A Connect with the wrong key is refused even while this process holds an
// authenticated connection to the same actor with the right one: it shares
// nothing with it.
func TestAcceptWrongKeyBesideRightOne(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	for _, listen := range []string{"unix", "tcp://127.0.0.1:0"} {
		r := keyedCounter(t, "right", uactor.Listen(listen))
		good := connect(t, ctx, r.Address(), "right")
		if _, err := Add.Call(ctx, good, 1); err != nil {
			t.Fatal(err)
		}
		bad, err := uactor.Connect(ctx, CounterKind, r.Address(), []byte("wrong"))
		if err == nil {
			bad.Close()
		}
		var ake *uactor.AuthKeyError
		if !errors.As(err, &ake) || !errors.Is(err, uactor.ErrAuthKey) || ake.Address != r.Address() {
			t.Fatalf("%s: Connect with the wrong key beside a right one = %v; want *AuthKeyError for %s", listen, err, r.Address())
		}
		if n := calls(t, ctx, r); n != 1 {
			t.Fatalf("%s: %d handlers ran; want the one right call", listen, n)
		}
	}
}

// IPv6: an actor listening on ::1 or on all IPv6 interfaces reports its
// address in brackets, Connect reaches it by every spelling, a connected
// ref's bytes decode and work, and a forwarded ref naming [::] is captured
// by the address as Listen was given it.
func TestAcceptIPv6(t *testing.T) {
	for _, host := range []string{"[::1]", "[::]"} {
		t.Run(host, func(t *testing.T) {
			if l, err := net.Listen("tcp", "[::1]:0"); err != nil {
				t.Skipf("this host has no IPv6 loopback: %v", err)
			} else {
				l.Close()
			}
			ctx := testCtx(t, 30*time.Second)
			r := tcpCounter(t, "tcp://"+host+":0")
			p := port(t, r.Address())
			if r.Address() != "tcp://"+host+":"+p {
				t.Fatalf("Address() = %q; want tcp://%s:%s", r.Address(), host, p)
			}
			for _, at := range []string{"[::1]:" + p, "tcp://[::1]:" + p, r.Address()} {
				remote := connect(t, ctx, at, "SECRET")
				if pid, err := GetPID.Call(ctx, remote, uactor.Empty{}); err != nil || pid != r.PID() {
					t.Fatalf("Connect(%s): getpid = %d, %v; want %d", at, pid, err, r.PID())
				}
				b, err := remote.MarshalBinary()
				if err != nil {
					t.Fatal(err)
				}
				var again uactor.Ref[*Counter]
				if err := again.UnmarshalBinary(b); err != nil {
					t.Fatalf("Connect(%s): its ref's bytes (%s) do not decode: %v", at, remote.Advertised(), err)
				}
				if pid, err := GetPID.Call(ctx, again, uactor.Empty{}); err != nil || pid != r.PID() {
					t.Fatalf("Connect(%s), decoded as %s: getpid = %d, %v; want %d", at, again.Address(), pid, err, r.PID())
				}
				again.Close()
				remote.Close()
			}
			if host != "[::]" {
				return
			}
			q := freePort(t)
			listen := "tcp://[::]:" + q
			actor := spawn(t, ctx, MyActorKind, listen)
			var ake *uactor.AuthKeyError
			if _, err := MyOtherActor.Call(ctx, actor, uactor.Empty{}); !errors.As(err, &ake) || ake.Address != listen {
				t.Fatalf("forwarded ref without its key = %v; want *AuthKeyError for %s", err, listen)
			}
			conn := connect(t, ctx, "[::1]:"+q, "OtherSecret", uactor.Capture("tcp://[0::0]:"+q))
			other, err := MyOtherActor.Call(ctx, actor, uactor.Empty{})
			if err != nil || other.Address() != "tcp://[::1]:"+q {
				t.Fatalf("after Connect and Capture: %v, %q; want tcp://[::1]:%s", err, other.Address(), q)
			}
			if pid, err := GetPID.Call(ctx, other, uactor.Empty{}); err != nil || pid != conn.PID() {
				t.Fatalf("forwarded ref: getpid = %d, %v; want %d", pid, err, conn.PID())
			}
			other.Close()
		})
	}
}

// plainProbe is an actor whose kind turns sealing off: the kind's options
// apply to the refs of it that other processes decode, too.
type plainProbe struct{}

func (plainProbe) Meta(ctx context.Context, key string) (string, error) {
	v, _ := uactor.MetadataFrom(ctx, key)
	return v, nil
}

func (plainProbe) Relay(ctx context.Context, to uactor.Ref[plainProbe]) (string, error) {
	return plainMeta.Call(ctx, to, "trace")
}

var (
	plainProbeKind = uactor.Define("accept-plain-probe", func(context.Context, uactor.Empty) (plainProbe, error) { return plainProbe{}, nil },
		uactor.Sealed(false))
	plainMeta  = uactor.Expose(plainProbeKind, "meta", plainProbe.Meta)
	plainRelay = uactor.Expose(plainProbeKind, "relay", plainProbe.Relay)
)

// Sealed(false) given to Define turns sealing off between two actors of
// the kind, one calling the other through a ref it decoded: both ends
// take the kind's options, so a relay between them sees the call.
func TestAcceptUnsealedKindBetweenActors(t *testing.T) {
	marker := "UNSEALED-KIND-PLAINTEXT-2b44"
	if got, rl := relayBetweenActors(t, plainProbeKind, plainRelay, marker); got != marker {
		t.Fatalf("a relays to b = %q; want %q", got, marker)
	} else if !rl.saw([]byte(marker)) {
		t.Fatal("the relay saw no plaintext between two actors of a kind defined with Sealed(false)")
	}
}
