package uactor

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// A supervised actor keeps its address across its processes: a TCP port
// that the first bound is asked for again, and a Unix socket's path, which
// a process that ended without its clean-up leaves taken until the owner
// clears it.

// pinPort returns the TCP listen spec with its port replaced by the one bound.
func pinPort(spec string, bound address) string {
	a, err := parseAddress(spec)
	if err != nil {
		return bound.String()
	}
	host, _, _ := net.SplitHostPort(a.addr)
	_, port, _ := net.SplitHostPort(bound.addr)
	return "tcp://" + net.JoinHostPort(host, port)
}

// listenPath returns the path of the Unix socket that the actor's
// processes listen at, and what is there now (nil: nothing); "" for TCP
// or an abstract name, which leave no file behind.
func (s *supervisor) listenPath() (string, os.FileInfo) {
	a, err := parseAddress(s.boot.opts.listen)
	if err != nil || a.network != "unix" || strings.HasPrefix(a.addr, "@") {
		return "", nil
	}
	fi, _ := os.Lstat(a.addr)
	return a.addr, fi
}

// removeLeftSocket removes the socket file at path that a process of the
// actor left when it ended, killed say, after it listened and before it
// was ready. At a path the owner chose nothing else would, and every
// later Spawn there would fail with EADDRINUSE; in the private directory
// (the default) it goes with the directory, and this is harmless. Only a
// file that was not there before the start (before) and that nobody
// listens on goes: not a user's own file, nor the socket of another actor
// that won the path meanwhile.
func removeLeftSocket(path string, before os.FileInfo) {
	if path == "" {
		return
	}
	fi, err := os.Lstat(path)
	if err != nil || fi.Mode().Type() != os.ModeSocket || before != nil && os.SameFile(before, fi) {
		return
	}
	c, err := net.DialTimeout("unix", path, time.Second)
	if err == nil {
		c.Close()
		return
	}
	if errors.Is(err, syscall.ECONNREFUSED) {
		os.Remove(path)
	}
}

// clearAddress makes the actor's address free for a restart: the socket
// file that a killed process left, and its hosted values' directories
// (if exited did not remove them: a process that failed to start), are
// removed. The private directory is the owner's and stays while the actor
// restarts (its process removes it only once the owner is gone or stops it
// for good); it is made again only in case something else removed it; one
// that another user made in its place meanwhile (its name shows in the
// shared base) is not used.
func (s *supervisor) clearAddress() error {
	if dir := s.boot.dir; dir != "" {
		if err := os.Mkdir(dir, 0o700); err == nil {
			trackLockedDir(dir, lockDir(dir))
		} else if err := checkPrivateDir(dir); err != nil {
			return err
		}
		// Those that a process which failed to start left (exited removed
		// a reaped one's).
		s.removeHosted()
	}
	if s.addr.network == "unix" {
		if fi, err := os.Lstat(s.addr.addr); err == nil && fi.Mode().Type() == os.ModeSocket {
			os.Remove(s.addr.addr)
		}
	}
	return nil
}

// removeHosted removes the directories of the values that the actor's
// processes hosted; none of them serves now. Refs to those values find
// them gone, and give the values up at once. Listed, not globbed: the
// directory's own name may hold a pattern's characters ("[").
func (s *supervisor) removeHosted() {
	dir := s.boot.dir
	if dir == "" {
		return
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if e.IsDir() && strings.HasPrefix(e.Name(), "hosted-") { // not a link: ReadDir does not follow one
			os.RemoveAll(filepath.Join(dir, e.Name()))
		}
	}
}

// removeSocket removes the socket file that inc's process, reaped now,
// listened on and left (it was killed, say), if it is still that file: at
// a path the owner chose, outside the private directory, nothing else
// would, and a later actor could not listen there.
func (inc *incarnation) removeSocket() {
	if inc.sock == nil {
		return
	}
	path := inc.c.addr.addr
	if fi, err := os.Lstat(path); err == nil && os.SameFile(fi, inc.sock) {
		os.Remove(path)
	}
}
