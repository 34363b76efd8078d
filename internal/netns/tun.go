//go:build linux

package netns

import (
	"fmt"
	"os"
	"syscall"
	"unsafe"
)

// TUN device ioctl and flags, from linux/if_tun.h.
const (
	tunSetIff = 0x400454ca
	iffTun    = 0x0001
	iffNoPI   = 0x1000
)

// openTUN creates a TUN device called name in the network namespace of the
// calling thread, and returns the file that carries its packets: each Read
// returns one IP packet the host sent, each Write hands one to the host.
func openTUN(name string) (*os.File, error) {
	fd, err := syscall.Open("/dev/net/tun", syscall.O_RDWR|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("netns: open /dev/net/tun: %w", err)
	}
	var req struct {
		name  [16]byte
		flags uint16
		_     [22]byte
	}
	copy(req.name[:15], name)
	req.flags = iffTun | iffNoPI
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, uintptr(fd), tunSetIff, uintptr(unsafe.Pointer(&req))); e != 0 {
		syscall.Close(fd)
		return nil, fmt.Errorf("netns: TUNSETIFF %s: %w", name, e)
	}
	// Non-blocking, so that the runtime's poller serves it and Close
	// interrupts a pending Read.
	if err := syscall.SetNonblock(fd, true); err != nil {
		syscall.Close(fd)
		return nil, fmt.Errorf("netns: %w", err)
	}
	return os.NewFile(uintptr(fd), "tun:"+name), nil
}
