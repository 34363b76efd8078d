package uactor

import (
	"sync"
	"syscall"
)

// tmpfsMagic is the statfs type of tmpfs.
const tmpfsMagic = 0x01021994

// memoryDir is /dev/shm if it is a tmpfs, as it is on nearly every Linux
// system, and "" otherwise.
var memoryDir = sync.OnceValue(func() string {
	var fs syscall.Statfs_t
	if err := syscall.Statfs("/dev/shm", &fs); err != nil || int64(fs.Type) != tmpfsMagic {
		return ""
	}
	return "/dev/shm"
})
