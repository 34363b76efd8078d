package addr

import (
	"os"
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
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	return "unix://" + cleanSocket(wd+"/"+p), nil
}

// cleanSocket cleans p, an absolute socket path, as filepath.Clean does,
// but for a ".." after a symbolic link on this host: the system climbs out
// of the link's target there, not back to the link's directory, so the
// link is resolved first. Cleaned lexically, "link/../x.sock" would name
// a socket beside link, another than the one the path reaches.
func cleanSocket(p string) string {
	if !strings.Contains(p, "..") {
		return filepath.Clean(p)
	}
	out := "/"
	for _, c := range strings.Split(p, "/") {
		switch c {
		case "", ".":
		case "..":
			if fi, err := os.Lstat(out); err == nil && fi.Mode()&os.ModeSymlink != 0 {
				if r, err := filepath.EvalSymlinks(out); err == nil {
					out = r
				}
			}
			out = filepath.Dir(out)
		default:
			out = filepath.Join(out, c)
		}
	}
	return out
}

// RelativeSocket reports whether p, a Unix socket's name, is a path
// relative to a working directory: not absolute, and no Linux abstract
// name ("@name").
func RelativeSocket(p string) bool { return !filepath.IsAbs(p) && !strings.HasPrefix(p, "@") }
