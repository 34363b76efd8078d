package uactor_test

import (
	"errors"
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
			if n := strings.Count(err.Error(), "uactor:"); n != 1 {
				t.Errorf("%q says uactor: %d times, want once", err, n)
			}
		})
	}
}
