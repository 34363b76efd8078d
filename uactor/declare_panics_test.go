package uactor_test

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/uactor-go/uactor/uactor"
)

// declared numbers the kinds these tests define, so that they can run more
// than once (-count): a kind cannot be defined twice.
var declared atomic.Int64

func newKindName() string { return fmt.Sprintf("declare-panics-%d", declared.Add(1)) }

func newEmpty(context.Context, uactor.Empty) (*int, error) { return new(int), nil }

func ping(*int, context.Context, uactor.Empty) (uactor.Empty, error) { return uactor.Empty{}, nil }

// panics returns what f panics with, or "" if it returns.
func panics(f func()) (msg string) {
	defer func() {
		if r := recover(); r != nil {
			msg = fmt.Sprint(r)
		}
	}()
	f()
	return ""
}

// Define and Expose panic, saying why, for each name and function their
// docs name: empty, reserved ("uactor." is the library's), taken, holding a
// NUL (Define), or nil.
func TestDeclarePanics(t *testing.T) {
	taken := newKindName()
	k := uactor.Define(taken, newEmpty)
	uactor.Expose(k, "ping", ping)
	for _, tc := range []struct {
		name, want string
		f          func()
	}{
		{"Define empty name", "reserved", func() { uactor.Define("", newEmpty) }},
		{"Define reserved name", "reserved", func() { uactor.Define("uactor.mine", newEmpty) }},
		{"Define taken name", "twice", func() { uactor.Define(taken, newEmpty) }},
		{"Define nil newActor", "nil", func() { uactor.Define[*int, uactor.Empty](newKindName(), nil) }},
		// A spawned actor finds its kind on its command line, which
		// cannot hold a NUL: such a kind could never be spawned.
		{"Define name with a NUL", "NUL", func() { uactor.Define(newKindName()+"\x00x", newEmpty) }},
		{"Expose empty name", "reserved", func() { uactor.Expose(k, "", ping) }},
		{"Expose reserved name", "reserved", func() { uactor.Expose(k, "uactor.info", ping) }},
		{"Expose taken name", "twice", func() { uactor.Expose(k, "ping", ping) }},
		{"Expose nil fn", "nil", func() { uactor.Expose[*int, uactor.Empty, uactor.Empty, uactor.Empty](k, "nilfn", nil) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if msg := panics(tc.f); !strings.Contains(msg, tc.want) {
				t.Errorf("panic %q; want one that says %q", msg, tc.want)
			}
		})
	}
}
