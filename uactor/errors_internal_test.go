package uactor

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// errUpstream is a sentinel of the caller's, as RegisterError declares one.
var errUpstream = RegisterError("uactor.test.Upstream", errors.New("upstream refused"))

// errUpstreamSlow and errUpstreamGone are sentinels that wrap sentinels
// registered before them: the context's, and the caller's own.
var (
	errUpstreamSlow = RegisterError("uactor.test.UpstreamSlow", fmt.Errorf("upstream slow: %w", context.DeadlineExceeded))
	errUpstreamGone = RegisterError("uactor.test.UpstreamGone", fmt.Errorf("gone: %w", errUpstream))
)

// A request that did not decode for want of a ref's key comes back as an
// *AuthKeyError naming the ref's address, as the actor's error was, so
// that the caller knows which actor the actor must Connect to. An address
// too long to name in the frame leaves ErrAuthKey alone.
func TestErrorFrameAuthKeyAddress(t *testing.T) {
	long := "tcp://" + strings.Repeat("h", maxAuthKeyAddress) + ":1"
	for _, tc := range []struct {
		name, addr string
		named      bool
	}{
		{"tcp", "tcp://10.0.0.5:7000", true},
		{"unix, a space in the path", "unix:///run/my actors/a.sock", true},
		{"too long to name", long, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := decodeError("m", appendError(nil, codeDecode, requestError{fmt.Errorf("arg: %w", &AuthKeyError{Address: tc.addr})}))
			if !errors.Is(got, ErrAuthKey) || !errors.Is(got, ErrDecode) {
				t.Fatalf("%v; want ErrAuthKey and ErrDecode", got)
			}
			ake, ok := errors.AsType[*AuthKeyError](got)
			switch {
			case ok != tc.named:
				t.Fatalf("%v: an *AuthKeyError: %v; want %v", got, ok, tc.named)
			case ok && ake.Address != tc.addr:
				t.Fatalf("*AuthKeyError names %q; want %q", ake.Address, tc.addr)
			}
		})
	}
}

// An error frame names at most one sentinel. A handler's error keeps the
// caller's registered sentinel even when it also wraps an ErrAuthKey (a
// call of its own that failed), and only a request that did not decode
// for want of a key carries ErrAuthKey. Of sentinels that wrap one another,
// the frame names the one that wraps the others, so that all of them match.
func TestErrorFrameIdentity(t *testing.T) {
	authKey := &AuthKeyError{Address: "tcp://10.0.0.5:7000"}
	for _, tc := range []struct {
		name    string
		code    byte
		err     error
		match   []error
		unmatch []error
	}{
		{"handler wraps a sentinel and an ErrAuthKey", codeHandler, fmt.Errorf("%w: %w", errUpstream, authKey), []error{errUpstream}, nil},
		{"handler returns a sentinel that wraps DeadlineExceeded", codeHandler, fmt.Errorf("query: %w", errUpstreamSlow),
			[]error{errUpstreamSlow, context.DeadlineExceeded}, []error{context.Canceled}},
		{"handler returns a sentinel that wraps another", codeHandler, errUpstreamGone, []error{errUpstreamGone, errUpstream}, nil},
		{"request with a ref whose key is unknown", codeDecode, requestError{authKey}, []error{ErrDecode, ErrAuthKey}, nil},
		{"request that is garbage", codeDecode, requestError{errors.New("short")}, []error{ErrDecode}, []error{ErrAuthKey}},
		{"request whose decoding returned a sentinel", codeDecode, requestError{fmt.Errorf("refused: %w", errUpstream)}, []error{ErrDecode, errUpstream}, []error{ErrAuthKey}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := decodeError("m", appendError(nil, tc.code, tc.err))
			for _, want := range tc.match {
				if !errors.Is(got, want) {
					t.Errorf("%v does not match %v", got, want)
				}
			}
			for _, not := range tc.unmatch {
				if errors.Is(got, not) {
					t.Errorf("%v matches %v", got, not)
				}
			}
		})
	}
}
