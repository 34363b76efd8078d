package frame

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

// fuzzMax is the Reader's maximum in FuzzReader: small, so that a body the
// fuzzer declares can never make the Reader allocate much.
const fuzzMax = 64 << 10

// fuzzSeeds returns valid streams, plain or sealed with testKey, for
// FuzzReader's seed corpus; testdata/fuzz/FuzzReader holds the same kind of
// input so that it is also checked by a plain go test.
func fuzzSeeds(tb testing.TB, sealed bool) [][]byte {
	tb.Helper()
	streams := [][]Header{
		{{Type: TypeCall, ID: 1}},
		{{Type: TypePing}, {Type: TypePong}, {Type: TypeReply, ID: 1}},
		{{Type: TypeError, ID: 1<<64 - 1}, {Type: TypeCancel, ID: 2}, {Type: TypeGoAway}},
	}
	var out [][]byte
	for i, hs := range streams {
		var buf bytes.Buffer
		w := NewWriter(&buf, 0)
		if sealed {
			w.SetAEAD(newGCM(tb))
		}
		for j, h := range hs {
			if err := w.WriteFrame(h, pattern(i+j, (i+1)*j*7)); err != nil {
				tb.Fatal(err)
			}
		}
		out = append(out, buf.Bytes())
	}
	return out
}

// FuzzReader feeds arbitrary bytes to a Reader, plain or sealed. It must
// never panic, never return a payload over the maximum, fail only with the
// documented errors, stay failed, and everything it accepts must re-encode
// to exactly the bytes it read (so nothing is silently accepted or
// reinterpreted).
func FuzzReader(f *testing.F) {
	for _, sealed := range []bool{false, true} {
		for _, s := range fuzzSeeds(f, sealed) {
			f.Add(s, sealed)
		}
	}
	f.Add([]byte{0, 0, 0, 0}, false)
	f.Add([]byte{0xff, 0xff, 0xff, 0xff}, true)

	f.Fuzz(func(t *testing.T, data []byte, sealed bool) {
		r := NewReader(bytes.NewReader(data), fuzzMax)
		var again bytes.Buffer
		w := NewWriter(&again, fuzzMax)
		if sealed {
			r.SetAEAD(newGCM(t))
			w.SetAEAD(newGCM(t))
		}
		var err error
		for {
			var h Header
			var b *Buffer
			h, b, err = r.ReadFrame()
			if err != nil {
				break
			}
			if len(b.B) > fuzzMax {
				t.Fatalf("payload of %d bytes over the maximum %d", len(b.B), fuzzMax)
			}
			if werr := w.WriteFrame(h, b.B); werr != nil {
				t.Fatalf("accepted frame %+v does not re-encode: %v", h, werr)
			}
			b.Release()
		}
		if !bytes.HasPrefix(data, again.Bytes()) {
			t.Fatalf("accepted frames re-encode differently:\n got %x\nfrom %x", again.Bytes(), data)
		}
		switch {
		case err == io.EOF:
			if again.Len() != len(data) {
				t.Fatalf("io.EOF after %d of %d bytes", again.Len(), len(data))
			}
		case errors.Is(err, io.ErrUnexpectedEOF),
			errors.Is(err, ErrTooLarge),
			errors.Is(err, ErrMalformed),
			errors.Is(err, ErrAuthFailed):
		default:
			t.Fatalf("undocumented error %v", err)
		}
		if _, _, err2 := r.ReadFrame(); err2 != err {
			t.Fatalf("error not sticky: %v then %v", err, err2)
		}
	})
}

// TestFuzzSeedsValid makes sure the generated seeds are what they claim:
// complete, valid streams, so the fuzzer starts from deep inside the parser.
func TestFuzzSeedsValid(t *testing.T) {
	for _, sealed := range []bool{false, true} {
		for i, s := range fuzzSeeds(t, sealed) {
			r := NewReader(bytes.NewReader(s), fuzzMax)
			if sealed {
				r.SetAEAD(newGCM(t))
			}
			for {
				_, b, err := r.ReadFrame()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatalf("sealed=%v seed %d: %v", sealed, i, err)
				}
				b.Release()
			}
		}
	}
}
