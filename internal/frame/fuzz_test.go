package frame

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"testing"
)

// fuzzMax is the Reader's maximum in FuzzReader: small, so that a body the
// fuzzer declares can never make the Reader allocate much.
const fuzzMax = 64 << 10

// readerSeeds returns FuzzReader's seed corpus: valid streams, plain or
// sealed with testKey, so that the fuzzer starts from deep inside the
// parser, and their truncations (see seed for what the names promise).
func readerSeeds(tb testing.TB) []seed {
	tb.Helper()
	streams := []struct {
		name string
		hs   []Header
	}{
		{"call", []Header{{Type: TypeCall, ID: 1}}},
		{"ping-pong-reply", []Header{{Type: TypePing}, {Type: TypePong}, {Type: TypeReply, ID: 1}}},
		{"error-cancel-goaway", []Header{{Type: TypeError, ID: 1<<64 - 1}, {Type: TypeCancel, ID: 2}, {Type: TypeGoAway}}},
	}
	var out []seed
	for _, sealed := range []bool{false, true} {
		mode := map[bool]string{false: "plain", true: "sealed"}[sealed]
		for i, st := range streams {
			var buf bytes.Buffer
			w := NewWriter(&buf, 0)
			if sealed {
				w.SetAEAD(newGCM(tb))
			}
			for j, h := range st.hs {
				if err := w.WriteFrame(h, pattern(i+j, (i+1)*j*7)); err != nil {
					tb.Fatal(err)
				}
			}
			b := buf.Bytes()
			out = append(out,
				seed{fmt.Sprintf("valid-%s-%s", mode, st.name), b, sealed},
				seed{fmt.Sprintf("truncated-%s-%s", mode, st.name), b[:len(b)-1], sealed})
		}
	}
	return append(out,
		seed{"malformed-plain-length-0", []byte{0, 0, 0, 0}, false},
		seed{"bomb-sealed-length-max", []byte{0xff, 0xff, 0xff, 0xff}, true})
}

// FuzzReader feeds arbitrary bytes to a Reader, plain or sealed. It must
// never panic, never return a payload over the maximum, fail only with the
// documented errors, stay failed, and everything it accepts must re-encode
// to exactly the bytes it read (so nothing is silently accepted or
// reinterpreted).
func FuzzReader(f *testing.F) {
	for _, s := range readerSeeds(f) {
		f.Add(s.data, s.sealed)
	}

	f.Fuzz(func(t *testing.T, data []byte, sealed bool) {
		r, w, again := fuzzEnds(t, data, sealed)
		err := readFuzzed(t, r, fuzzMax, func(h Header, p []byte) {
			if werr := w.WriteFrame(h, p); werr != nil {
				t.Fatalf("accepted frame %+v does not re-encode: %v", h, werr)
			}
		})
		if !bytes.HasPrefix(data, again.Bytes()) {
			t.Fatalf("accepted frames re-encode differently:\n got %x\nfrom %x", again.Bytes(), data)
		}
		if err == io.EOF && again.Len() != len(data) {
			t.Fatalf("io.EOF after %d of %d bytes", again.Len(), len(data))
		}
	})
}

// readFuzzed reads frames from r until it fails, hands each payload to
// accept (valid only during the call), and returns the error that ended the
// stream. It fails t if a payload exceeds limit, if the error is not one
// the Reader documents, or if r does not return it again.
func readFuzzed(t *testing.T, r *Reader, limit int, accept func(Header, []byte)) error {
	t.Helper()
	var err error
	for {
		var h Header
		var b *Buffer
		h, b, err = r.ReadFrame()
		if err != nil {
			break
		}
		if len(b.B) > limit {
			t.Fatalf("payload of %d bytes over the limit %d", len(b.B), limit)
		}
		accept(h, b.B)
		b.Release()
	}
	switch {
	case err == io.EOF,
		errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, ErrTooLarge),
		errors.Is(err, ErrMalformed),
		errors.Is(err, ErrAuthFailed):
	default:
		t.Fatalf("undocumented error %v", err)
	}
	if _, _, err2 := r.ReadFrame(); err2 != err {
		t.Fatalf("error not sticky: %v then %v", err, err2)
	}
	return err
}

// fuzzEnds returns a Reader of data and a Writer to again, both sealed with
// testKey if sealed is set: a fuzz target reads data and writes what it
// accepts back out, to check that nothing is reinterpreted.
func fuzzEnds(t *testing.T, data []byte, sealed bool) (r *Reader, w *Writer, again *bytes.Buffer) {
	again = new(bytes.Buffer)
	r, w = NewReader(bytes.NewReader(data), fuzzMax), NewWriter(again, fuzzMax)
	if sealed {
		r.SetAEAD(newGCM(t))
		w.SetAEAD(newGCM(t))
	}
	return r, w, again
}
