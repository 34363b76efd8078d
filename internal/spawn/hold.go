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
	dropped int           // lines not kept
	cut     bool          // the line cut short is counted, and its end has not come yet
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
// before, and from there counts lines instead.
func (h *holder) keep(p []byte) {
	if !h.full && len(h.kept)+len(p) <= maxQueued {
		h.kept = append(h.kept, p...)
		return
	}
	if !h.full {
		h.full = true
		i := bytes.LastIndexByte(h.kept, '\n')
		if len(h.kept) > i+1 {
			h.dropped++ // the line cut short
			h.cut = true
		}
		h.kept = h.kept[:i+1]
	}
	if h.cut {
		// The newline that ends the line cut short ends no other line:
		// that line is counted already.
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			return
		}
		h.cut = false
		p = p[i+1:]
	}
	h.dropped += bytes.Count(p, []byte{'\n'})
}

// take stops the holder and returns what it kept and how many lines it
// did not; the pipe is the caller's to read on.
func (h *holder) take() (kept []byte, dropped int) {
	h.f.SetReadDeadline(time.Now())
	<-h.done
	h.f.SetReadDeadline(time.Time{})
	return h.kept, h.dropped
}
