package uactor

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/uactor-go/uactor/internal/handshake"
)

// The library's own records. Messages are constant and the details are
// attributes, so that handlers can filter and count them.

// logHandshake records why a handshake with peer failed, at the level its
// cause deserves: a wrong key or a broken protocol at Warn, another actor
// where a ref expected its own at Info, a peer that went away or timed out
// (a port scanner, a dropped dial) at Debug. The handshake's errors never hold key
// material. An actor passes its limits (lim), since anyone who can connect
// provokes these records there; a client passes nil.
func logHandshake(l *slog.Logger, lim *handshakeLogs, role string, peer string, err error) {
	level, msg, which := slog.LevelDebug, "uactor: handshake abandoned", 0
	switch {
	case errors.Is(err, handshake.ErrAuth):
		level, msg, which = slog.LevelWarn, "uactor: authentication failed", 1
	case errors.Is(err, handshake.ErrWrongActor): // replaced at the same address: the ref refuses it
		level, msg, which = slog.LevelInfo, "uactor: another actor serves the address", 2
	case errors.Is(err, handshake.ErrNotUactor), errors.Is(err, handshake.ErrVersion), errors.Is(err, handshake.ErrProtocol):
		level, msg, which = slog.LevelWarn, "uactor: protocol error in handshake", 3
	}
	ctx := context.Background()
	if !l.Enabled(ctx, level) {
		return
	}
	args := []any{"role", role, "peer", peer, "err", err}
	if lim != nil {
		var ok bool
		if args, ok = lim[which].admit(args); !ok {
			return
		}
	}
	l.Log(ctx, level, msg, args...)
}

// handshakeLogs are an actor's limits on its records of failed
// handshakes, one for each message, so that a flood of one hides no other.
type handshakeLogs [4]logLimit

// logInterval is the least time between two records of one limit.
const logInterval = time.Second

// logLimit lets the first record through, then at most one a logInterval,
// and counts the ones it holds back for the next to tell.
type logLimit struct {
	mu      sync.Mutex
	next    time.Time // when the next record may go
	dropped int       // held back since the last one
}

// allow reports whether a record made at now may go, and if so how many
// were held back before it.
func (g *logLimit) allow(now time.Time) (ok bool, dropped int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if now.Before(g.next) {
		g.dropped++
		return false, 0
	}
	g.next = now.Add(logInterval)
	dropped, g.dropped = g.dropped, 0
	return true, dropped
}

// admit reports whether a record made now, with args, may go, and returns
// its args with how many were held back before it ("dropped"), if any. A
// nil g admits every record.
func (g *logLimit) admit(args []any) ([]any, bool) {
	if g == nil {
		return args, true
	}
	ok, dropped := g.allow(time.Now())
	if ok && dropped > 0 {
		args = append(args, "dropped", dropped)
	}
	return args, ok
}

// logFull records a key holder's connection refused at MaxConnections, at
// most one a logInterval: every ref in every process that holds on to a
// full actor dials it again, several times a second, and would otherwise
// flood its log.
func (s *server) logFull(peer string) {
	l := s.opts.log()
	if !l.Enabled(context.Background(), slog.LevelInfo) {
		return
	}
	args, ok := s.full.admit([]any{"peer", peer, "max", s.opts.maxConns})
	if !ok {
		return
	}
	l.Info("uactor: connection refused in its handshake: MaxConnections reached", args...)
}

// logRefused records a connection refused at MaxHandshakes, at Debug and at
// most one a logInterval: anyone who can connect provokes it, as fast as
// they connect.
func (s *server) logRefused() {
	l := s.opts.log()
	if !l.Enabled(context.Background(), slog.LevelDebug) {
		return
	}
	args, ok := s.refused.admit([]any{"max", s.opts.maxHS})
	if !ok {
		return
	}
	l.Debug("uactor: connection refused: MaxHandshakes reached", args...)
}

