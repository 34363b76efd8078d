package uactor

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/uactor-go/uactor/internal/addr"
)

// address is a parsed actor address: network "unix" or "tcp".
type address struct {
	network string
	addr    string // a path, or host:port
}

// parseAddress accepts "unix:///path", "tcp://host:port" and plain "host:port" (TCP).
func parseAddress(s string) (address, error) {
	a, err := addr.Parse(s)
	if err != nil {
		return address{}, errorf("uactor: address %q: %w", s, err)
	}
	return address{a.Network, a.Target}, nil
}

func (a address) String() string { return a.network + "://" + a.addr }

// absSocket returns spec, an address given to option (Listen, Advertise,
// Connect, Capture), with a relative socket path made absolute against
// this process's working directory, now (addr.AbsSocket): the path is what
// refs name, and another process, or this one after a Chdir, would read it
// against another directory.
func absSocket(option, spec string) (string, error) {
	abs, err := addr.AbsSocket(spec)
	if err != nil {
		return "", fmt.Errorf("%s(%q): %w", option, spec, err)
	}
	return abs, nil
}

// absSockets makes o's Listen and Advertise socket paths absolute (see
// absSocket), where Spawn or Host is called.
func (o *options) absSockets() error {
	listen, err := absSocket("Listen", o.listen)
	if err != nil {
		return err
	}
	adv, err := absSocket("Advertise", o.advertise)
	if err != nil {
		return err
	}
	o.listen, o.advertise = listen, adv
	return nil
}

// named is a as the refs of an actor listening at a name it: a TCP address
// with no host reads 0.0.0.0.
func (a address) named() address {
	if a.network != "tcp" {
		return a
	}
	if host, port, err := net.SplitHostPort(a.addr); err == nil && host == "" {
		a.addr = net.JoinHostPort("0.0.0.0", port)
	}
	return a
}

// ownerDir is, in a spawned actor's process, the private directory its
// owner made for its socket and those of the values it hosts; set before
// any actor or hosted value serves.
var ownerDir string

// hostedSeq counts the values this process hosts in ownerDir.
var hostedSeq atomic.Uint64

// listenOn listens where spec says. "unix" (or "") makes a private 0700
// directory for the socket, returned as dir so that it can be removed
// (in a spawned actor's process, one inside ownerDir instead).
// The returned address is what refs name: the bound port fills in port 0,
// and an empty host reads 0.0.0.0.
func listenOn(spec string) (ln net.Listener, a address, dir string, err error) {
	if (spec == "" || spec == "unix") && ownerDir != "" {
		// A value hosted in an actor's process: its socket goes in the
		// directory the actor's owner made, which the owner removes even if
		// this process is killed, in a directory of its own that goes with
		// the value: a ref that finds it gone knows that the value is, as
		// for a value hosted elsewhere, and does not wait out DialTimeout
		// for a restart that hosted values never have. Its name is short,
		// this process's pid and a count (unique in the directory: a
		// restart is another process), so that a base long enough for the
		// actor's own socket, as the TMPDIR that macOS gives is, has room
		// for it too.
		dir = filepath.Join(ownerDir, fmt.Sprintf("hosted-%d-%d", os.Getpid(), hostedSeq.Add(1)))
		if err := os.Mkdir(dir, 0o700); err != nil {
			return nil, address{}, "", errorf("uactor: private socket directory: %w", err)
		}
		trackLockedDir(dir, nil) // removed as the process ends, too
		spec = "unix://" + filepath.Join(dir, "sock")
	}
	if spec == "" || spec == "unix" {
		dir, err = makeLockedDir()
		if err != nil {
			return nil, address{}, "", errorf("uactor: private socket directory: %w", err)
		}
		spec = "unix://" + filepath.Join(dir, "actor.sock")
	}
	a, err = parseAddress(spec)
	if err == nil && a.network == "unix" {
		if err = checkSocketPath(a, dir); err != nil {
			err = errorf("uactor: listen on %s: %w", a, err)
		}
	}
	if err != nil {
		removeDir(dir)
		return nil, address{}, "", err
	}
	if a.network == "unix" {
		ln, err = listenUnix(a.addr)
	} else {
		ln, err = listenConfig.Listen(context.Background(), a.network, a.addr)
	}
	if err != nil {
		removeDir(dir) // and its lock
		return nil, address{}, "", errorf("uactor: listen on %s: %w", a, err)
	}
	if a.network == "tcp" {
		host, _, _ := net.SplitHostPort(a.named().addr)
		_, port, _ := net.SplitHostPort(ln.Addr().String())
		a.addr = net.JoinHostPort(host, port)
	} else {
		ln.(*net.UnixListener).SetUnlinkOnClose(true)
	}
	return ln, a, dir, nil
}

