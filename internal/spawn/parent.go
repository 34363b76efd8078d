package spawn

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// EnvKind is the environment variable that marks a re-executed child and
// names the kind it runs.
const EnvKind = "UACTOR_KIND"

// ChildError is returned by Start when the child reported that it could not
// start; Data is what it sent with the report.
type ChildError struct{ Data []byte }

// Error returns what the child reported.
func (e *ChildError) Error() string { return "spawn: child failed to start: " + string(e.Data) }

// Config says what to start.
type Config struct {
	Kind      string // the value of UACTOR_KIND in the child
	Bootstrap []byte // sent to the child as the first record
	Output    *Relay // takes the child's stdout and stderr; nil: they are this process's
}

// Process is a started child. Its zero value is not usable; Start makes one.
type Process struct {
	cmd    *exec.Cmd
	conn   net.Conn           // our end of the owner's connection (see Conn)
	ctl    net.Conn           // our end of the bootstrap socketpair
	done   chan struct{}      // closed once the child is reaped and its output relayed
	pid    int                // the child's, kept: releasing cmd.Process clears its Pid
	pidfd  int                // the child's pidfd, or -1; the reaper closes it
	status syscall.WaitStatus // how the child ended, valid after done
	known  bool               // status holds what the system reported

	outMu      sync.Mutex      // guards the five below: a standby's relay is set while it may exit
	reaped     bool            // exited has begun
	output     <-chan struct{} // closed once the output pipes are drained (nil: no relay)
	stopOutput func()          // ends the output's reading at once
	relay      *Relay
	spare      [2]*os.File // the output pipes' read ends, until a relay reads them
	held       [2]*holder  // a standby's: reading spare meanwhile (hold.go); nil: none
	sent       int         // how much of the bootstrap record went before the child started

	stopOnce sync.Once

	exitMu sync.Mutex
	onExit func() // run by exited once done is closed
}

// Start re-executes the running binary as a child for cfg.Kind, sends it the
// bootstrap record and waits until it reports ready (returning the ready
// record's data) or failure. If ctx ends first, the child is killed and
// reaped and ctx's error returned. Where a standby waits (see Standby) and
// cfg.Output is set, Start gives the bootstrap to the standby instead of
// starting a process. A ctx that has ended already starts nothing and
// takes no standby.
func Start(ctx context.Context, cfg Config) (*Process, []byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	boot, err := appendRecord(nil, TagBootstrap, cfg.Bootstrap)
	if err != nil {
		return nil, nil, err
	}
	if cfg.Output != nil {
		for p := takeStandby(); p != nil; p = takeStandby() {
			ready, err := p.claim(ctx, cfg.Output, boot)
			if err != errStale {
				return finish(p, ready, err)
			}
		}
	}
	p, err := startProcess(cfg.Kind, cfg.Output != nil, boot)
	if err != nil {
		return nil, nil, err
	}
	if cfg.Output != nil {
		p.relayTo(cfg.Output)
	}
	p.startReaper()
	ready, err := p.handshake(ctx, boot[p.sent:])
	return finish(p, ready, err)
}

// finish returns a started process, or discards it if its start failed.
func finish(p *Process, ready []byte, err error) (*Process, []byte, error) {
	if err != nil {
		p.discard()
		return nil, nil, err
	}
	return p, ready, nil
}

// discard ends a child nobody will use, if it still runs, and returns once
// it has been reaped and our ends of its sockets are closed.
func (p *Process) discard() {
	p.Kill()
	<-p.done
	p.conn.Close()
}

// startProcess starts a child for kind ("" for a standby), with output
// pipes for a relay if pipes is set, and writes as much of boot into the
// bootstrap socket, before the child starts, as the socket takes.
func startProcess(kind string, pipes bool, boot []byte) (*Process, error) {
	exe, err := executable()
	if err != nil {
		return nil, fmt.Errorf("spawn: locating the running binary: %w", err)
	}
	ours, theirs, err := socketpair()
	if err != nil {
		return nil, err
	}
	conn, theirConn, err := socketpair()
	if err != nil {
		ours.Close()
		theirs.Close()
		return nil, err
	}
	var outW, outR [2]*os.File
	if pipes {
		if outW, outR, err = outputPipes(); err != nil {
			ours.Close()
			theirs.Close()
			conn.Close()
			theirConn.Close()
			return nil, err
		}
	}
	arg := ArgPrefix + kind // the argument names the kind in ps and /proc/<pid>/cmdline
	if kind == "" {
		arg = ArgPrefix + standbyArg
	}
	newCmd := func() *exec.Cmd {
		cmd := exec.Command(exe, arg)
		if selfExe != "" {
			// The running binary itself, whatever its path names now
			// (removed, or replaced by another file); ps still shows exe.
			cmd.Path = selfExe
		}
		cmd.Env = childEnv(kind)
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
		if pipes {
			cmd.Stdout, cmd.Stderr = outW[0], outW[1]
		}
		cmd.ExtraFiles = []*os.File{theirs, theirConn} // fds 3 and 4 in the child
		cmd.SysProcAttr = sysProcAttr()
		return cmd
	}
	// The bootstrap goes into the socket before the child starts, as much
	// of it as the socket takes without waiting (all of it, unless the
	// spawn argument is large): the child finds it at its first read, with
	// no wait in its poller for the parent to be scheduled and write it.
	sent := writeNow(ours, boot)
	cmd := newCmd()
	err = startOnLockedThread(cmd)
	if err != nil && pidfdRefused(cmd.SysProcAttr, err) {
		cmd = newCmd() // without asking for a pidfd now
		err = startOnLockedThread(cmd)
	}
	theirs.Close()
	theirConn.Close()
	closeAll(outW[:]) // the child holds them now: its exit ends the pipes
	if err != nil {
		ours.Close()
		conn.Close()
		closeAll(outR[:])
		return nil, fmt.Errorf("spawn: starting %s: %w", exe, err)
	}
	return &Process{cmd: cmd, conn: conn, ctl: ours, done: make(chan struct{}), pid: cmd.Process.Pid,
		pidfd: pidfdOf(cmd.SysProcAttr), spare: outR, sent: sent}, nil
}

