package uactor

// Fuzz targets for the records a process decodes from another: the
// bootstrap and ready records of a spawn, the payload of an ERROR frame,
// and the answer of the info method.

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/uactor-go/uactor/uactor/wire"
)

// sampleBootstrap is a bootstrap whose options all differ from their zero.
func sampleBootstrap() *bootstrap {
	o := defaultOptions().with([]Option{
		Listen("tcp://127.0.0.1:0"), Advertise("tcp://example:0"), GracePeriod(3 * time.Second),
		Serial(), MaxFrameSize(1 << 20), Keepalive(11 * time.Second), Compression(4096),
	})
	return &bootstrap{kind: "k", treeKey: []byte("tree"), key: []byte("key"), opts: o,
		arg: []byte("arg"), id: uuid.New(), dir: "/tmp/d"}
}

// Whatever bytes a bootstrap record holds, decoding returns an error or a
// bootstrap that encodes to bytes which decode to the same bootstrap.
func FuzzBootstrap(f *testing.F) {
	good := sampleBootstrap().encode()
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Add([]byte{bootstrapVersion})
	f.Add([]byte{bootstrapVersion - 1})
	f.Fuzz(func(t *testing.T, p []byte) {
		b, err := decodeBootstrap(p)
		if err != nil {
			return
		}
		once := b.encode()
		again, err := decodeBootstrap(once)
		if err != nil {
			t.Fatalf("a decoded bootstrap's encoding does not decode: %v", err)
		}
		if twice := again.encode(); !bytes.Equal(once, twice) {
			t.Fatalf("encode and decode disagree:\n%x\n%x", once, twice)
		}
	})
}

// Whatever bytes a ready record holds, decoding returns an error or a
// record whose encoding decodes to it again (a length may have come in a
// longer varint than the shortest, which the encoding then uses).
func FuzzReady(f *testing.F) {
	f.Add(ready{addr: "unix:///tmp/a.sock", adv: "tcp://h:1", id: uuid.New()}.encode())
	f.Add([]byte{})
	f.Add([]byte{0x80})
	f.Fuzz(func(t *testing.T, p []byte) {
		r, err := decodeReady(p)
		if err != nil {
			return
		}
		if again, err := decodeReady(r.encode()); err != nil || again != r {
			t.Fatalf("ready %x decodes to %+v, whose encoding decodes to %+v, %v", p, r, again, err)
		}
	})
}

// Whatever bytes an ERROR frame holds, the caller gets an error: one that
// matches ErrProtocol if they are not an error payload, else one with the
// payload's message and the sentinel its code stands for.
func FuzzErrorFrame(f *testing.F) {
	for _, code := range []byte{codeHandler, codePanic, codeMethod, codeClosed, codeDecode, codeBusy, codeExpired, 0, 99} {
		f.Add(appendError(nil, code, errors.New("boom")))
	}
	f.Add(appendError(nil, codeHandler, ErrTooLarge))
	f.Add(appendError(nil, codeDecode, requestError{&AuthKeyError{Address: "tcp://h:1"}}))
	f.Add([]byte{})
	f.Add([]byte{codeHandler, 5, 'a'})
	bySentinel := map[byte]error{codePanic: ErrPanic, codeMethod: ErrUnknownMethod, codeClosed: ErrClosed,
		codeDecode: ErrDecode, codeBusy: ErrBusy, codeExpired: context.DeadlineExceeded}
	f.Fuzz(func(t *testing.T, p []byte) {
		err := decodeError("m", p)
		if err == nil {
			t.Fatalf("%x decodes to no error", p)
		}
		if errors.Is(err, ErrProtocol) {
			return
		}
		msg := remoteMessage(err)
		if again := decodeError("m", appendError(nil, p[0], errors.New(msg))); remoteMessage(again) != msg {
			t.Fatalf("%x: message %q comes back as %q", p, msg, remoteMessage(again))
		}
		if want := bySentinel[p[0]]; want != nil && !errors.Is(err, want) {
			t.Fatalf("%x: code %d gives %v, which does not match %v", p, p[0], err, want)
		}
	})
}

// remoteMessage is the message an error from an ERROR frame carries.
func remoteMessage(err error) string {
	var re *RemoteError
	if errors.As(err, &re) {
		return re.Message
	}
	var se *sentinelError
	if errors.As(err, &se) {
		return se.message
	}
	return "\x00not a remote error"
}

// Whatever bytes an info answer holds, decoding returns an error or a
// process id that no conversion made negative; a real answer decodes to
// what it says, and one naming an impossible process fails.
func FuzzInfo(f *testing.F) {
	s := &server{kind: &kindEntry{name: "k"}, id: uuid.New(), adv: "unix:///a.sock"}
	good := s.info()
	f.Add(good)
	f.Add(good[:len(good)-1])
	f.Add(wire.AppendUvarint(good[:len(good)-binary.PutUvarint(make([]byte, 10), uint64(os.Getpid()))], 1<<64-1))
	f.Fuzz(func(t *testing.T, p []byte) {
		inf, err := decodeInfo(p)
		if err != nil {
			if !errors.Is(err, ErrProtocol) {
				t.Fatalf("decodeInfo(% x): %v does not wrap ErrProtocol", p, err)
			}
			return
		}
		if inf.pid < 0 {
			t.Fatalf("decodeInfo(% x): process id %d", p, inf.pid)
		}
	})
}

func TestDecodeInfo(t *testing.T) {
	s := &server{kind: &kindEntry{name: "k"}, id: uuid.New(), adv: "unix:///a.sock"}
	inf, err := decodeInfo(s.info())
	if err != nil || inf.kind != "k" || inf.id != s.id || inf.advertise != s.adv || inf.pid != os.Getpid() {
		t.Fatalf("decodeInfo of a real answer: %+v, %v", inf, err)
	}
	head := wire.AppendString(append(wire.AppendString(nil, "k"), s.id[:]...), s.adv)
	for _, pid := range []uint64{1 << 31, 1<<64 - 1} {
		if inf, err := decodeInfo(wire.AppendUvarint(head, pid)); !errors.Is(err, ErrProtocol) {
			t.Errorf("an answer naming process %d: pid %d, %v; want ErrProtocol", pid, inf.pid, err)
		}
	}
}
