package uactor

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"unicode/utf8"

	"github.com/uactor-go/uactor/internal/addr"
	"github.com/uactor-go/uactor/internal/returned"
	"github.com/uactor-go/uactor/uactor/wire"
)

// ErrAuthKey is matched (errors.Is) by every authentication failure: a
// handshake refused because the keys differ, or a ref naming an actor whose
// key this process does not know. It keeps its identity across processes:
// a call whose request held a ref the actor could not authenticate fails
// with an error that matches it (and ErrDecode) and, unless the ref's
// address is over 1024 bytes long, is an *AuthKeyError naming it.
var ErrAuthKey = errors.New("uactor: authkey refused or unknown")

// AuthKeyError is the concrete error behind ErrAuthKey: Address is the actor
// that could not be authenticated.
type AuthKeyError struct {
	Address string // the actor's address, as the ref or Connect named it
}

// Error says which actor could not be authenticated, and what to do about it.
func (e *AuthKeyError) Error() string {
	return fmt.Sprintf("uactor: authkey for %s is wrong or unknown to this process (Connect to it with its key first)", e.Address)
}

// Is reports whether target is ErrAuthKey.
func (e *AuthKeyError) Is(target error) bool { return target == ErrAuthKey }

// RemoteError is an error returned by an actor's method that was not
// registered with RegisterError: its message survives the trip, its type does not.
type RemoteError struct {
	Method  string // the method's name, as Define or Expose gave it
	Message string // the actor's message: the handler's error, or what else failed the call
}

// Error returns the method's name and the handler's message.
func (e *RemoteError) Error() string {
	return prefixed(e.Method, e.Message)
}

// prefixed is "uactor: what: msg", where msg may come from this package too
// (an actor's own error, say): the message says "uactor:" once.
func prefixed(what, msg string) string {
	return "uactor: " + what + ": " + once(msg)
}

// errorf is fmt.Errorf for this package's errors, which start with
// "uactor: " and often wrap errors that start with it too: the message says
// it once, and errors.Is and errors.As see every wrapped error.
func errorf(format string, a ...any) error {
	return &wrapped{fmt.Errorf(format, a...)}
}

type wrapped struct{ err error }

func (w *wrapped) Error() string { return "uactor: " + once(w.err.Error()) }
func (w *wrapped) Unwrap() error { return w.err }

// once drops the package's prefix wherever a message starts with it or
// wraps a message that does.
func once(msg string) string {
	msg = strings.TrimPrefix(msg, "uactor: ")
	if strings.Contains(msg, "uactor: ") {
		msg = strings.ReplaceAll(msg, ": uactor: ", ": ")
		msg = strings.ReplaceAll(msg, "(uactor: ", "(")
	}
	return msg
}

var (
	// ErrClosed is returned by calls on a ref that was closed, or to an actor that is stopping.
	ErrClosed = errors.New("uactor: actor closed")
	// ErrActorDied is returned by calls in flight when the connection to the
	// actor is lost (its process died, or the network failed): the outcome of
	// such a call is unknown, so it is never retried. Calls on a ref whose
	// actor is gone for good (see Ref.Done) fail with it too.
	ErrActorDied = errors.New("uactor: connection to actor lost")
	// ErrUnknownMethod is returned when the actor does not have the method
	// called, or, without sending the call, when the method is another
	// kind's than the ref's actor (kinds may share an actor type).
	ErrUnknownMethod = errors.New("uactor: unknown method")
	// ErrPanic is matched by the error of a call whose handler panicked,
	// ended its goroutine with runtime.Goexit (as t.FailNow does), or
	// returned an error that panicked when asked its message.
	ErrPanic = errors.New("uactor: handler panicked")
	// ErrProtocol is matched when the peer does not speak uactor's protocol or breaks it.
	ErrProtocol = errors.New("uactor: protocol error")
	// ErrWrongActor is returned when a ref's actor has been replaced by another
	// at the same address (a restart on a fixed port): the ref never reaches the
	// new one. Connect returns it for an actor of another kind. Either way the
	// call was not sent.
	ErrWrongActor = errors.New("uactor: actor at that address is not the one the ref names")
	// ErrBusy is returned for a call that the actor refused without running
	// it, because the connection already had as many calls in flight as the
	// actor allows (MaxInFlight). Connecting to an actor that serves as many
	// connections as it allows (MaxConnections) fails with an error that
	// matches it too: the actor, alive, refused the connection, and no call
	// was sent on it.
	ErrBusy = errors.New("uactor: too many calls in flight on this connection")
	// ErrDecode is wrapped by errors that come from bytes that do not decode
	// into the expected type.
	ErrDecode = errors.New("uactor: cannot decode value")
	// ErrTooLarge is matched by the error of a call whose request (which
	// then was not sent) or whose response (which the actor replaced with
	// this error) did not fit in a frame: within the smaller of the
	// caller's and the actor's MaxFrameSize. The connection and the other
	// calls on it carry on. Spawn's error matches it too for an argument
	// too large to reach the actor's process (which then is not started).
	ErrTooLarge = errors.New("uactor: message too large for a frame")
	// ErrNoMain is returned by Spawn and Standby when uactor.Main was not called at the start of main (or TestMain).
	ErrNoMain = errors.New("uactor: Spawn and Standby need uactor.Main() as the first statement of main (and of TestMain)")
)

