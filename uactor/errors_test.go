package uactor_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/uactor-go/uactor/uactor"
)

// TestErrorsSayUactorOnce drives real failures across processes and checks
// that each message names the package once while errors.Is still sees the
// cause: wrapping an error of this package must not stutter.
func TestErrorsSayUactorOnce(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	key := []byte("errors-say-uactor-once")
	r := spawnCounter(t, ctx, uactor.Listen("tcp://127.0.0.1:0"), uactor.AuthKey(key))

	closed := spawnCounter(t, ctx)
	closed.Close()

	dead := spawnCounter(t, ctx)
	if _, err := Add.Call(ctx, dead, 1); err != nil {
		t.Fatalf("first call: %v", err)
	}
	killPID(dead.PID())
	assertGone(t, dead.PID(), 5*time.Second)

	nobody := "tcp://127.0.0.1:" + freePort(t)

	// A listener that accepts and never says a word: a handshake that the
	// caller's context cuts short.
	silent := listenTCP(t)
	go func() {
		for {
			c, err := silent.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { c.Close() })
		}
	}()
	ended, cancelEnded := context.WithCancel(ctx)
	cancelEnded()

	cases := []struct {
		name string
		call func() error
		is   error // nil: any error will do
	}{
		{"handler error naming the package", func() error {
			_, err := Fail.Call(ctx, r, "uactor: inner failure")
			return err
		}, nil},
		{"closed ref", func() error { _, err := Add.Call(ctx, closed, 1); return err }, uactor.ErrClosed},
		{"killed actor", func() error { _, err := Add.Call(ctx, dead, 1); return err }, nil},
		{"wrong key", func() error { return connectAndCall(ctx, r.Address(), []byte("not the key")) }, uactor.ErrAuthKey},
		{"nothing listening", func() error {
			return connectAndCall(ctx, nobody, key, uactor.DialTimeout(2*time.Second))
		}, nil},
		{"Connect whose context ends in the handshake", func() error {
			cctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
			defer cancel()
			_, err := uactor.Connect(cctx, CounterKind, "tcp://"+silent.Addr().String(), key, uactor.HandshakeTimeout(time.Minute))
			return err
		}, context.DeadlineExceeded},
		{"Host with an ended context", func() error {
			_, err := uactor.Host(ended, CounterKind, &Counter{})
			return err
		}, context.Canceled},
		{"Host on an address in use", func() error {
			_, err := uactor.Host(ctx, CounterKind, &Counter{}, uactor.Listen("tcp://"+silent.Addr().String()))
			return err
		}, nil},
		{"Spawn with an ended context", func() error {
			_, err := uactor.Spawn(ended, CounterKind, 0)
			return err
		}, context.Canceled},
		{"truncated MessagePack ref", func() error {
			var ref uactor.Ref[*Counter]
			_, err := ref.UnmarshalMsg([]byte{0xc5, 0x01})
			return err
		}, uactor.ErrDecode},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.call()
			if err == nil {
				t.Fatal("no error")
			}
			if c.is != nil && !errors.Is(err, c.is) {
				t.Errorf("errors.Is(%v, %v) = false", err, c.is)
			}
			if n := strings.Count(err.Error(), "uactor:"); n != 1 || !strings.HasPrefix(err.Error(), "uactor: ") {
				t.Errorf("%q says uactor: %d times, want once, first", err, n)
			}
		})
	}
}

// errPicky is returned by pickyArg's UnmarshalBinary for bytes it refuses.
var errPicky = uactor.RegisterError("uactor_test.Picky", errors.New("picky: refused"))

// pickyArg is one byte, and refuses 0 with errPicky.
type pickyArg struct{ n byte }

func (p pickyArg) AppendBinary(b []byte) ([]byte, error) { return append(b, p.n), nil }

func (p *pickyArg) UnmarshalBinary(b []byte) error {
	if len(b) != 1 || b[0] == 0 {
		return errPicky
	}
	p.n = b[0]
	return nil
}

type pickyActor struct{}

var (
	pickyKind = uactor.Define("picky", func(context.Context, pickyArg) (*pickyActor, error) { return &pickyActor{}, nil })
	pickyTake = uactor.Expose(pickyKind, "take", func(*pickyActor, context.Context, pickyArg) (uactor.Empty, error) {
		return uactor.Empty{}, nil
	})
	pickySlow = uactor.Expose(pickyKind, "slow", func(*pickyActor, context.Context, uactor.Empty) (uactor.Empty, error) {
		return uactor.Empty{}, fmt.Errorf("take: %w", errPickySlow)
	})
)

// errPickySlow is a registered sentinel that wraps another, registered
// before it: context.DeadlineExceeded.
var errPickySlow = uactor.RegisterError("uactor_test.PickySlow", fmt.Errorf("picky: too slow: %w", context.DeadlineExceeded))

// A handler's error that wraps a registered sentinel, itself wrapping one
// registered before it, matches both at the caller, in another process.
func TestSentinelWrappingSentinelKeepsIdentity(t *testing.T) {
	ctx := testCtx(t, 20*time.Second)
	r := spawn(t, ctx, pickyKind, pickyArg{n: 1})
	if _, err := pickySlow.Call(ctx, r, uactor.Empty{}); !errors.Is(err, errPickySlow) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v; want errPickySlow and DeadlineExceeded", err)
	}
}

// A request or spawn argument whose decoding returns a registered sentinel
// fails its caller with ErrDecode and that sentinel.
func TestDecodeErrorKeepsRegisteredSentinel(t *testing.T) {
	ctx := testCtx(t, 20*time.Second)
	r := spawn(t, ctx, pickyKind, pickyArg{n: 1})
	if _, err := pickyTake.Call(ctx, r, pickyArg{n: 0}); !errors.Is(err, uactor.ErrDecode) || !errors.Is(err, errPicky) {
		t.Errorf("call with a refused request = %v; want ErrDecode and errPicky", err)
	}
	if err := spawnFails(t, ctx, pickyKind, pickyArg{n: 0}); !errors.Is(err, uactor.ErrDecode) || !errors.Is(err, errPicky) {
		t.Errorf("Spawn with a refused argument = %v; want ErrDecode and errPicky", err)
	}
}

// A name stands for one sentinel: a second RegisterError under it panics,
// naming it, as RegisterError's doc says.
func TestRegisterErrorTwicePanics(t *testing.T) {
	defer func() {
		if msg, _ := recover().(string); !strings.Contains(msg, "uactor_test.Negative") {
			t.Fatalf("second RegisterError of a name: panic %q; want one that names it", msg)
		}
	}()
	uactor.RegisterError("uactor_test.Negative", errors.New("another"))
	t.Fatal("RegisterError took a name already registered")
}

// A nil error matches no error a handler returns: registering one would
// declare a sentinel that never keeps its identity, so RegisterError
// panics, naming it, as it does for a name taken twice.
func TestRegisterErrorNilPanics(t *testing.T) {
	defer func() {
		if msg, _ := recover().(string); !strings.Contains(msg, "uactor_test.Nil") || !strings.Contains(msg, "nil") {
			t.Fatalf("RegisterError of a nil error: panic %q; want one that names it and says nil", msg)
		}
	}()
	uactor.RegisterError("uactor_test.Nil", nil)
	t.Fatal("RegisterError took a nil error")
}
