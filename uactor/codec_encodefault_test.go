package uactor_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/uactor-go/uactor/uactor"
)

// faulty is a value whose encoding panics or fails when asked to: by
// AppendBinary, by MarshalBinary (marshalFaulty) or by MarshalMsg
// (msgpFaulty). Its zero value encodes.
type faulty struct{ mode string }

const (
	faultPanic = "panic"
	faultError = "error"
)

var errFaulty = errors.New("faulty cannot be encoded")

func fault(mode string) error {
	switch mode {
	case faultPanic:
		panic("faulty encoder")
	case faultError:
		return errFaulty
	}
	return nil
}

func (f faulty) AppendBinary(b []byte) ([]byte, error) {
	return append(b, f.mode...), fault(f.mode)
}
func (f *faulty) UnmarshalBinary(b []byte) error { f.mode = string(b); return nil }

type marshalFaulty struct{ faulty }

func (f *marshalFaulty) MarshalBinary() ([]byte, error) { return []byte(f.mode), fault(f.mode) }
func (f *marshalFaulty) UnmarshalBinary(b []byte) error { f.mode = string(b); return nil }

type msgpFaulty struct{ mode string }

func (f msgpFaulty) MarshalMsg(b []byte) ([]byte, error) {
	return append(append(b, 0xa0|byte(len(f.mode))), f.mode...), fault(f.mode) // a fixstr
}
func (f *msgpFaulty) UnmarshalMsg(b []byte) ([]byte, error) { f.mode = string(b[1:]); return nil, nil }

// faultyCase calls, through the actor, a method whose request fails to
// encode in the caller, and one whose response fails to encode in the actor.
type faultyCase struct {
	name     string
	request  func(ctx context.Context, r uactor.Ref[valuesActor], mode string) error
	response func(ctx context.Context, r uactor.Ref[valuesActor], mode string) error
}

func faultyMethods[T any](wrap func(faulty) T) faultyCase {
	name := reflect.TypeFor[T]().String()
	req := uactor.Expose(ValuesKind, "faulty request "+name, func(valuesActor, context.Context, T) (uactor.Empty, error) {
		return uactor.Empty{}, nil
	})
	resp := uactor.Expose(ValuesKind, "faulty response "+name, func(_ valuesActor, _ context.Context, mode string) (T, error) {
		return wrap(faulty{mode}), nil
	})
	return faultyCase{name,
		func(ctx context.Context, r uactor.Ref[valuesActor], mode string) error {
			_, err := req.Call(ctx, r, wrap(faulty{mode}))
			return err
		},
		func(ctx context.Context, r uactor.Ref[valuesActor], mode string) error {
			_, err := resp.Call(ctx, r, mode)
			return err
		}}
}

var faultyCases = []faultyCase{
	faultyMethods(func(f faulty) faulty { return f }),
	faultyMethods(func(f faulty) marshalFaulty { return marshalFaulty{f} }),
	faultyMethods(func(f faulty) msgpFaulty { return msgpFaulty{f.mode} }),
}

var valuesPing = uactor.Expose(ValuesKind, "ping", func(valuesActor, context.Context, uactor.Empty) (int, error) {
	return os.Getpid(), nil
})

// calm runs f, and returns what it panicked with, if it did.
func calm(f func() error) (err error, panicked any) {
	defer func() { panicked = recover() }()
	return f(), nil
}

// An encoder that panics or fails fails the call on the side that encoded,
// with an error that says the value did not encode and why, and the actor
// serves on: in the caller, the request is not sent; in the actor, the
// caller gets the error.
func TestEncodingFaultsFailTheCall(t *testing.T) {
	ctx := testCtx(t, 2*time.Minute)
	r := spawn(t, ctx, ValuesKind, uactor.Empty{})
	for _, c := range faultyCases {
		for _, mode := range []string{faultPanic, faultError} {
			for side, call := range map[string]func(context.Context, uactor.Ref[valuesActor], string) error{
				"request": c.request, "response": c.response,
			} {
				t.Run(c.name+"/"+side+"/"+mode, func(t *testing.T) {
					err, p := calm(func() error { return call(ctx, r, mode) })
					if p != nil {
						t.Fatalf("the call panicked: %v", p)
					}
					want := "encoding " + side
					if mode == faultError && (!errors.Is(err, errFaulty) && side == "request" || !strings.Contains(err.Error(), errFaulty.Error())) ||
						mode == faultPanic && !strings.Contains(fmt.Sprint(err), "faulty encoder") ||
						!strings.Contains(fmt.Sprint(err), want) {
						t.Errorf("err = %v; want one that says %q, and why", err, want)
					}
					if err := call(ctx, r, ""); err != nil {
						t.Fatalf("the same call with a value that encodes: %v", err)
					}
					if pid, err := valuesPing.Call(ctx, r, uactor.Empty{}); err != nil || pid != r.PID() {
						t.Fatalf("the actor after the fault: %d, %v", pid, err)
					}
				})
			}
		}
	}
}

