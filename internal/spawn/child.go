package spawn

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// bootstrapFD is where the child finds its end of the bootstrap socketpair
// (ExtraFiles[0]); ownerFD its end of the owner's connection (ExtraFiles[1]).
const (
	bootstrapFD = 3
	ownerFD     = 4
)

// Child is the child's side of the bootstrap channel.
type Child struct {
	Kind string   // the kind the parent asked this process to run; "" for a standby, whose kind comes with its bootstrap
	Conn net.Conn // the child's end of the owner's connection (Process.Conn)
	ctl  net.Conn
	sig  chan os.Signal // the parent-death signal, caught from the start
	eof  chan struct{}  // closed once Watch has read EOF on the channel: the parent is gone
}

// ChildKind reports whether this process was started by Start, and for which kind.
func ChildKind() (string, bool) {
	return os.LookupEnv(EnvKind)
}

// OpenChild takes over the bootstrap channel and removes EnvKind from the
// environment, so that actors spawned by this process are started afresh.
func OpenChild() (*Child, error) {
	kind, ok := ChildKind()
	if !ok {
		return nil, errors.New("spawn: not a child process")
	}
	os.Unsetenv(EnvKind)
	// Catch the parent-death signal at once: its default action would end
	// the process before it removes what it must (see Watch).
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM)
	// The owner decides this process's life, and its death ends it (Watch).
	// A terminal's SIGINT or SIGHUP, sent to the whole process group, and a
	// write to the output pipe of an owner that died (SIGPIPE, for fds 1 and
	// 2) would end it at once, leaving its directory behind: caught, they
	// do nothing (the write fails with EPIPE). Caught rather than ignored,
	// they keep their default in the programs an actor runs; one the owner
	// ignores (nohup's SIGHUP) is left ignored, so that they keep that too.
	var caught []os.Signal
	for _, s := range []os.Signal{syscall.SIGINT, syscall.SIGHUP, syscall.SIGPIPE} {
		if !signal.Ignored(s) {
			caught = append(caught, s)
		}
	}
	if len(caught) > 0 {
		signal.Notify(make(chan os.Signal, 1), caught...)
	}
	f := os.NewFile(bootstrapFD, "uactor-bootstrap")
	if f == nil {
		return nil, errors.New("spawn: no bootstrap descriptor")
	}
	c, err := net.FileConn(f)
	f.Close()
	if err != nil {
		return nil, fmt.Errorf("spawn: bootstrap descriptor: %w", err)
	}
	child := &Child{Kind: kind, ctl: c, sig: sig, eof: make(chan struct{})}
	if f := os.NewFile(ownerFD, "uactor-owner"); f != nil {
		child.Conn, err = net.FileConn(f)
		f.Close()
		if err != nil {
			c.Close()
			return nil, fmt.Errorf("spawn: owner descriptor: %w", err)
		}
	}
	closeInherited()
	return child, nil
}

// Bootstrap reads the parent's bootstrap record. A standby, which may
// wait for it long, gives up when the parent-death signal comes first,
// and tells the parent so (TagGone).
func (c *Child) Bootstrap() ([]byte, error) {
	if c.Kind != "" {
		return c.readBootstrap() // the parent wrote it before the exec, all or most of it
	}
	type result struct {
		data []byte
		err  error
	}
	res := make(chan result, 1)
	go func() {
		data, err := c.readBootstrap()
		if h := testHookBootstrapRead; h != nil {
			h()
		}
		res <- result{data, err}
	}()
	select {
	case r := <-res:
		return r.data, r.err
	case <-c.sig:
		// The record may have been read as the signal came: the parent,
		// told, hands it to another process, rather than take this end
		// for the actor's. A parent that is gone reads nothing.
		c.ctl.SetWriteDeadline(time.Now().Add(time.Second))
		writeRecord(c.ctl, TagGone, nil)
		return nil, errors.New("spawn: SIGTERM while waiting for a bootstrap")
	}
}

// testHookBootstrapRead, if set, runs in a standby once it has read its
// bootstrap record, before Bootstrap takes it: a test's child sets it to
// have a signal come just then.
var testHookBootstrapRead func()

func (c *Child) readBootstrap() ([]byte, error) {
	tag, data, err := readRecord(c.ctl)
	if err != nil {
		return nil, fmt.Errorf("spawn: reading bootstrap: %w", err)
	}
	if tag != TagBootstrap {
		return nil, fmt.Errorf("spawn: expected bootstrap record, got %q", tag)
	}
	return data, nil
}

// Warm tells the parent that this standby (a child started with no kind)
// is up and waits for its bootstrap.
func (c *Child) Warm() error { return writeRecord(c.ctl, TagWarm, nil) }

// Ready tells the parent that the actor serves; data says where.
func (c *Child) Ready(data []byte) error { return writeRecord(c.ctl, TagReady, data) }

// Fail tells the parent why the actor could not start; Start returns data in a *ChildError.
func (c *Child) Fail(data []byte) error { return writeRecord(c.ctl, TagError, data) }

// orphanWait is how long a child that got SIGTERM waits for the EOF that
// tells it its parent is gone, and not only one of the parent's threads.
const orphanWait = time.Second

// Watch waits, in the background, for the parent to ask for a graceful stop
// (onStop runs with the grace period the parent gives, and how long it
// waits for this process to exit before it kills it; each -1 if it named
// none) or to vanish: EOF on the channel, or the parent-death
// signal. Then onOrphan runs and should exit the process promptly; it is
// told whether the parent is gone. After a stop, a later EOF still
// calls onOrphan, so that a child that hangs while stopping still goes
// when its parent does; and if onOrphan(false) returns (the parent, alive,
// is stopping the child: it decides when the child goes), onOrphan(true)
// still runs at EOF.
//
// EOF is sure: only the parent holds the channel. A SIGTERM may come from
// anyone, and the kernel sends the parent-death signal when the parent's
// thread that started the child exits, before the rest of the parent has
// gone (getppid still names it then, if its other threads live on): so a
// SIGTERM says the parent is gone only if EOF follows within orphanWait.
func (c *Child) Watch(onStop func(grace, wait time.Duration), onOrphan func(parentGone bool)) {
	eof := c.eof
	go func() {
		for {
			tag, data, err := readRecord(c.ctl)
			if err != nil {
				close(eof)
				return
			}
			if tag == TagStop {
				grace, wait := stopDurations(data)
				go onStop(grace, wait)
			}
		}
	}()
	go func() {
		select {
		case <-c.sig:
			t := time.NewTimer(orphanWait)
			select {
			case <-eof:
				onOrphan(true)
			case <-t.C:
				onOrphan(false)
				<-eof
				onOrphan(true)
			}
		case <-eof:
			onOrphan(true)
		}
	}()
}

// ParentGone reports whether Watch has found the parent gone (EOF), without
// waiting: a process leaving by another way than onOrphan may have to
// remove what the parent would have.
func (c *Child) ParentGone() bool {
	select {
	case <-c.eof:
		return true
	default:
		return false
	}
}

// stopDurations reads a stop record's data: the grace period, then the
// wait, each a big-endian uint64 of nanoseconds, -1 where the data ends
// before it.
func stopDurations(data []byte) (grace, wait time.Duration) {
	grace, wait = -1, -1
	if len(data) >= 8 {
		grace = time.Duration(min(binary.BigEndian.Uint64(data), math.MaxInt64))
	}
	if len(data) >= 16 {
		wait = time.Duration(min(binary.BigEndian.Uint64(data[8:]), math.MaxInt64))
	}
	return grace, wait
}
