package addr

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Only a relative socket path changes: against the working directory.
func TestAbsSocket(t *testing.T) {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ in, want string }{
		{"unix://a.sock", "unix://" + filepath.Join(wd, "a.sock")},
		{"unix://./d/../a.sock", "unix://" + filepath.Join(wd, "a.sock")},
		{"unix:///run/a.sock", "unix:///run/a.sock"},
		{"unix://@name", "unix://@name"},
		{"unix://", "unix://"},
		{"tcp://h:1", "tcp://h:1"},
		{"h:1", "h:1"},
	} {
		if got, err := AbsSocket(tc.in); err != nil || got != tc.want {
			t.Errorf("AbsSocket(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

// A ".." after a symbolic link climbs out of the link's target, as the
// system reads the path, not back to the link's own directory: the path
// made absolute (AbsSocket) and its canonical form (Canonical) name the
// socket the system would reach, not another at the lexically cleaned path.
func TestSocketPathDotDotAfterSymlink(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "a", "b"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join("a", "b"), filepath.Join(dir, "link")); err != nil {
		t.Skipf("no symbolic links here: %v", err)
	}
	// link/../x.sock is a/x.sock to the system; x.sock, beside link, is
	// another socket, where the path cleaned lexically leads.
	for _, p := range []string{filepath.Join(dir, "a", "x.sock"), filepath.Join(dir, "x.sock")} {
		ln, err := net.Listen("unix", p)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ln.Close() })
	}
	want, err := os.Stat(dir + "/link/../x.sock") // as the system reads it: no Join, which cleans
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	abs, err := AbsSocket("unix://link/../x.sock")
	if err != nil {
		t.Fatal(err)
	}
	canon, err := Canonical("unix://" + dir + "/link/../x.sock")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ what, got string }{
		{"AbsSocket", strings.TrimPrefix(abs, "unix://")},
		{"Canonical", canon.Target},
	} {
		if fi, err := os.Stat(tc.got); err != nil || !os.SameFile(fi, want) {
			t.Errorf("%s names %s (%v), another socket than link/../x.sock", tc.what, tc.got, err)
		}
	}
}
