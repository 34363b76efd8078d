// Package spawn starts actor processes by re-executing the running binary, and
// lets such a child find its way back to its parent.
//
// The parent starts os.Executable() with one argument, "uactor:<kind>" (so
// that ps names the actor; the child ignores it), and one environment
// variable, UACTOR_KIND, naming the kind the child must run. Everything else
// (keys, addresses, the spawn argument) travels over a Unix socketpair that the
// child inherits as file descriptor 3, never in the environment or on the
// command line, so that it does not show in /proc/<pid>/environ or ps. A
// second socketpair, descriptor 4, is the owner's own connection to the
// actor: held by these two processes only, so it needs no dial and no handshake.
// Descriptors that the parent held without close-on-exec, which the exec
// passes on unasked, the child closes as it takes descriptors 3 and 4 (on
// Linux, where /proc/self/fd lists them).
// The child's stdout and stderr are pipes that a Relay reads, line by line;
// a process that started children and is about to exit calls FlushOutput,
// so that what they wrote so far is passed on first.
//
// The bootstrap channel carries records of the form
//
//	tag    uint8   'B' bootstrap, 'S' stop (parent to child); 'R' ready, 'E' error, 'W' warm (child to parent)
//	length uint32  big-endian, at most MaxRecord
//	data   length bytes
//
// The parent writes the bootstrap record before it starts the child, as
// much as the socket's buffer takes (the rest after), so that the child
// finds it at its first read.
//
// A standby (see Standby) is a child started before it has a kind:
// UACTOR_KIND is empty and its argument "uactor:(standby)". It opens its
// descriptors, writes a warm record, and waits in its read of the bootstrap,
// which names the kind when Start hands it one. A standby that died before
// it read the whole record ran nothing of the actor, and Start can tell:
// it was reaped already, or the write of the record fails (EPIPE), or the
// read of the answer fails with ECONNRESET rather than EOF (its end closed
// with the record unread). Start then hands the record to the next
// standby, or starts a process for it.
//
// The parent keeps its end open for as long as the child lives. When the
// parent dies, for whatever reason and from whatever thread it spawned, the
// kernel closes that end and the child reads EOF: that is how a child knows
// to exit. The Linux parent-death signal (SIGTERM, which the child handles
// like EOF, so that it removes its socket directories before it exits; not
// SIGKILL, which would cut that short) is a second line; since it
// fires when the spawning thread exits rather than the process, all children
// are started from one OS thread that never exits.
//
// On Linux the parent waits for all its children with one goroutine: an
// epoll set holds every child's output pipes and pidfd, and a child is
// reaped when its pidfd says it exited. Elsewhere, and on kernels without
// pidfds, a goroutine reads each pipe and another waits in os/exec's Wait,
// holding a thread.
package spawn
