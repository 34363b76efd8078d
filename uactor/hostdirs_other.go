//go:build !unix || solaris

package uactor

import (
	"errors"
	"os"
)

// tryLock fails: this system has no flock, so hosted values' directories
// get no lock file (see hostdirs.go).
func tryLock(*os.File) error { return errors.ErrUnsupported }
