package wire

import (
	"bytes"
	"errors"
	"math"
	"testing"
)

type pair struct{ A, B string }

func (p pair) AppendBinary(b []byte) ([]byte, error) {
	return AppendString(AppendString(b, p.A), p.B), nil
}

func (p *pair) UnmarshalBinary(b []byte) error {
	r := NewReader(b)
	p.A, p.B = r.String(), r.String()
	return r.Close()
}

func TestRoundTrip(t *testing.T) {
	var b []byte
	b = AppendUvarint(b, math.MaxUint64)
	b = AppendVarint(b, math.MinInt64)
	b = AppendBool(b, true)
	b = AppendFloat64(b, -2.5)
	b = AppendString(b, "héllo")
	b = AppendBytes(b, []byte{0, 1})
	b = append(b, 7, 8, 9)
	b, err := AppendValue(b, pair{"x", "yz"})
	if err != nil {
		t.Fatal(err)
	}
	long := pair{string(bytes.Repeat([]byte("a"), 300)), ""} // a 2-byte length
	b, _ = AppendValue(b, long)

	r := NewReader(b)
	if v := r.Uvarint(); v != math.MaxUint64 {
		t.Fatalf("Uvarint = %d", v)
	}
	if v := r.Varint(); v != math.MinInt64 {
		t.Fatalf("Varint = %d", v)
	}
	if !r.Bool() || r.Float64() != -2.5 || r.String() != "héllo" || !bytes.Equal(r.Bytes(), []byte{0, 1}) {
		t.Fatal("scalar fields")
	}
	if raw := r.Raw(3); !bytes.Equal(raw, []byte{7, 8, 9}) {
		t.Fatalf("Raw = %v", raw)
	}
	var p, q pair
	r.Value(&p)
	r.Value(&q)
	if err := r.Close(); err != nil || p != (pair{"x", "yz"}) || q != long {
		t.Fatalf("values %v %v, err %v", p, q, err)
	}
}

func TestReaderErrors(t *testing.T) {
	cases := []struct {
		name string
		in   []byte
		read func(r *Reader)
		want error
	}{
		{"empty uvarint", nil, func(r *Reader) { r.Uvarint() }, ErrShort},
		{"bytes longer than input", []byte{5, 'a'}, func(r *Reader) { r.Bytes() }, ErrShort},
		{"bad bool", []byte{2}, func(r *Reader) { r.Bool() }, ErrInvalid},
		{"uvarint past 64 bits", []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02}, func(r *Reader) { r.Uvarint() }, ErrInvalid},
		{"varint of eleven bytes", append(bytes.Repeat([]byte{0x80}, 10), 0), func(r *Reader) { r.Varint() }, ErrInvalid},
		{"uvarint cut short", []byte{0x80}, func(r *Reader) { r.Uvarint() }, ErrShort},
		// A tenth byte that says more follow: past 64 bits whatever follows.
		{"uvarint whose tenth byte goes on, at the end", bytes.Repeat([]byte{0x80}, 10), func(r *Reader) { r.Uvarint() }, ErrInvalid},
		{"varint whose tenth byte goes on, at the end", bytes.Repeat([]byte{0xff}, 10), func(r *Reader) { r.Varint() }, ErrInvalid},
		{"uvarint of nine bytes that go on", bytes.Repeat([]byte{0xff}, 9), func(r *Reader) { r.Uvarint() }, ErrShort},
		{"short float", []byte{1, 2, 3}, func(r *Reader) { r.Float64() }, ErrShort},
		{"raw past the end", []byte{1}, func(r *Reader) { r.Raw(2) }, ErrShort},
		{"raw of a negative count", []byte{1}, func(r *Reader) { r.Raw(-1) }, ErrShort},
		{"string whose length is past 64 bits", bytes.Repeat([]byte{0xff}, 10), func(r *Reader) { _ = r.String() }, ErrInvalid},
		{"trailing", []byte{1, 2}, func(r *Reader) { r.Uvarint() }, ErrTrailing},
		{"huge length", AppendUvarint(nil, math.MaxUint64), func(r *Reader) { _ = r.String() }, ErrShort},
	}
	for _, c := range cases {
		r := NewReader(c.in)
		c.read(r)
		if err := r.Close(); !errors.Is(err, c.want) {
			t.Errorf("%s: err = %v; want %v", c.name, err, c.want)
		}
	}
}

func TestFirstErrorSticks(t *testing.T) {
	r := NewReader([]byte{0xff})
	r.Uvarint()
	if r.String() != "" || r.Varint() != 0 || r.Err() == nil {
		t.Fatal("reads after an error must return zero values and keep the error")
	}
	// Trailing bytes, found by Close, are a failure like any other.
	r = NewReader(AppendUvarint(AppendUvarint(nil, 1), 2))
	r.Uvarint()
	if err := r.Close(); !errors.Is(err, ErrTrailing) || r.Uvarint() != 0 || r.Err() != err {
		t.Fatal("reads after Close found trailing bytes must return zero values and keep the error")
	}
}

