package uactor

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/uactor-go/uactor/uactor/wire"
)

// Structs that embed a type with codec methods, in each way a user may
// write one.
type (
	// stamped has only time.Time's methods, which would leave Note out.
	stamped struct {
		time.Time
		Note string
	}
	// stampedOwn declares its own binary methods over the promoted ones.
	stampedOwn struct {
		time.Time
		Note string
	}
	// stampedOld declares MarshalBinary and UnmarshalBinary, as code
	// written before time.Time had AppendBinary would; it borrows that.
	stampedOld struct {
		time.Time
		Note string
	}
	// onlyTimeOld is stampedOld with nothing but the time.
	onlyTimeOld struct{ time.Time }
	// stampedMsg declares MessagePack methods, as msgp would generate.
	stampedMsg struct {
		time.Time
		Note string
	}
	// onlyTime embeds time.Time and nothing else: its methods lose nothing.
	onlyTime struct {
		time.Time
		_ struct{}
	}
	// lateTime is onlyTime with the time past a blank field.
	lateTime struct {
		_ [3]int64
		time.Time
	}
	// pointed embeds a pointer to a type with binary methods.
	pointed struct {
		*point
		Tag string
	}
	// onlyPointed, onlyTimePtr, onlyNotedPtr and onlyPair embed nothing
	// but a pointer or an interface with codec methods: nil in the zero
	// value that a decoder fills, and that a caller may send.
	onlyPointed  struct{ *point }
	onlyTimePtr  struct{ *time.Time }
	onlyNotedPtr struct{ *noted }
	onlyPair     struct{ binaryPair }
	// noted has MessagePack methods alone.
	noted struct{ Note string }
	// outerMsg embeds a type with MessagePack methods and adds a field.
	outerMsg struct {
		noted
		Extra int
	}
	// Each of these embeds nothing but a struct whose methods are
	// themselves borrowed: they lose what that struct loses, and no more.
	restamped      struct{ stamped }
	reOnlyPointed  struct{ onlyPointed }
	reOnlyTime     struct{ onlyTime }
	reStampedOwn   struct{ stampedOwn }
	reOuterMsgOnly struct{ outerMsg }
	// restampedOld lends stampedOld's own pair, which round-trips.
	restampedOld struct{ stampedOld }
)

func (s stampedOwn) AppendBinary(b []byte) ([]byte, error) {
	b, err := s.Time.AppendBinary(wire.AppendString(b, s.Note))
	return b, err
}

func (s *stampedOwn) UnmarshalBinary(b []byte) error {
	r := wire.NewReader(b)
	s.Note = r.String()
	rest := r.Raw(r.Len())
	if err := r.Close(); err != nil {
		return err
	}
	return s.Time.UnmarshalBinary(rest)
}

func (s stampedOld) MarshalBinary() ([]byte, error) {
	return wire.AppendVarint(wire.AppendString(nil, s.Note), s.UnixNano()), nil
}

func (s *stampedOld) UnmarshalBinary(b []byte) error {
	r := wire.NewReader(b)
	s.Note, s.Time = r.String(), time.Unix(0, r.Varint()).UTC()
	return r.Close()
}

// onlyTimeOld's form starts with a byte of its own, which time.Time's
// UnmarshalBinary refuses.
func (o onlyTimeOld) MarshalBinary() ([]byte, error) {
	return wire.AppendVarint([]byte{'o'}, o.UnixNano()), nil
}

func (o *onlyTimeOld) UnmarshalBinary(b []byte) error {
	r := wire.NewReader(b)
	if p := r.Raw(1); len(p) != 1 || p[0] != 'o' {
		return errors.New("not onlyTimeOld's form")
	}
	o.Time = time.Unix(0, r.Varint()).UTC()
	return r.Close()
}

// stampedMsg's MessagePack form: an array of two str 8, the time in
// RFC 3339 and the note; noted's, an array of its note.
func (s stampedMsg) MarshalMsg(b []byte) ([]byte, error) {
	return appendStrs(b, s.Time.Format(time.RFC3339Nano), s.Note), nil
}

