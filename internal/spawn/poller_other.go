//go:build !linux

package spawn

import "sync/atomic"

// noPoller is for tests; there is no poller to refuse here.
var noPoller atomic.Bool

// watch is never made here: see watchReadable.
type watch struct{}

func (*watch) cancel() {}

// watchReadable returns nil: without a poller, callers wait with a
// goroutine each.
func watchReadable(int, func([]byte) bool, func()) *watch { return nil }
