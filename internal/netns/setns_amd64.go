//go:build linux

package netns

const sysSetns = 308 // not in package syscall for this architecture
