package addr

import (
	"path/filepath"
	"strings"
)

// AbsSocket returns spec with a relative Unix socket path ("unix://a.sock")
// made absolute against this process's working directory, now: a path
// that refs and registries carry is read by other processes, in other
// directories. A Linux abstract name ("@name") is no path and stays as it
// is, as does anything that is no "unix://" address.
func AbsSocket(spec string) (string, error) {
	p, ok := strings.CutPrefix(spec, "unix://")
	if !ok || p == "" || !RelativeSocket(p) {
		return spec, nil
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	return "unix://" + abs, nil
}

// RelativeSocket reports whether p, a Unix socket's name, is a path
// relative to a working directory: not absolute, and no Linux abstract
// name ("@name").
func RelativeSocket(p string) bool { return !filepath.IsAbs(p) && !strings.HasPrefix(p, "@") }
