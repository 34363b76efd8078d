package addr

import (
	"os"
	"path/filepath"
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
