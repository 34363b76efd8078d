package uactor

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// Kinds whose names are long enough for a ref's MessagePack form to need
// a bin 16 header, and a bin 32 one.
var (
	longNameKind   = Define("refmsg-"+strings.Repeat("x", 300), func(ctx context.Context, _ Empty) (*int, error) { return new(int), nil })
	longerNameKind = Define("refmsg-"+strings.Repeat("y", 70_000), func(ctx context.Context, _ Empty) (*int, error) { return new(int), nil })
)

func TestRefMessagePack(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for _, c := range []struct {
		kind   *Kind[*int, Empty]
		header byte
	}{{codecTestKind, msgpBin8}, {longNameKind, msgpBin16}, {longerNameKind, msgpBin32}} {
		r, err := Host(ctx, c.kind, new(int), AuthKey([]byte("refmsg test key")))
		if err != nil {
			t.Fatal(err)
		}
		b, err := r.MarshalMsg([]byte{0x93}) // as the first of three array elements
		if err != nil || b[1] != c.header || len(b)-1 > r.Msgsize() {
			t.Fatalf("MarshalMsg: % x…, %v; want header %#x and at most Msgsize %d bytes", b[:3], err, c.header, r.Msgsize())
		}
		if err := checkMsgpack(append(b, 0xc0, 0xc0)); err != nil {
			t.Fatalf("a ref is not a valid MessagePack value: %v", err)
		}
		var got Ref[*int]
		rest, err := got.UnmarshalMsg(append(b[1:], 0xc3))
		if err != nil || len(rest) != 1 || got.Address() != r.Address() || got.PID() != r.PID() {
			t.Fatalf("UnmarshalMsg: %v, %d bytes left, %s; want %s", err, len(rest), got.Address(), r.Address())
		}
		got.Close()
		r.Close() // this process now holds the key no more
		var unknown Ref[*int]
		if _, err := unknown.UnmarshalMsg(b[1:]); !errors.As(err, new(*AuthKeyError)) || !errors.Is(err, ErrAuthKey) {
			t.Fatalf("UnmarshalMsg without the key: %v; want *AuthKeyError", err)
		}
	}
	var zero Ref[*int]
	b, _ := zero.MarshalMsg(nil)
	if string(b) != "\xc0" || zero.Msgsize() != 1 {
		t.Fatalf("the zero Ref's form is % x", b)
	}
	got := Ref[*int]{&handle{}}
	if rest, err := got.UnmarshalMsg(b); err != nil || len(rest) != 0 || got.h != nil {
		t.Fatalf("nil did not decode as the zero Ref: %v", err)
	}
	for _, bad := range [][]byte{{}, {0xa1, 'x'}, {msgpBin8}, {msgpBin8, 5, 1}, {msgpBin16, 0}, {msgpBin8, 1, 9}} {
		if _, err := new(Ref[*int]).UnmarshalMsg(bad); !errors.Is(err, ErrDecode) {
			t.Errorf("UnmarshalMsg(% x): %v; want ErrDecode", bad, err)
		}
	}
}

// nestedMsgpack returns depth arrays of one element each, around inner.
func nestedMsgpack(depth int, inner ...byte) []byte {
	return append(bytes.Repeat([]byte{0x91}, depth), inner...)
}

func TestCheckMsgpack(t *testing.T) {
	valid := [][]byte{
		{0x00}, {0xff}, {0xc0}, {0xc3}, {0x80}, {0x90},
		{0x82, 0xa1, 'a', 0x01, 0xa1, 'b', 0x92, 0xcb, 0, 0, 0, 0, 0, 0, 0, 0, 0xd0, 0xff}, // {"a":1,"b":[0.0,-1]}
		{0xc4, 2, 'h', 'i'}, {0xd9, 1, 'x'}, {0xda, 0, 1, 'x'}, {0xdb, 0, 0, 0, 1, 'x'},
		{0xc7, 1, 5, 0}, {0xd6, 0xff, 1, 2, 3, 4}, {0xd8, 1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15},
		{0xdc, 0, 2, 1, 2}, {0xde, 0, 1, 1, 2}, {0xdf, 0, 0, 0, 1, 0xc0, 0xc0},
		{0x92, 0x91, 0x91, 0x01, 0x91, 0x91, 0x02},                                        // [[[1]], [[2]]]
		{0x82, 0xa1, 'a', 0x92, 0x01, 0x92, 0x02, 0x81, 0xa1, 'b', 0x03, 0xa1, 'c', 0x04}, // {"a":[1,[2,{"b":3}]],"c":4}
		nestedMsgpack(maxMsgpackDepth, 0x01),
		append(append([]byte{0x92}, nestedMsgpack(maxMsgpackDepth-1, 0x01)...), nestedMsgpack(maxMsgpackDepth-1, 0x01)...), // depth is per branch
	}
	for _, b := range valid {
		if err := checkMsgpack(b); err != nil {
			t.Errorf("checkMsgpack(% x): %v", b, err)
		}
	}
	bad := map[string][]byte{
		"empty":                  {},
		"never used":             {0xc1},
		"truncated str":          {0xa3, 'a'},
		"truncated length":       {0xda, 0},
		"truncated array":        {0x92, 0x01},
		"trailing":               {0x01, 0x02},
		"array 32 of 4G":         {0xdd, 0xff, 0xff, 0xff, 0xff, 0xc0},
		"map 16 beyond bytes":    {0xde, 0x10, 0, 0xc0, 0xc0},
		"nested count too large": {0x91, 0x9f, 0, 0, 0},
		"bin 32 beyond bytes":    {0xc6, 0x7f, 0xff, 0xff, 0xff, 0},
		"fixext truncated":       {0xd7, 1, 2},
		"nested too deep":        nestedMsgpack(maxMsgpackDepth+1, 0x01),
		"deep in a map":          append([]byte{0x81, 0xa1, 'k'}, nestedMsgpack(maxMsgpackDepth, 0x80)...),
		"nested, truncated":      nestedMsgpack(3),
	}
	for name, b := range bad {
		if err := checkMsgpack(b); !errors.Is(err, ErrDecode) {
			t.Errorf("%s: %v; want ErrDecode", name, err)
		}
	}
}