func (s *stampedMsg) UnmarshalMsg(b []byte) ([]byte, error) {
	v, b, err := readStrs(b, 2)
	if err == nil {
		s.Time, err = time.Parse(time.RFC3339Nano, v[0])
		s.Note = v[1]
	}
	return b, err
}

func (n noted) MarshalMsg(b []byte) ([]byte, error) { return appendStrs(b, n.Note), nil }

func (n *noted) UnmarshalMsg(b []byte) ([]byte, error) {
	v, b, err := readStrs(b, 1)
	if err == nil {
		n.Note = v[0]
	}
	return b, err
}

// appendStrs appends a MessagePack array of short strings (str 8).
func appendStrs(b []byte, v ...string) []byte {
	b = append(b, 0x90|byte(len(v)))
	for _, s := range v {
		b = append(append(b, 0xd9, byte(len(s))), s...)
	}
	return b
}

func readStrs(b []byte, n int) ([]string, []byte, error) {
	if len(b) < 1 || b[0] != 0x90|byte(n) {
		return nil, b, errors.New("not an array of the strings expected")
	}
	b = b[1:]
	v := make([]string, n)
	for i := range v {
		if len(b) < 2 || b[0] != 0xd9 || len(b) < 2+int(b[1]) {
			return nil, b, errors.New("not a str 8")
		}
		v[i], b = string(b[2:2+int(b[1])]), b[2+int(b[1]):]
	}
	return v, b, nil
}

// A struct whose codec methods come from a field it embeds travels by
// methods of its own, or by the borrowed ones where it has nothing else to
// lose; otherwise it cannot travel, and says why, rather than arriving
// with its other fields empty.
func TestCodecBorrowedMethods(t *testing.T) {
	at := time.Date(2026, 12, 4, 18, 0, 0, 1, time.UTC)
	roundTrip(t, stampedOwn{at, "own"}, func(a, b stampedOwn) bool { return a.Equal(b.Time) && b.Note == "own" })
	roundTrip(t, stampedOld{at, "old"}, func(a, b stampedOld) bool { return a.Equal(b.Time) && b.Note == "old" })
	roundTrip(t, onlyTimeOld{at}, func(a, b onlyTimeOld) bool { return a.Equal(b.Time) })
	roundTrip(t, stampedMsg{at, "msgp"}, func(a, b stampedMsg) bool { return a.Equal(b.Time) && b.Note == "msgp" })
	roundTrip(t, onlyTime{Time: at}, func(a, b onlyTime) bool { return a.Equal(b.Time) })
	roundTrip(t, noted{"alone"}, same)
	roundTrip(t, reOnlyTime{onlyTime{Time: at}}, func(a, b reOnlyTime) bool { return a.Equal(b.Time) })
	roundTrip(t, restampedOld{stampedOld{at, "old"}}, func(a, b restampedOld) bool { return a.Equal(b.Time) && b.Note == "old" })
	roundTrip(t, reStampedOwn{stampedOwn{at, "own"}}, func(a, b reStampedOwn) bool { return a.Equal(b.Time) && b.Note == "own" })

	for _, tc := range []struct {
		name string
		err  error
		want []string // in the error
	}{
		{"stamped", errOf(codecFor[stamped]("request")), []string{"uactor.stamped", "AppendBinary and UnmarshalBinary", "embedded time.Time"}},
		{"pointed", errOf(codecFor[pointed]("response")), []string{"uactor.pointed", "embedded *uactor.point"}},
		{"outerMsg", errOf(codecFor[outerMsg]("request")), []string{"uactor.outerMsg", "MarshalMsg and UnmarshalMsg", "embedded uactor.noted"}},
		// Nothing else to lose, but nothing to decode into: the methods
		// would dereference a nil field, and no value could arrive.
		{"onlyPointed", errOf(codecFor[onlyPointed]("request")), []string{"uactor.onlyPointed", "embedded *uactor.point", "nil"}},
		{"onlyTimePtr", errOf(codecFor[onlyTimePtr]("response")), []string{"uactor.onlyTimePtr", "embedded *time.Time", "nil"}},
		{"onlyNotedPtr", errOf(codecFor[onlyNotedPtr]("request")), []string{"uactor.onlyNotedPtr", "embedded *uactor.noted", "nil"}},
		{"onlyPair", errOf(codecFor[onlyPair]("request")), []string{"uactor.onlyPair", "embedded uactor.binaryPair", "nil"}},
		// A level down, the field that the methods leave out, or the nil
		// pointer they go through, is the embedded struct's.
		{"restamped", errOf(codecFor[restamped]("request")), []string{"uactor.restamped", "AppendBinary and UnmarshalBinary", "embedded time.Time"}},
		{"reOnlyPointed", errOf(codecFor[reOnlyPointed]("response")), []string{"uactor.reOnlyPointed", "embedded *uactor.point", "nil"}},
		{"reOuterMsgOnly", errOf(codecFor[reOuterMsgOnly]("request")), []string{"uactor.reOuterMsgOnly", "MarshalMsg and UnmarshalMsg", "embedded uactor.noted"}},
	} {
		if tc.err == nil {
			t.Errorf("%s: travels through methods borrowed from its embedded field", tc.name)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(tc.err.Error(), w) {
				t.Errorf("%s: error %q does not say %q", tc.name, tc.err, w)
			}
		}
	}
}

