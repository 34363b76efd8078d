package uactor

import (
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// listenUnix makes its socket without the net package's Listen: it must
// still serve, report where, remove its file on Close, and fail cleanly.
func TestListenUnix(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a.sock")
	ln, err := listenUnix(path)
	if err != nil {
		t.Fatal(err)
	}
	ln.(*net.UnixListener).SetUnlinkOnClose(true)
	if got := ln.Addr().String(); got != path {
		t.Errorf("Addr() = %q, want %q", got, path)
	}
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		c.Write([]byte("hi"))
		c.Close()
	}()
	c, err := net.DialTimeout("unix", path, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(5 * time.Second))
	b, err := io.ReadAll(c)
	c.Close()
	if err != nil || string(b) != "hi" {
		t.Fatalf("read %q, %v from the accepted connection", b, err)
	}

	// The path is taken while the listener lives.
	if ln2, err := listenUnix(path); err == nil {
		ln2.Close()
		t.Error("a second listener on the same path succeeded")
	} else if !errors.Is(err, syscall.EADDRINUSE) {
		t.Errorf("second listener: %v, want EADDRINUSE", err)
	}

	ln.Close()
	if _, err := os.Lstat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("socket file after Close: %v, want it gone", err)
	}

	for _, tc := range []struct {
		name, path string
		want       error
	}{
		{"too long", filepath.Join(dir, strings.Repeat("x", 200)), syscall.EINVAL},
		{"no directory", filepath.Join(dir, "missing", "a.sock"), syscall.ENOENT},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ln, err := listenUnix(tc.path)
			if err == nil {
				ln.Close()
				t.Fatal("listen succeeded")
			}
			if !errors.Is(err, tc.want) {
				t.Errorf("err = %v, want %v", err, tc.want)
			}
			if _, ok := errors.AsType[*net.OpError](err); !ok {
				t.Errorf("err = %T, want a *net.OpError", err)
			}
		})
	}
}
