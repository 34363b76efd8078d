package uactor

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestSocketDirGoesWhereTheEnvironmentSays checks the order in which a
// private socket directory's place is chosen, and that it is private.
func TestSocketDirGoesWhereTheEnvironmentSays(t *testing.T) {
	// Short names: t.TempDir's leave no room for a socket path.
	tmp, xdg := shortTempDir(t), shortTempDir(t)
	missing := filepath.Join(tmp, "gone")
	long := filepath.Join(tmp, strings.Repeat("x", 60)) // no room left either
	// A base whose longest socket path is the whole sockaddr, leaving no
	// byte for the path's closing NUL: one too long, by one byte.
	pathMax := len(syscall.RawSockaddrUnix{}.Path)
	edge := filepath.Join(tmp, strings.Repeat("y", pathMax-socketPathRoom-len(tmp)-1))
	for _, d := range []string{long, edge} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	open := shortTempDir(t) // others may enter it
	if err := os.Chmod(open, 0o755); err != nil {
		t.Fatal(err)
	}
	const anothers = "another user's XDG_RUNTIME_DIR is passed over"
	others := "" // another user's, made where this test may: as root
	if os.Geteuid() == 0 {
		others = shortTempDir(t)
		if err := os.Chown(others, 65534, 65534); err != nil {
			t.Fatal(err)
		}
	}
	if len(edge)+socketPathRoom != pathMax {
		t.Fatalf("edge base %s is %d bytes, want %d", edge, len(edge), pathMax-socketPathRoom)
	}
	fallback := memoryDir()
	if fallback == "" {
		fallback = os.TempDir()
	}
	for _, tc := range []struct {
		name, tmpdir, xdg string
		want              string // the parent the directory must be made in
	}{
		{"TMPDIR wins", tmp, xdg, tmp},
		{"XDG_RUNTIME_DIR without TMPDIR", "", xdg, xdg},
		{"an XDG_RUNTIME_DIR that is gone is passed over", "", missing, fallback},
		{"an XDG_RUNTIME_DIR too long for a socket is passed over", "", long, fallback},
		{"one with no room for the path's NUL is passed over", "", edge, fallback},
		{"an XDG_RUNTIME_DIR others may enter is passed over", "", open, fallback},
		{anothers, "", others, fallback},
		{"neither: memory if there is one", "", "", fallback},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.name == anothers && others == "" {
				t.Skip("not root: cannot make a directory of another user's")
			}
			t.Setenv("TMPDIR", tc.tmpdir)
			t.Setenv("XDG_RUNTIME_DIR", tc.xdg)
			dir, err := makeSocketDir()
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { os.RemoveAll(dir) })
			if got := filepath.Dir(dir); got != filepath.Clean(tc.want) {
				t.Errorf("made in %s, want %s", got, tc.want)
			}
			fi, err := os.Stat(dir)
			if err != nil {
				t.Fatal(err)
			}
			if perm := fi.Mode().Perm(); perm != 0o700 {
				t.Errorf("permissions %o, want 700", perm)
			}
		})
	}
}

// TestSocketDirTMPDIRIsTheOnlyChoice checks that a TMPDIR that cannot take
// a directory is reported, not silently replaced: the user chose it.
func TestSocketDirTMPDIRIsTheOnlyChoice(t *testing.T) {
	t.Setenv("TMPDIR", filepath.Join(t.TempDir(), "gone"))
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
	if dir, err := makeSocketDir(); err == nil {
		os.RemoveAll(dir)
		t.Fatalf("made %s although TMPDIR does not exist", dir)
	}
}

// shortTempDir makes a directory with a short path, removed when t ends:
// in /tmp where there is one, since TMPDIR may be long.
func shortTempDir(t *testing.T) string {
	t.Helper()
	base := ""
	if fi, err := os.Stat("/tmp"); err == nil && fi.IsDir() {
		base = "/tmp"
	}
	dir, err := os.MkdirTemp(base, "s")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}
