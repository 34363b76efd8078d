//go:build linux

package netns

const sysSetns = 268 // not in package syscall for this architecture
