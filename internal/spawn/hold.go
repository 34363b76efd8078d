package spawn

import (
	"bytes"
	"os"
	"time"
)

// holder reads one output pipe of a standby until a relay takes the pipe
// over, so that the standby never waits on a full pipe while nobody relays
// it: its binary's package inits may write before it is up. It keeps the
// first maxQueued bytes, whole lines, for that relay, and counts the lines
// past them.
type holder struct {
	f       *os.File
	kept    []byte
	full    bool          // past maxQueued: nothing more is kept
	dropped int           // lines not kept that have ended
	mid     bool          // full, and in a line not kept that has not ended
	done    chan struct{} // closed once the holder reads no more
}

// hold starts reading f, or returns nil if f's reads cannot be cut short
// (it is not in the runtime's poller), when it is left unread as before.
func hold(f *os.File) *holder {
	if f.SetReadDeadline(time.Time{}) != nil {
		return nil
	}
	h := &holder{f: f, done: make(chan struct{})}
	go h.run()
	return h
}

func (h *holder) run() {
	defer close(h.done)
	b := make([]byte, 16<<10)
	for {
		n, err := h.f.Read(b)
		h.keep(b[:n])
		if err != nil {
			return // take's deadline, or the pipe's end
		}
	}
}

// keep keeps p, unless that would pass maxQueued: then it keeps the lines
// before, and from there counts lines instead, each as it ends.
func (h *holder) keep(p []byte) {
	if !h.full && len(h.kept)+len(p) <= maxQueued {
		h.kept = append(h.kept, p...)
		return
	}
	if !h.full {
		h.full = true
		i := bytes.LastIndexByte(h.kept, '\n')
		h.mid = len(h.kept) > i+1 // the line cut short: counted when it ends
		h.kept = h.kept[:i+1]
	}
	if len(p) > 0 {
		h.dropped += bytes.Count(p, []byte{'\n'})
		h.mid = p[len(p)-1] != '\n'
	}
}

// take stops the holder and returns what it kept and how many lines it
// did not; the pipe is the caller's to read on. With skip, the holder
// stopped in a line it did not keep, counted in dropped: what the pipe
// holds up to that line's end is the rest of it, for the caller to skip.
func (h *holder) take() (kept []byte, dropped int, skip bool) {
	h.f.SetReadDeadline(time.Now())
	<-h.done
	h.f.SetReadDeadline(time.Time{})
	if h.mid {
		h.dropped++
	}
	return h.kept, h.dropped, h.mid
}