// logConnEnd records why a connection ended: a peer that hung up or a
// local close is churn (Debug); anything else dropped the peer (Warn). A
// peer that closes with frames of ours unread there resets the connection
// rather than ending it (ECONNRESET, or EPIPE on a write): it hung up too.
// An owner's connection to a process that was reaped is churn too: the
// supervisor's own record says how the process ended.
//
// An actor passes its limit on those Warn records (lim), since a key holder
// can break the protocol on connection after connection, as fast as
// handshakes go; a client passes nil.
func logConnEnd(l *slog.Logger, lim *logLimit, role string, peer string, err error) {
	if _, reaped := errors.AsType[*processEnded](err); reaped {
		l.Debug("uactor: connection closed", "role", role, "peer", peer, "err", err)
		return
	}
	if err == nil || errors.Is(err, io.EOF) || errors.As(err, new(goAwayError)) || errors.Is(err, net.ErrClosed) || errors.Is(err, ErrClosed) {
		l.Debug("uactor: connection closed", "role", role, "peer", peer)
		return
	}
	if errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) {
		l.Debug("uactor: connection closed", "role", role, "peer", peer, "err", err)
		return
	}
	if !l.Enabled(context.Background(), slog.LevelWarn) {
		return
	}
	args, ok := lim.admit([]any{"role", role, "peer", peer, "err", err})
	if !ok {
		return
	}
	l.Warn("uactor: dropped peer", args...)
}

// outputPanicLog returns what a spawned actor's relay calls when the
// Output writer panics: a record at Error, at most one a logInterval (a
// writer that panics on every line would otherwise flood the logger with
// one record a line), with how many were held back since the last.
func outputPanicLog(o *options, kind string) func(v any) {
	var lim logLimit
	return func(v any) {
		args, ok := lim.admit([]any{"kind", kind, "panic", fmt.Sprint(v)})
		if !ok {
			return
		}
		o.log().Error("uactor: Output writer panicked; its line is lost", args...)
	}
}

// peerName is what records call the other end of nc: its address, or for a
// Unix socket (whose client is unnamed) its process id, where the system
// tells it, and the socket it reached.
func peerName(nc net.Conn) string {
	if ra := nc.RemoteAddr(); ra != nil && ra.String() != "" && ra.String() != "@" {
		return ra.Network() + "://" + ra.String()
	}
	name := "unix client"
	if pid := unixPeerPID(nc); pid > 0 {
		name += " pid " + strconv.Itoa(pid)
	}
	if la := nc.LocalAddr(); la != nil && la.String() != "" {
		return name + " of " + la.String()
	}
	return name + " of a socketpair"
}

// How a logger travels to a spawned actor: its format and least level.
const (
	logDefault byte = iota // no Logger given: the child uses its slog.Default()
	logText
	logJSON
	logOff  // a logger that enables no level
	logKind // the kind's own logger, given to Define: the child has it too
)

// describeLogger says how l travels: JSON for a JSONHandler, text for any
// other handler, at the least level it enables.
func describeLogger(l *slog.Logger) (format byte, level slog.Level) {
	if l == nil {
		return logDefault, slog.LevelInfo
	}
	format = logText
	if _, ok := l.Handler().(*slog.JSONHandler); ok {
		format = logJSON
	}
	for lv := slog.LevelDebug - 4; lv <= slog.LevelError+4; lv++ {
		if l.Enabled(context.Background(), lv) {
			return format, lv
		}
	}
	return logOff, slog.LevelInfo
}

// childLogger is the logger a spawned actor's process uses, from what
// describeLogger said of its owner's: records go to its standard error.
func childLogger(format byte, level slog.Level) *slog.Logger {
	ho := &slog.HandlerOptions{Level: level}
	switch format {
	case logText:
		return slog.New(slog.NewTextHandler(os.Stderr, ho))
	case logJSON:
		return slog.New(slog.NewJSONHandler(os.Stderr, ho))
	case logOff:
		return slog.New(slog.DiscardHandler)
	}
	return nil
}
