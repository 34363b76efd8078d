package uactor_test

import (
	"context"
	"encoding"
	"io"
	"log/slog"
	"syscall"
	"time"

	"github.com/uactor-go/uactor/uactor"
)

// Every name of DESIGN.md's Public API and its additions, with the
// signature it gives there: programs written against the design compile
// only while these do (a conversion to the struct DESIGN.md writes out
// fails if a field is renamed, retyped or added).
var (
	_ func(string, func(context.Context, int64) (*Counter, error), ...uactor.Option) *uactor.Kind[*Counter, int64]                             = uactor.Define[*Counter, int64]
	_ func(*uactor.Kind[*Counter, int64], string, func(*Counter, context.Context, int64) (int64, error)) uactor.Method[*Counter, int64, int64] = uactor.Expose[*Counter, int64, int64, int64]
	_ func(uactor.Method[*Counter, int64, int64], context.Context, uactor.Ref[*Counter], int64) (int64, error)                                 = uactor.Method[*Counter, int64, int64].Call
	_ func(uactor.Method[*Counter, int64, int64], uactor.Ref[*Counter]) uactor.Handler[int64, int64]                                           = uactor.Method[*Counter, int64, int64].On
	_ func(context.Context, *uactor.Kind[*Counter, int64], int64, ...uactor.Option) (uactor.Ref[*Counter], error)                              = uactor.Spawn[*Counter, int64]
	_ func(context.Context, *uactor.Kind[*Counter, int64], string, []byte, ...uactor.Option) (uactor.Ref[*Counter], error)                     = uactor.Connect[*Counter, int64]
	_ func(context.Context, *uactor.Kind[*Counter, int64], *Counter, ...uactor.Option) (uactor.Ref[*Counter], error)                           = uactor.Host[*Counter, int64]
	_ func(uactor.Ref[*Counter]) string                                                                                                        = uactor.Ref[*Counter].Address
	_ func(uactor.Ref[*Counter]) int                                                                                                           = uactor.Ref[*Counter].PID
	_ func(uactor.Ref[*Counter]) error                                                                                                         = uactor.Ref[*Counter].Close
	_ func(uactor.Ref[*Counter]) <-chan struct{}                                                                                               = uactor.Ref[*Counter].Done
	_ func(uactor.Ref[*Counter]) error                                                                                                         = uactor.Ref[*Counter].Err
	_ func(uactor.Ref[*Counter], []byte) ([]byte, error)                                                                                       = uactor.Ref[*Counter].MarshalMsg
	_ func(*uactor.Ref[*Counter], []byte) ([]byte, error)                                                                                      = (*uactor.Ref[*Counter]).UnmarshalMsg
	_ func(uactor.Ref[*Counter]) int                                                                                                           = uactor.Ref[*Counter].Msgsize
	_ encoding.BinaryAppender                                                                                                                  = uactor.Ref[*Counter]{}
	_ encoding.BinaryUnmarshaler                                                                                                               = (*uactor.Ref[*Counter])(nil)
	_ func()                                                                                                                                   = uactor.Main
	_ func(string) uactor.Option                                                                                                               = uactor.Listen
	_ func([]byte) uactor.Option                                                                                                               = uactor.AuthKey
	_ func(...string) uactor.Option                                                                                                            = uactor.Capture
	_ func(string) uactor.Option                                                                                                               = uactor.Advertise
	_ func(int, time.Duration) uactor.Option                                                                                                   = uactor.Restart
	_ func(io.Writer) uactor.Option                                                                                                            = uactor.Output
	_ func(context.Context, string, string) context.Context                                                                                    = uactor.WithMetadata
	_ func(context.Context, string) (string, bool)                                                                                             = uactor.MetadataFrom
	_ func(*slog.Logger) uactor.Option                                                                                                         = uactor.Logger
	_ func() []byte                                                                                                                            = uactor.NewKey
	_ *error                                                                                                                                   = &uactor.ErrAuthKey
	_                                                                                                                                          = struct{ Address string }(uactor.AuthKeyError{})
	_                                                                                                                                          = struct{ Method, Message string }(uactor.RemoteError{})
	_                                                                                                                                          = struct {
		PID      int
		ExitCode int
		Signal   syscall.Signal
	}(uactor.ExitError{})
	_                                         = struct{}(uactor.Empty{})
	_ error                                   = &uactor.AuthKeyError{}
	_ error                                   = &uactor.RemoteError{}
	_ error                                   = &uactor.ExitError{}
	_ uactor.Handler[int, int]                = uactor.HandlerFunc[int, int](nil)
	_ func(context.Context, int) (int, error) = uactor.HandlerFunc[int, int](nil)
)