// A struct that travels by the methods of the time.Time it embeds arrives
// in the zone offset a time.Time alone arrives in, whatever the offset:
// its codec mends what those methods get wrong, as time.Time's own does.
func TestCodecLentTimeKeepsOffset(t *testing.T) {
	for _, off := range []int{3600, -17762, -30, -75, -121, -(5*3600 + 32*60 + 11)} {
		in := time.Date(1880, 6, 1, 12, 0, 0, 7, time.FixedZone("Z", off))
		alone, _ := codecFor[time.Time]("test")
		b, _ := alone.append(nil, in)
		want, err := alone.decode(b)
		if err != nil {
			t.Fatal(err)
		}
		_, wantOff := want.Zone()
		check := func(name string, b []byte, err error, decode func([]byte) (time.Time, error)) {
			t.Helper()
			if err != nil {
				t.Errorf("%s at offset %d s: encoding: %v", name, off, err)
				return
			}
			got, err := decode(b)
			if _, gotOff := got.Zone(); err != nil || !got.Equal(in) || gotOff != wantOff {
				t.Errorf("%s at offset %d s: got %s (offset %d s), %v; a time.Time alone arrives with offset %d s", name, off, got, gotOff, err, wantOff)
			}
		}
		c1 := mustCodecFor[onlyTime](t)
		b, err = c1.append(nil, onlyTime{Time: in})
		check("onlyTime", b, err, func(b []byte) (time.Time, error) { v, err := c1.decode(b); return v.Time, err })
		c2 := mustCodecFor[reOnlyTime](t)
		b, err = c2.append(nil, reOnlyTime{onlyTime{Time: in}})
		check("reOnlyTime", b, err, func(b []byte) (time.Time, error) { v, err := c2.decode(b); return v.Time, err })
		c3 := mustCodecFor[lateTime](t)
		b, err = c3.append(nil, lateTime{Time: in})
		check("lateTime", b, err, func(b []byte) (time.Time, error) { v, err := c3.decode(b); return v.Time, err })
	}
}

func mustCodecFor[T any](t *testing.T) *codec[T] {
	t.Helper()
	c, err := codecFor[T]("test")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// binaryPair is an interface with a binary codec's methods.
type binaryPair interface {
	AppendBinary(b []byte) ([]byte, error)
	UnmarshalBinary(b []byte) error
}

func errOf[T any](_ *codec[T], err error) error { return err }