// relayTo has r read the child's output, unless the child is being reaped
// already (its pipes are closed then, and relayTo reports false).
func (p *Process) relayTo(r *Relay) bool {
	p.outMu.Lock()
	defer p.outMu.Unlock()
	if p.reaped {
		return false
	}
	if p.spare[0] != nil {
		p.readSpareLocked(r)
	}
	return true
}

// readSpareLocked has r read the output pipes set aside for a standby;
// p.outMu is held.
func (p *Process) readSpareLocked(r *Relay) {
	var held [2]heldOutput
	for i, h := range p.held {
		if h != nil {
			held[i].kept, held[i].dropped, held[i].skip = h.take()
		}
	}
	p.output, p.stopOutput = r.read(p.spare, p.pid, held)
	p.relay, p.spare, p.held = r, [2]*os.File{}, [2]*holder{}
}

// holdSpareLocked has a standby's output pipes read until a relay takes them
// over; p.outMu is held.
func (p *Process) holdSpareLocked() {
	for i, f := range p.spare {
		if f != nil {
			p.held[i] = hold(f)
		}
	}
}

// Conn returns the parent's end of a connection that only the parent and
// the child hold (a socketpair): the owner's own way to the actor, with no
// dial and nothing to authenticate. The caller owns it and must close it.
func (p *Process) Conn() net.Conn { return p.conn }