// The context's errors keep their identity too: a handler that returns an
// error wrapping context.DeadlineExceeded (its own deadline, the caller's,
// ran out) gives its caller one that matches it, as gRPC's status codes do.
var (
	_ = RegisterError("context.DeadlineExceeded", context.DeadlineExceeded)
	_ = RegisterError("context.Canceled", context.Canceled)
	_ = RegisterError("uactor.ErrTooLarge", ErrTooLarge) // a response the actor could not send
)

// fullError is why an actor refused a connection at its MaxConnections
// bound, in a verdict that proved its key: it matches ErrBusy, and not
// ErrActorDied, since the actor is alive.
type fullError struct {
	addr string
	err  error // the handshake's
}

func (e *fullError) Error() string {
	return "uactor: the actor at " + e.addr + " refused the connection: it serves as many connections as it allows (MaxConnections)"
}

func (e *fullError) Is(target error) bool { return target == ErrBusy }

func (e *fullError) Unwrap() error { return e.err }

// tooLarge is an error wrapping frame.ErrTooLarge that fails one call: it
// matches ErrTooLarge as well, and reads as it did.
type tooLarge struct{ error }

func (e tooLarge) Is(target error) bool { return target == ErrTooLarge }

func (e tooLarge) Unwrap() error { return e.error }

// authKeyName names ErrAuthKey in an error frame of code 5 that names no
// registered sentinel: a request that did not decode because it holds a ref
// whose key the actor lacks tells its caller so (the fix is the actor's
// Connect), and, after a space, the ref's address, so that the caller's
// error is an *AuthKeyError as the actor's was. It is not a registered
// sentinel: a handler's own error that wraps a caller's sentinel and an
// ErrAuthKey keeps the caller's, as a frame names one.
const authKeyName = "uactor.ErrAuthKey"

// maxAuthKeyAddress is the longest address an error frame names after
// authKeyName and a space: with a shortened message, the frame still fits
// in the smallest MaxFrameSize.
const maxAuthKeyAddress = addr.MaxLen

// registered sentinels, by name, for errors that keep their identity across processes.
var sentinels struct {
	sync.RWMutex
	byName map[string]error
	names  []string // registration order: of unrelated matches, the first wins
}

// RegisterError declares err as a sentinel that keeps its identity across
// processes: when a handler returns an error e with errors.Is(e, err), the
// caller receives an error for which errors.Is(…, err) holds too, with e's
// message. The caller's error matches one sentinel, with what it wraps: of
// several that e matches, one that wraps the others, or else the first
// registered (context.DeadlineExceeded and context.Canceled come first).
// Every process involved must register the same name, typically from a
// package-level var:
//
//	var ErrNotFound = uactor.RegisterError("myapp.NotFound", errors.New("not found"))
//
// RegisterError panics if name is registered already, or if err is nil,
// which no error a handler returns would match.
func RegisterError(name string, err error) error {
	if err == nil {
		panic(fmt.Sprintf("uactor: RegisterError: %q with a nil error, which matches nothing", name))
	}
	sentinels.Lock()
	defer sentinels.Unlock()
	if sentinels.byName == nil {
		sentinels.byName = map[string]error{}
	}
	if _, dup := sentinels.byName[name]; dup {
		panic(fmt.Sprintf("uactor: RegisterError: %q registered twice", name))
	}
	sentinels.byName[name] = err
	sentinels.names = append(sentinels.names, name)
	return err
}

// sentinelName names the registered sentinel that err matches, for an
// error frame, which names one. Of several, it takes one that wraps the
// others (a sentinel wrapping context.DeadlineExceeded, not that), as the
// caller's error then matches them all; of unrelated ones, the first
// registered.
func sentinelName(err error) string {
	sentinels.RLock()
	defer sentinels.RUnlock()
	best := ""
	for _, name := range sentinels.names {
		s := sentinels.byName[name]
		if !errors.Is(err, s) {
			continue
		}
		if best == "" || errors.Is(s, sentinels.byName[best]) && !errors.Is(sentinels.byName[best], s) {
			best = name
		}
	}
	return best
}

func sentinelByName(name string) error {
	sentinels.RLock()
	defer sentinels.RUnlock()
	return sentinels.byName[name]
}

// sentinelError is what a registered error becomes on the caller's side.
type sentinelError struct {
	method, message string
	sentinel        error
}

func (e *sentinelError) Error() string { return prefixed(e.method, e.message) }
func (e *sentinelError) Unwrap() error { return e.sentinel }

