package uactor_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/uactor-go/uactor/uactor"
)

// fdLinks maps each descriptor of process pid ("self" for this one) that
// names a pipe or a socket to what it names ("pipe:[123]"): names unique
// to one kernel object, which two processes share only by inheritance.
func fdLinks(t *testing.T, pid string) map[string]string {
	t.Helper()
	dir := filepath.Join("/proc", pid, "fd")
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	links := map[string]string{}
	for _, e := range ents {
		l, err := os.Readlink(filepath.Join(dir, e.Name()))
		if err == nil && (strings.HasPrefix(l, "pipe:") || strings.HasPrefix(l, "socket:")) {
			links[e.Name()] = l
		}
	}
	return links
}

// An actor's process holds none of its owner's pipes and sockets but its
// own output pipes (which the owner reads): not the other actors' pipes
// and sockets, started at the same time, nor a listener the owner hosts,
// nor a pipe that the owner holds without close-on-exec (one it inherited
// from a shell or a job runner that waits for the pipe's end, say). The
// same holds for an actor's own actor and the actor that started it.
// Before, a descriptor without close-on-exec went to every actor, which
// held it for its life.
func TestSpawnedProcessInheritsOnlyItsOwnDescriptors(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	var leaky [2]int
	if err := syscall.Pipe(leaky[:]); err != nil { // no close-on-exec: as a process inherits one
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Close(leaky[0]); syscall.Close(leaky[1]) })
	host(t, ctx, CounterKind, &Counter{}) // a listener of the owner's
	refs := make([]uactor.Ref[*Counter], 3)
	var wg sync.WaitGroup
	for i := range refs {
		wg.Go(func() { refs[i] = spawnCounter(t, ctx) })
	}
	wg.Wait()
	grandchild, err := SpawnChild.Call(ctx, refs[0], uactor.Empty{})
	if err != nil {
		t.Fatal(err)
	}
	check := func(owner, child string) {
		t.Helper()
		theirs := fdLinks(t, child)
		own := map[string]bool{theirs["1"]: true, theirs["2"]: true} // the output pipes
		ownerHas := map[string]string{}
		for fd, l := range fdLinks(t, owner) {
			ownerHas[l] = fd
		}
		for fd, l := range theirs {
			if ofd, ok := ownerHas[l]; ok && !own[l] {
				t.Errorf("process %s holds %s (its fd %s), its owner %s's fd %s", child, l, fd, owner, ofd)
			}
		}
		if len(theirs) == 0 {
			t.Errorf("process %s holds no pipe or socket: not a spawned actor's process?", child)
		}
	}
	for _, r := range refs {
		check("self", fmt.Sprint(r.PID()))
	}
	check(fmt.Sprint(refs[0].PID()), fmt.Sprint(grandchild))
}