// maxSocketPath is the longest path a Unix socket's address holds: the
// rest of it is the path's closing NUL. A Linux abstract name has none,
// and its leading "@" stands for the NUL it begins with, so it may be one
// byte longer (maxSocketPath+1, "@" included).
const maxSocketPath = len(syscall.RawSockaddrUnix{}.Path) - 1

// checkSocketPath fails, as bind and connect would but saying why, if a's
// path is too long for a Unix socket's address (maxSocketPath). dir is the
// private directory listenOn made for it, if any.
func checkSocketPath(a address, dir string) error {
	what, max := "path", maxSocketPath
	if strings.HasPrefix(a.addr, "@") {
		what, max = "abstract name", maxSocketPath+1
	}
	if len(a.addr) <= max {
		return nil
	}
	hint := ""
	if d := filepath.Dir(a.addr); d == dir || d == ownerDir {
		hint = " (its private directory went under TMPDIR, or the system default: set TMPDIR to a shorter directory)"
	}
	return fmt.Errorf("the %s is %d bytes, longer than the %d bytes a Unix socket's address holds%s: %w",
		what, len(a.addr), max, hint, syscall.EINVAL)
}

// listenConfig defers accepting TCP connections until their first bytes
// arrive, where the system can (sockopt_*.go): connections that stay
// silent then never take a handshake slot. Connections still silent after
// deferAccept are handed over anyway, and the handshake budget deals with
// them.
var listenConfig = net.ListenConfig{Control: func(network, _ string, c syscall.RawConn) error {
	if network != "tcp" && network != "tcp4" && network != "tcp6" {
		return nil
	}
	return deferAcceptOn(c)
}}

// deferAccept is how long the kernel holds a silent TCP connection back
// from Accept.
const deferAccept = 5 * time.Second

// advertised resolves an Advertise address against the one bound: port 0
// means the bound port, so that an actor listening on a free port can
// advertise a host name with it ("tcp://localhost:0").
func advertised(spec string, bound address) (string, error) {
	a, err := parseAddress(spec)
	if err != nil {
		return "", errorf("uactor: Advertise: %w", err)
	}
	if host, port, _ := net.SplitHostPort(a.addr); a.network == "tcp" && port == "0" && bound.network == "tcp" {
		_, bp, _ := net.SplitHostPort(bound.addr)
		a.addr = net.JoinHostPort(host, bp)
	}
	return a.String(), nil
}

// dialHint says what to check when nothing listens at a: the commonest
// cause is an actor that listens elsewhere than the caller thinks, such as
// one spawned without Listen, on a private Unix socket. A Unix socket path
// that does not exist may be another host's, from a ref that came from
// there: a path means something only on its own host.
func dialHint(a address, err error) string {
	switch {
	case a.network == "unix" && errors.Is(err, syscall.ENOENT):
		return " (nothing listens at that path on this host: unix:// refs reach only actors on the same host; " +
			"check that the actor runs here, and that its Listen names this address)"
	case errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ENOENT):
		return " (nothing listens there: check that the actor runs, and that its Listen names this address)"
	}
	return ""
}

// dialAddress connects to a, giving up at by, or once ctx ends.
func dialAddress(ctx context.Context, a address, by time.Time) (net.Conn, error) {
	if a.network == "unix" {
		if err := checkSocketPath(a, ""); err != nil {
			return nil, errorf("uactor: dial %s: %w", a, err)
		}
	}
	if f := testHookDial.Load(); f != nil {
		if err := (*f)(a, by); err != nil {
			return nil, errorf("uactor: dial %s: %w", a, err)
		}
	}
	d := net.Dialer{Deadline: by}
	c, err := d.DialContext(ctx, a.network, a.addr)
	if err != nil {
		return nil, errorf("uactor: dial %s: %w%s", a, err, dialHint(a, err))
	}
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetNoDelay(true)
	}
	return c, nil
}