// Is says that the handler returned it, whatever the sentinel wraps: a
// registered error that matches ErrBusy, say, still ran (see returned).
func (e *sentinelError) Is(target error) bool { return target == returned.ByHandler }

// Error codes in an error frame (PROTOCOL.md, "Error payload").
const (
	codeHandler byte = 1 // the handler returned an error
	codePanic   byte = 2 // the handler panicked
	codeMethod  byte = 3 // no such method
	codeClosed  byte = 4 // the actor is stopping
	codeDecode  byte = 5 // the request did not decode
	codeBusy    byte = 6 // over the actor's bound of calls in flight
	codeExpired byte = 7 // the call's deadline passed before its handler started
	codeServe   byte = 8 // bootstrap only: the actor was built but could not serve (its listener)
)

// appendError encodes err, with its code, as an error frame payload. An
// error whose own methods panic (a nil pointer in a non-nil error, say)
// goes as a panic, as a handler's does: it must not end the process.
func appendError(b []byte, code byte, err error) (payload []byte) {
	n := len(b)
	// returned, not recover's result, tells a panic from a return: under
	// GODEBUG=panicnil=1 a panic(nil) recovers as nil, and the payload
	// would be left empty, which the caller takes for a protocol error.
	returned := false
	defer func() {
		if r := recover(); !returned {
			payload = appendError(b[:n], codePanic, fmt.Errorf("panic: %v (in the methods of the %T it returned)", r, err))
		}
	}()
	b = append(b, code)
	name := ""
	if code == codeHandler || code == codeDecode {
		name = sentinelName(err)
	}
	if name == "" && code == codeDecode && errors.Is(err, ErrAuthKey) {
		name = authKeyName
		if ake, ok := errors.AsType[*AuthKeyError](err); ok && len(ake.Address) <= maxAuthKeyAddress {
			name += " " + ake.Address // so the caller's error is an *AuthKeyError too
		}
	}
	if code == codeServe {
		// The owner runs this same binary on this same system, so the
		// number means the same there: errors.Is(err, syscall.EADDRINUSE)
		// holds for Spawn as it does for Host.
		if errno, ok := errors.AsType[syscall.Errno](err); ok {
			name = strconv.FormatUint(uint64(errno), 10)
		}
	}
	b = wire.AppendString(b, name)
	payload = wire.AppendString(b, err.Error())
	returned = true
	return payload
}

// shortened is an error whose message is cut to maxShortened bytes, for an
// error frame that would not fit in a frame whole: errors.Is, so the
// registered sentinel's name, sees through it.
type shortened struct{ error }

// maxShortened is what shortened cuts a message to: well within the
// smallest MaxFrameSize.
const maxShortened = 1024

func (s shortened) Error() string {
	m := s.error.Error()
	n := min(maxShortened, len(m))
	for n > 0 && n < len(m) && !utf8.RuneStart(m[n]) {
		n--
	}
	return fmt.Sprintf("%s… (%d bytes cut)", m[:n], len(m)-n)
}

func (s shortened) Unwrap() error { return s.error }

// decodeError turns an error frame payload back into an error for the caller.
func decodeError(method string, p []byte) error {
	if len(p) == 0 {
		return fmt.Errorf("%w: empty error frame", ErrProtocol)
	}
	r := wire.NewReader(p[1:])
	name, msg := r.String(), r.String()
	if err := r.Close(); err != nil {
		return fmt.Errorf("%w: error frame: %w", ErrProtocol, err)
	}
	re := &RemoteError{Method: method, Message: msg}
	switch p[0] {
	case codeHandler:
		if s := sentinelByName(name); s != nil {
			return &sentinelError{method, msg, s}
		}
		return re
	case codePanic:
		return &remoteWrap{re, ErrPanic}
	case codeMethod:
		return &remoteWrap{re, ErrUnknownMethod}
	case codeClosed:
		return &remoteWrap{re, ErrClosed}
	case codeDecode:
		s := sentinelByName(name)
		if name == authKeyName {
			s = ErrAuthKey
		} else if at, ok := strings.CutPrefix(name, authKeyName+" "); ok {
			s = &AuthKeyError{Address: at}
		}
		if s != nil {
			return &remoteWrap{re, errors.Join(ErrDecode, s)}
		}
		return &remoteWrap{re, ErrDecode}
	case codeBusy:
		return &remoteWrap{re, ErrBusy}
	case codeExpired:
		return &remoteWrap{re, context.DeadlineExceeded}
	case codeServe:
		if n, err := strconv.ParseUint(name, 10, 32); err == nil && n != 0 {
			return &remoteWrap{re, syscall.Errno(n)}
		}
	}
	return re
}

// remoteWrap is a RemoteError that also matches one of this package's
// sentinels, a context error, or (for a failed bootstrap) a syscall.Errno.
type remoteWrap struct {
	*RemoteError
	kind error
}

func (e *remoteWrap) Unwrap() []error { return []error{e.RemoteError, e.kind} }
