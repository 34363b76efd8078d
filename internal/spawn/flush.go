package spawn

import (
	"sync"
	"time"
)

// live holds every output source still being read, so that a process about
// to exit can pass on what its children have written before it goes.
var live = struct {
	sync.Mutex
	sources map[*lineSource]struct{}
}{sources: map[*lineSource]struct{}{}}

// FlushOutput passes on what the processes this one started have written so
// far: it reads what their pipes hold, queues it (a line cut short too), and
// waits until their relays have written it, or until timeout. Their output
// is not relayed after it: a process calls it as it exits, so that lines
// its actors wrote before that do not go with it.
func FlushOutput(timeout time.Duration) {
	live.Lock()
	sources := make([]*lineSource, 0, len(live.sources))
	for s := range live.sources {
		sources = append(sources, s)
	}
	live.Unlock()
	expired := make(chan time.Time)
	t := time.AfterFunc(timeout, func() { close(expired) }) // closed, it ends every wait below
	defer t.Stop()
	relays := map[*Relay]bool{}
	for _, s := range sources {
		s.stop()
		relays[s.r] = true
	}
	for _, s := range sources {
		select {
		case <-s.finished:
		case <-expired:
			return
		}
	}
	for r := range relays {
		r.Flush(expired)
	}
}
