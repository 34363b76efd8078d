package uactor_test

// A server interceptor that answers a call with a nil response.

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/uactor-go/uactor/uactor"
)

// nilAnswers has methods of response types whose zero value is nil, and
// some whose zero value is not, each answering something else than zero.
type nilAnswers struct{}

func (nilAnswers) Bytes(context.Context, uactor.Empty) ([]byte, error) { return []byte("x"), nil }
func (nilAnswers) Empty(context.Context, string) (uactor.Empty, error) { return uactor.Empty{}, nil }
func (nilAnswers) Map(context.Context, uactor.Empty) (map[string]int64, error) {
	return map[string]int64{"x": 1}, nil
}
func (nilAnswers) Strings(context.Context, uactor.Empty) ([]string, error) { return []string{"x"}, nil }
func (nilAnswers) Int(context.Context, uactor.Empty) (int64, error)        { return 1, nil }

var (
	nilAnswersKind = uactor.Define("intercept-nil-answers", func(context.Context, uactor.Empty) (nilAnswers, error) {
		return nilAnswers{}, nil
	})
	nilAnswersBytes   = uactor.Expose(nilAnswersKind, "bytes", nilAnswers.Bytes)
	nilAnswersEmpty   = uactor.Expose(nilAnswersKind, "empty", nilAnswers.Empty)
	nilAnswersMap     = uactor.Expose(nilAnswersKind, "map", nilAnswers.Map)
	nilAnswersStrings = uactor.Expose(nilAnswersKind, "strings", nilAnswers.Strings)
	nilAnswersInt     = uactor.Expose(nilAnswersKind, "int", nilAnswers.Int)
)

// A server interceptor that returns nil and no error, without running the
// handler, answers the zero value of the method's response type, as a Go
// function's `return nil, nil` would; a nil of another type is still an
// error that names both types.
func TestServerInterceptorReturnsNil(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	answerNil := uactor.ServerInterceptors(func(ctx context.Context, info uactor.CallInfo, req any, handle uactor.ServerHandler) (any, error) {
		return nil, nil
	})
	r := host(t, ctx, nilAnswersKind, nilAnswers{}, answerNil)
	for _, tc := range []struct {
		name string
		call func() (zero bool, err error)
	}{
		{"[]byte", func() (bool, error) { v, err := nilAnswersBytes.Call(ctx, r, uactor.Empty{}); return len(v) == 0, err }},
		{"Empty", func() (bool, error) { _, err := nilAnswersEmpty.Call(ctx, r, "x"); return true, err }},
		{"map", func() (bool, error) { v, err := nilAnswersMap.Call(ctx, r, uactor.Empty{}); return len(v) == 0, err }},
		{"[]string", func() (bool, error) {
			v, err := nilAnswersStrings.Call(ctx, r, uactor.Empty{})
			return len(v) == 0, err
		}},
		{"int64", func() (bool, error) { v, err := nilAnswersInt.Call(ctx, r, uactor.Empty{}); return v == 0, err }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			zero, err := tc.call()
			if err != nil || !zero {
				t.Errorf("a call whose interceptor returned nil, nil: zero value %v, error %v; want the zero value and no error", zero, err)
			}
		})
	}

	typedNil := uactor.ServerInterceptors(func(ctx context.Context, info uactor.CallInfo, req any, handle uactor.ServerHandler) (any, error) {
		return (*[]byte)(nil), nil
	})
	w := host(t, ctx, nilAnswersKind, nilAnswers{}, typedNil)
	_, err := nilAnswersBytes.Call(ctx, w, uactor.Empty{})
	if want := "interceptor returned a response of type *[]uint8; want []uint8"; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("a call whose interceptor returned a nil *[]byte: %v; want it to say %q", err, want)
	}
}