func FuzzReader(f *testing.F) {
	f.Add(AppendString(AppendVarint(nil, -3), "x"))
	f.Add([]byte{0xff, 0xff, 0xff})
	good, _ := AppendValue(AppendString(AppendBool(AppendUvarint(nil, 7), true), "s"), pair{"a", "b"})
	f.Add(AppendFloat64(append(good, 9), 1.5))
	f.Fuzz(func(t *testing.T, b []byte) {
		r := NewReader(b)
		u, bl, s := r.Uvarint(), r.Bool(), r.String()
		var p pair
		r.Value(&p)
		raw, fl := r.Raw(1), r.Float64()
		err := r.Close()
		if err != nil {
			if !errors.Is(err, ErrShort) && !errors.Is(err, ErrTrailing) && !errors.Is(err, ErrInvalid) {
				t.Fatalf("Close: %v; want ErrShort, ErrTrailing or ErrInvalid", err)
			}
			if r.Uvarint() != 0 || r.String() != "" || r.Err() != err || r.Close() != err {
				t.Fatalf("after %v, reads go on", err)
			}
			return
		}
		// What was read, written again, reads back the same.
		again, werr := AppendValue(AppendString(AppendBool(AppendUvarint(nil, u), bl), s), p)
		if werr != nil {
			t.Fatal(werr)
		}
		again = AppendFloat64(append(again, raw...), fl)
		r2 := NewReader(again)
		var p2 pair
		u2, bl2, s2 := r2.Uvarint(), r2.Bool(), r2.String()
		r2.Value(&p2)
		raw2, fl2 := r2.Raw(1), r2.Float64()
		if err := r2.Close(); err != nil || u2 != u || bl2 != bl || s2 != s || p2 != p ||
			!bytes.Equal(raw2, raw) || math.Float64bits(fl2) != math.Float64bits(fl) {
			t.Fatalf("%x read as %v %v %q %v %x %v, written again as %x, read back differently (%v)", b, u, bl, s, p, raw, fl, again, err)
		}
	})
}

// appenderFunc is an encoding.BinaryAppender made of a function.
type appenderFunc func([]byte) ([]byte, error)

func (f appenderFunc) AppendBinary(b []byte) ([]byte, error) { return f(b) }

// A failing or misbehaving AppendBinary gives AppendValue's caller an error
// and its slice back as it was, never a panic.
func TestAppendValueFailures(t *testing.T) {
	fail := errors.New("cannot encode")
	for name, c := range map[string]struct {
		v    appenderFunc
		want error
	}{
		"nil and an error":   {func([]byte) ([]byte, error) { return nil, fail }, fail},
		"bytes and an error": {func(b []byte) ([]byte, error) { return append(b, "half"...), fail }, fail},
		"nil and no error":   {func([]byte) ([]byte, error) { return nil, nil }, nil},
		"fewer bytes":        {func(b []byte) ([]byte, error) { return b[:len(b)-1], nil }, nil},
		// An encoding kept and handed back, longer than what it was given:
		// AppendValue must neither write its length into that memory nor
		// return it for b.
		"memory of its own": {func([]byte) ([]byte, error) { return kept, nil }, nil},
	} {
		b, err := AppendValue([]byte("prefix"), c.v)
		if err == nil || c.want != nil && !errors.Is(err, c.want) {
			t.Errorf("%s: err = %v; want %v", name, err, c.want)
		}
		if string(b) != "prefix" {
			t.Errorf("%s: b = %q; want the prefix as it was", name, b)
		}
	}
	if !bytes.Equal(kept, bytes.Repeat([]byte{'k'}, 64)) {
		t.Errorf("AppendValue wrote into an encoding its value kept: %q", kept[:16])
	}
}

// kept is an encoding a value keeps and hands back from AppendBinary.
var kept = bytes.Repeat([]byte{'k'}, 64)

// An AppendBinary that grows what it is handed into a larger array, as
// append does, is appended as usual.
func TestAppendValueGrown(t *testing.T) {
	v := appenderFunc(func(b []byte) ([]byte, error) {
		grown := make([]byte, len(b), 2*len(b)+100)
		copy(grown, b)
		return append(grown, "value"...), nil
	})
	b, err := AppendValue(make([]byte, 6, 16), v)
	if err != nil {
		t.Fatal(err)
	}
	r := NewReader(b[6:])
	if got := r.Bytes(); string(got) != "value" || r.Close() != nil {
		t.Fatalf("read back %q (%v)", got, r.Err())
	}
}