// handshake writes what is left of the bootstrap record and waits for the
// child's answer.
func (p *Process) handshake(ctx context.Context, rest []byte) ([]byte, error) {
	type result struct {
		tag  byte
		data []byte
		err  error
	}
	res := make(chan result, 1)
	go func() {
		if len(rest) > 0 {
			if _, err := p.ctl.Write(rest); err != nil {
				res <- result{err: err}
				return
			}
		}
		tag, data, err := readRecord(p.ctl)
		res <- result{tag, data, err}
	}()
	select {
	case r := <-res:
		switch {
		case errors.Is(r.err, ErrRecordTooLarge):
			// The child is alive and broke the protocol: it is killed
			// (discard), not waited for.
			return nil, fmt.Errorf("spawn: child %d sent a bad record: %w", p.PID(), r.err)
		case r.err != nil:
			select { // the child closed its end: it is exiting, say how
			case <-p.done:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
			return nil, &ExitedError{PID: p.PID(), Status: p.status, Known: p.known, Err: r.err}
		case r.tag == TagError:
			return nil, &ChildError{r.data}
		case r.tag == TagGone:
			// A standby that a SIGTERM ended as it was given the
			// record: it ran nothing of the actor's (claim).
			return nil, errStale
		case r.tag != TagReady:
			return nil, fmt.Errorf("spawn: child %d sent unexpected record %q", p.PID(), r.tag)
		}
		return r.data, nil
	case <-ctx.Done():
		p.ctl.Close() // unblocks the goroutine above
		return nil, ctx.Err()
	}
}

// outputLinger bounds how long a reaped child's output may still take to
// reach the relay's writer before Done closes: descendants that inherited
// the pipe may hold it open, and the writer may be slow.
const outputLinger = time.Second

// exited records how the reaped child ended, lets its output drain, and
// closes Done.
func (p *Process) exited(ws syscall.WaitStatus, known bool) {
	p.status, p.known = ws, known
	p.outMu.Lock() // from here on, relayTo refuses
	p.reaped = true
	if p.spare[0] != nil {
		// A standby that ended unclaimed: what it wrote (why it failed to
		// start, say) goes where an actor's output goes by default.
		p.readSpareLocked(NewRelay(os.Stderr, ArgPrefix+standbyArg, nil))
	}
	p.outMu.Unlock()
	if p.output != nil {
		t := time.NewTimer(outputLinger)
		lingered := false
		select {
		case <-p.output:
		case <-t.C:
			lingered = true // the timer's one tick is taken: Flush must not wait for it
		}
		p.stopOutput() // if a descendant still holds a pipe
		<-p.output
		if !lingered {
			p.relay.Flush(t.C)
		}
		t.Stop()
	}
	p.exitMu.Lock() // around the close: OnExit sees done closed only once f is taken
	close(p.done)
	f := p.onExit
	p.onExit = nil
	p.exitMu.Unlock()
	if f != nil {
		f()
	}
}

// OnExit has f run once the child has been reaped and Done is closed, on
// the goroutine that reaped it (or one of its own, if that has happened
// already), so that whoever watches a child needs no goroutine parked on
// Done while it lives. A later call replaces an f that the reaper has not
// taken yet; once it has (Done is closed then), a later f runs as well.
func (p *Process) OnExit(f func()) {
	p.exitMu.Lock()
	defer p.exitMu.Unlock()
	select {
	case <-p.done:
		go f()
	default:
		p.onExit = f
	}
}

// Exited reports whether the child has exited, though Done may still be
// open (its output draining, or its reaper not yet run): whatever is asked
// of it from now on, such as Stop, is not what ended it.
func (p *Process) Exited() bool {
	p.outMu.Lock()
	reaped := p.reaped
	p.outMu.Unlock()
	return reaped || exitedUnreaped(p.pid)
}

// Status returns how the child exited, and whether the system said; it is
// valid once Done is closed.
func (p *Process) Status() (ws syscall.WaitStatus, known bool) { return p.status, p.known }

// PID returns the child's process id.
func (p *Process) PID() int { return p.pid }

// Done is closed once the child has exited and been reaped.
func (p *Process) Done() <-chan struct{} { return p.done }

// Kill ends the child at once. The child is reaped in the background; wait on Done.
func (p *Process) Kill() {
	select {
	case <-p.done:
	default:
		p.cmd.Process.Kill()
	}
	p.ctl.Close()
}

// Stop asks the child to stop gracefully, giving the calls it runs grace at
// most (its own grace period, if shorter), waits up to wait for it to exit,
// then kills it; either way it returns only once the child has been reaped.
// The child is told both, so that it can stop its own children in time.
func (p *Process) Stop(grace, wait time.Duration) {
	p.stopOnce.Do(func() {
		p.ctl.SetWriteDeadline(time.Now().Add(time.Second))
		data := binary.BigEndian.AppendUint64(nil, uint64(max(grace, 0)))
		data = binary.BigEndian.AppendUint64(data, uint64(max(wait, 0)))
		if writeRecord(p.ctl, TagStop, data) == nil {
			t := time.NewTimer(wait)
			defer t.Stop()
			select {
			case <-p.done:
			case <-t.C:
			}
		}
		p.Kill()
		<-p.done
	})
	<-p.done
}

// executable is the running binary's path, looked up once: a process that
// spawns many actors need not read it from the system for each.
var executable = sync.OnceValues(os.Executable)

// ArgPrefix leads the one argument a child is started with, followed by
// its kind: it names the actor in ps, and means nothing to the child.
const ArgPrefix = "uactor:"

// childEnv is this process's environment, with EnvKind naming the kind and,
// unless the user set GORACE, atexit_sleep_ms=0: a child built with the race
// detector otherwise sleeps a second before every exit, and its owner's
// Close waits for that.
func childEnv(kind string) []string {
	env := make([]string, 0, len(os.Environ())+2)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, EnvKind+"=") {
			env = append(env, kv)
		}
	}
	if _, set := os.LookupEnv("GORACE"); !set {
		env = append(env, "GORACE=atexit_sleep_ms=0")
	}
	return append(env, EnvKind+"="+kind)
}

// socketpair returns our end as a net.Conn (so it has deadlines and works
// with the poller) and the child's end as a file to inherit.
func socketpair() (net.Conn, *os.File, error) {
	fds, err := socketpairCloexec()
	if err != nil {
		return nil, nil, fmt.Errorf("spawn: socketpair: %w", err)
	}
	f := os.NewFile(uintptr(fds[0]), "uactor-bootstrap")
	c, err := net.FileConn(f)
	f.Close()
	if err != nil {
		syscall.Close(fds[1])
		return nil, nil, fmt.Errorf("spawn: socketpair: %w", err)
	}
	return c, os.NewFile(uintptr(fds[1]), "uactor-bootstrap"), nil
}

func closeAll(files []*os.File) {
	for _, f := range files {
		if f != nil {
			f.Close()
		}
	}
}

// writeNow writes as much of b to c as the socket takes at once, without
// waiting for room, and returns how much that was.
func writeNow(c net.Conn, b []byte) int {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return 0
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return 0
	}
	n := 0
	rc.Write(func(fd uintptr) bool {
		for n < len(b) {
			m, err := syscall.Write(int(fd), b[n:])
			if err != nil || m <= 0 {
				break // full (EAGAIN) or failed: the rest, or the error, comes with a blocking write
			}
			n += m
		}
		return true // never wait
	})
	return n
}