// A spawn argument whose encoder panics or fails fails Spawn, which starts
// no process.
func TestEncodingFaultsFailSpawn(t *testing.T) {
	ctx := testCtx(t, time.Minute)
	for _, mode := range []string{faultPanic, faultError} {
		err, p := calm(func() error { return spawnFails(t, ctx, FaultyArgKind, faulty{mode}) })
		if p != nil {
			t.Fatalf("%s: Spawn panicked: %v", mode, p)
		}
		if err == nil || !strings.Contains(err.Error(), "argument") ||
			mode == faultError && !errors.Is(err, errFaulty) || mode == faultPanic && !strings.Contains(err.Error(), "faulty encoder") {
			t.Errorf("%s: Spawn: %v; want an error that says the argument did not encode, and why", mode, err)
		}
	}
	spawn(t, ctx, FaultyArgKind, faulty{})
}

var FaultyArgKind = uactor.Define("codec-faulty-arg", func(context.Context, faulty) (valuesActor, error) {
	return valuesActor{}, nil
})

// unfaulty is a value whose decoding panics or fails when its bytes say so.
type unfaulty struct{ mode string }

func (u unfaulty) AppendBinary(b []byte) ([]byte, error) { return append(b, u.mode...), nil }
func (u *unfaulty) UnmarshalBinary(b []byte) error {
	u.mode = string(b)
	return fault(u.mode)
}

var (
	unfaultyRequest = uactor.Expose(ValuesKind, "unfaulty request", func(valuesActor, context.Context, unfaulty) (uactor.Empty, error) {
		return uactor.Empty{}, nil
	})
	unfaultyResponse = uactor.Expose(ValuesKind, "unfaulty response", func(_ valuesActor, _ context.Context, mode string) (unfaulty, error) {
		return unfaulty{mode}, nil
	})
)

// A decoder that panics or fails fails the call with ErrDecode, on the
// side that decoded, and the actor serves on.
func TestDecodingFaultsFailTheCall(t *testing.T) {
	ctx := testCtx(t, time.Minute)
	r := spawn(t, ctx, ValuesKind, uactor.Empty{})
	for _, mode := range []string{faultPanic, faultError} {
		for side, call := range map[string]func() error{
			"request":  func() error { _, err := unfaultyRequest.Call(ctx, r, unfaulty{mode}); return err },
			"response": func() error { _, err := unfaultyResponse.Call(ctx, r, mode); return err },
		} {
			err, p := calm(call)
			if p != nil || !errors.Is(err, uactor.ErrDecode) {
				t.Errorf("%s %s: err %v, panic %v; want ErrDecode", side, mode, err, p)
			}
		}
		if pid, err := valuesPing.Call(ctx, r, uactor.Empty{}); err != nil || pid != r.PID() {
			t.Fatalf("the actor after a %s in decoding: %d, %v", mode, pid, err)
		}
	}
}

// errEncodeSentinel is a registered sentinel that an encoder returns.
var errEncodeSentinel = uactor.RegisterError("uactor_test.EncodeSentinel", errors.New("encode sentinel"))

// sentinelFaulty's AppendBinary fails with errEncodeSentinel when fail is set.
type sentinelFaulty struct{ fail bool }

func (s sentinelFaulty) AppendBinary(b []byte) ([]byte, error) {
	if s.fail {
		return b, errEncodeSentinel
	}
	return append(b, 0), nil
}
func (s *sentinelFaulty) UnmarshalBinary([]byte) error { return nil }

var sentinelFaultyResponse = uactor.Expose(ValuesKind, "sentinel faulty response",
	func(_ valuesActor, _ context.Context, fail bool) (sentinelFaulty, error) {
		return sentinelFaulty{fail}, nil
	})

// A response whose encoder fails with a registered sentinel reaches the
// caller as the *RemoteError doc.go promises, saying so: not as that
// sentinel, which the handler did not return (a caller that tests for it
// would take the failure for the handler's answer).
func TestResponseEncodingSentinelIsNotTheHandlers(t *testing.T) {
	ctx := testCtx(t, time.Minute)
	r := spawn(t, ctx, ValuesKind, uactor.Empty{})
	_, err := sentinelFaultyResponse.Call(ctx, r, true)
	var re *uactor.RemoteError
	if !errors.As(err, &re) || errors.Is(err, errEncodeSentinel) || !strings.Contains(fmt.Sprint(err), "encoding response") {
		t.Errorf("err = %v (a *RemoteError: %v, the sentinel: %v); want a *RemoteError that says the response did not encode",
			err, errors.As(err, &re), errors.Is(err, errEncodeSentinel))
	}
	if _, err := sentinelFaultyResponse.Call(ctx, r, false); err != nil {
		t.Fatalf("a response that encodes: %v", err)
	}
}
