package uactor_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/uactor-go/uactor/uactor"
)

// tagList has methods shaped like those msgp generates, written by hand
// (the core module does not depend on msgp; internal/msgptest tests the
// generated ones): a MessagePack array of strings, decoded the way
// generated code decodes it, with the slice sized by the array's count.
type tagList struct {
	Tags  []string
	forge []byte // when set, MarshalMsg sends these bytes instead: a hostile peer
}

func (l *tagList) MarshalMsg(b []byte) ([]byte, error) {
	if l.forge != nil {
		return append(b, l.forge...), nil
	}
	b = binary.BigEndian.AppendUint32(append(b, 0xdd), uint32(len(l.Tags)))
	for _, s := range l.Tags {
		b = append(binary.BigEndian.AppendUint32(append(b, 0xdb), uint32(len(s))), s...)
	}
	return b, nil
}

func (l *tagList) UnmarshalMsg(b []byte) ([]byte, error) {
	short := errors.New("tagList: short")
	if len(b) < 5 || b[0] != 0xdd {
		return b, short
	}
	l.Tags = make([]string, binary.BigEndian.Uint32(b[1:])) // trusts the count, as generated code does
	b = b[5:]
	for i := range l.Tags {
		if len(b) < 5 || b[0] != 0xdb || uint64(len(b)-5) < uint64(binary.BigEndian.Uint32(b[1:])) {
			return b, short
		}
		n := 5 + int(binary.BigEndian.Uint32(b[1:]))
		l.Tags[i], b = string(b[5:n]), b[n:]
	}
	return b, nil
}

type tagCounter struct{}

var (
	TagCounterKind = uactor.Define("tag-counter", func(context.Context, tagList) (tagCounter, error) { return tagCounter{}, nil })
	CountTags      = uactor.Expose(TagCounterKind, "count", func(_ tagCounter, _ context.Context, l tagList) (int, error) {
		return len(l.Tags), nil
	})
)

// Truncated or hostile MessagePack fails the call with ErrDecode before the
// type's UnmarshalMsg sees it, so a count of four billion sizes nothing,
// and the actor goes on serving.
func TestMsgpackHostileAcrossProcesses(t *testing.T) {
	ctx := testCtx(t, time.Minute)
	r := spawn(t, ctx, TagCounterKind, tagList{Tags: []string{"spawn", "arg"}})
	good, _ := (&tagList{Tags: []string{"a", "bc", ""}}).MarshalMsg(nil)
	for name, forge := range map[string][]byte{
		"4G strings in 1 byte":      {0xdd, 0xff, 0xff, 0xff, 0xff, 0xa0},
		"string longer than input":  {0xdd, 0, 0, 0, 1, 0xdb, 0x7f, 0xff, 0xff, 0xff, 'x'},
		"truncated":                 good[:len(good)-1],
		"trailing byte":             append(good[:len(good):len(good)], 0xc0),
		"not MessagePack (0xc1)":    {0xc1},
		"nested counts beyond size": {0x91, 0xdd, 0xff, 0xff, 0xff, 0xff},
	} {
		_, err := CountTags.Call(ctx, r, tagList{forge: forge})
		if !errors.Is(err, uactor.ErrDecode) {
			t.Errorf("%s: err = %v; want ErrDecode", name, err)
		}
	}
	if n, err := CountTags.Call(ctx, r, tagList{Tags: []string{"a", "bc", ""}}); n != 3 || err != nil {
		t.Fatalf("after hostile calls: %d, %v; want 3", n, err)
	}
	// A hostile spawn argument fails Spawn with the actor's decoding error.
	err := spawnFails(t, ctx, TagCounterKind, tagList{forge: []byte{0xdd, 0xff, 0xff, 0xff, 0xff}})
	if err == nil || !strings.Contains(err.Error(), "MessagePack announces") {
		t.Fatalf("Spawn with a hostile argument: %v", err)
	}
}

// nest is a MessagePack array of no nest or one, decoded by recursion, as
// msgp generates the decoding of a recursive type.
type nest struct {
	Inner *nest
	forge []byte // when set, MarshalMsg sends these bytes instead: a hostile peer
}

func (n *nest) MarshalMsg(b []byte) ([]byte, error) {
	switch {
	case n.forge != nil:
		return append(b, n.forge...), nil
	case n.Inner == nil:
		return append(b, 0x90), nil
	}
	return n.Inner.MarshalMsg(append(b, 0x91))
}

func (n *nest) UnmarshalMsg(b []byte) ([]byte, error) {
	if len(b) == 0 || b[0] != 0x90 && b[0] != 0x91 {
		return b, errors.New("nest: not an array of at most one nest")
	}
	if b[0] == 0x90 {
		n.Inner = nil
		return b[1:], nil
	}
	n.Inner = new(nest)
	return n.Inner.UnmarshalMsg(b[1:])
}

var NestDepth = uactor.Expose(TagCounterKind, "depth", func(_ tagCounter, _ context.Context, n nest) (int, error) {
	d := 0
	for p := n.Inner; p != nil; p = p.Inner {
		d++
	}
	return d, nil
})

// MessagePack nested deeper than the decoding's stack can hold, in a frame
// under MaxFrameSize, fails the call with ErrDecode before UnmarshalMsg
// recurses into it: a stack overflow would end the actor's process, which
// no recover catches.
func TestMsgpackTooDeepAcrossProcesses(t *testing.T) {
	ctx := testCtx(t, time.Minute)
	r := spawn(t, ctx, TagCounterKind, tagList{})
	deep := func(n int) nest {
		var v nest
		for range n {
			inner := v
			v = nest{Inner: &inner}
		}
		return v
	}
	if d, err := NestDepth.Call(ctx, r, deep(1000)); d != 1000 || err != nil {
		t.Fatalf("1000 deep: %d, %v", d, err)
	}
	forge := append(bytes.Repeat([]byte{0x91}, 15<<20), 0x90) // 15 M levels, one byte each
	if _, err := NestDepth.Call(ctx, r, nest{forge: forge}); !errors.Is(err, uactor.ErrDecode) {
		t.Errorf("15 M levels deep: %v; want ErrDecode", err)
	}
	if d, err := NestDepth.Call(ctx, r, deep(3)); d != 3 || err != nil {
		t.Fatalf("after a call nested too deep: %d, %v; want 3", d, err)
	}
}
