// Package netns builds small simulated networks for tests: a few hosts,
// each a Linux network namespace with an address of its own, joined by a
// link that delays, drops and rate-limits packets the way a real network
// does.
//
// The kernel's own tool for that, the netem queueing discipline, is not
// available everywhere (it is a module that minimal kernels leave out), so
// the link lives in user space instead: every host has a TUN device, and a
// relay in the test process reads each IP packet one host sends, holds it
// for the link's delay (and for its serialization time at the link's rate,
// behind the packets queued before it), drops some, and writes the rest to
// the TUN device of the host the packet is addressed to. The hosts are the
// leaves of a star, and the relay is its hub: a packet crosses one link,
// with one delay and one chance of loss, from any host to any other.
//
// Everything needs root (CAP_NET_ADMIN and CAP_SYS_ADMIN), /dev/net/tun and
// the ip command. New skips the test with a message naming what is missing,
// except under CI=true, where a missing piece fails it: CI must run these
// tests, not skip them.
package netns
