package uactor

import (
	"os"
	"path/filepath"
)

// socketPathRoom is what a socket's path adds to its base, at the longest:
// "/uactor-" and MkdirTemp's number, then a hosted value's
// "/hosted-<pid>-<count>/sock" (listenOn), with Linux's largest pid and a
// count of up to ten digits.
const socketPathRoom = len("/uactor-4294967295") + len("/hosted-4194304-4294967295/sock")

// makeSocketDir makes a private 0700 directory for an actor's Unix socket,
// in the first of socketBases that takes one. A base too long for a socket
// path inside it is passed over while others remain.
func makeSocketDir() (dir string, err error) {
	bases := socketBases()
	for i, base := range bases {
		// Absolute, as a relative TMPDIR is not: refs name the socket to
		// processes elsewhere, and this one may change its directory.
		if abs, err := filepath.Abs(base); err == nil {
			base = abs
		}
		if len(base)+socketPathRoom > maxSocketPath && i < len(bases)-1 {
			continue
		}
		if dir, err = os.MkdirTemp(base, "uactor-"); err == nil {
			return dir, nil
		}
	}
	return "", err
}

// socketBases lists where private socket directories may go, best first.
// TMPDIR, when set, is the user's choice and the only one. Otherwise
// XDG_RUNTIME_DIR (the per-user place for sockets) if it is this user's
// and no one else may enter it, as its specification requires (after su
// without -, it is still the other user's), then a memory
// filesystem (memoryDir), then the system's temporary directory.
//
// Memory ahead of the temporary directory because an actor's directory and
// socket are files made and removed with it: on a disk filesystem such as
// ext4 each costs journal work, and making one searches past those removed
// in the last seconds, so spawning in bursts grows slower the more it
// spawns.
func socketBases() []string {
	if d := os.Getenv("TMPDIR"); d != "" {
		return []string{d}
	}
	var bases []string
	if d := os.Getenv("XDG_RUNTIME_DIR"); d != "" && runtimeDirUsable(d) {
		bases = append(bases, d)
	}
	if d := memoryDir(); d != "" {
		bases = append(bases, d)
	}
	return append(bases, os.TempDir())
}

// runtimeDirUsable reports whether d is a directory of this user's that no
// one else may enter.
func runtimeDirUsable(d string) bool {
	fi, err := os.Stat(d)
	return err == nil && fi.IsDir() && ownedHere(fi) && fi.Mode().Perm()&0o077 == 0
}
