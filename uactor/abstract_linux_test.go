package uactor_test

import (
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/uactor-go/uactor/uactor"
)

// A Linux abstract name has no closing NUL, so it holds one byte more than
// a socket path: at its bound it serves and is dialled; past it, Host says
// so as it does of a path.
func TestAbstractSocketNameAtItsBound(t *testing.T) {
	ctx := testCtx(t, 20*time.Second)
	max := len(syscall.RawSockaddrUnix{}.Path) // "@" stands for the leading NUL
	name := func(n int) string {
		prefix := fmt.Sprintf("@uactor-test-%d-", time.Now().UnixNano())
		return prefix + strings.Repeat("a", n-len(prefix))
	}

	at, key := "unix://"+name(max), uactor.NewKey()
	r := host(t, ctx, CounterKind, &Counter{}, uactor.Listen(at), uactor.AuthKey(key))
	if got, err := Add.Call(ctx, r, 2); err != nil || got != 2 {
		t.Fatalf("Add through the hosting ref = %d, %v; want 2", got, err)
	}
	conn, err := uactor.Connect(ctx, CounterKind, at, key)
	if err != nil {
		t.Fatalf("Connect to an abstract name of %d bytes: %v", max, err)
	}
	defer conn.Close()
	if got, err := Add.Call(ctx, conn, 3); err != nil || got != 5 {
		t.Errorf("Add through Connect = %d, %v; want 5", got, err)
	}

	_, err = uactor.Host(ctx, CounterKind, &Counter{}, uactor.Listen("unix://"+name(max+1)))
	if err == nil {
		t.Fatalf("Host on an abstract name of %d bytes succeeded", max+1)
	}
	if want := fmt.Sprintf("abstract name is %d bytes, longer than the %d bytes", max+1, max); !strings.Contains(err.Error(), want) {
		t.Errorf("err = %v; want one that says %q", err, want)
	}
}
