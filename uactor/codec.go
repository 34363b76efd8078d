package uactor

import (
	"cmp"
	"encoding"
	"fmt"
	"math/bits"
	"reflect"
	"strings"
	"time"
	"unsafe"

	"github.com/uactor-go/uactor/internal/frame"
)

// Values travel without reflection. codecFor picks a type's codec once, when
// Expose or Define runs, by a type switch on the static type or a lookup by
// type in codec_builtin.go's list; a call then only runs the codec's
// functions. The order in which codecs are tried is the order in which they
// win when a type has several:
//
//  1. built-in types: scalars, string, []byte, Empty, time.Time,
//     time.Duration, and the slices and maps of codec_builtin.go;
//  2. encoding.BinaryAppender, then encoding.BinaryMarshaler (on T or *T),
//     with encoding.BinaryUnmarshaler on *T: hand-written for this library
//     (a Ref among them), so they are taken at their word;
//  3. MarshalMsg on T or *T with UnmarshalMsg on *T: the methods that
//     github.com/tinylib/msgp generates, recognised by their method set.
//
// Methods a struct has only through a field it embeds are passed over
// when the struct has other fields, or embeds a pointer or an interface
// (codec_borrowed.go): a struct that embeds time.Time travels by its msgp
// methods, if it has them.
// A decoding method with a value receiver, which would fill a copy, is
// passed over too (codec_receiver.go). A type with none of these is told
// what to add: the missing half, if it has half of a codec
// (codec_half.go), or else the choices (cannotTravel).

// codec is how values of one type travel.
type codec[T any] struct {
	// raw, set for []byte and string only, returns the value's own bytes,
	// not copied, so that large payloads reach the frame writer as they
	// are. The result must only be read, and not kept past the write.
	raw func(v T) []byte
	// append appends v's encoding to b. A user's method that panics is
	// reported as an error, so that the call fails on the side that
	// encoded, as it does for a method that returns one.
	append func(b []byte, v T) ([]byte, error)
	// decode decodes b, which must be exactly one encoded value. It never
	// panics on bad input: a user's method that panics is reported as an error.
	decode func(b []byte) (T, error)
	// take, set for []byte, Lent and string only, makes b the value without
	// copying it: for b in an array that nothing else uses (see decodeOwned).
	take func(b []byte) T
	// lent, set for Lent only: as a request, the value is b, borrowed
	// whether b is owned or pooled, until the handler's answer is out.
	lent bool
}

// decodeOwned is decode, except that with owned (b lies in an array of its
// own, frame.Buffer.Own, given away) a []byte or string takes b over
// instead of copying it.
func (c *codec[T]) decodeOwned(b []byte, owned bool) (T, error) {
	if owned && c.take != nil {
		return c.take(b), nil
	}
	return c.decode(b)
}

// ownCopy returns a copy of b that is the receiver's own: a piece of a
// shared block for a small b (carve.go), else an array that was given back
// with Recycle, if there is one of about its size, or a new one.
func ownCopy(b []byte) []byte {
	if len(b) <= carveMax {
		return carveCopy(b)
	}
	if p := frame.Recycled(len(b)); p != nil {
		copy(p, b)
		return p
	}
	return append([]byte{}, b...)
}

// as returns c as a codec for T. It is called only where a type switch has
// established that T and U are one type, so the assertion always holds.
func as[T, U any](c codec[U]) *codec[T] { return any(&c).(*codec[T]) }

// codecFor returns the codec for T, or an error that says in one line what
// to do so that T travels; role names T's use ("request", …).
func codecFor[T any](role string) (*codec[T], error) {
	if c := builtinCodec[T](); c != nil {
		return c, nil
	}
	var err error // the first set of methods found borrowed (codec_borrowed.go)
	if c, appends := binaryCodec[T](); c != nil {
		err = cmp.Or(borrowed[T](role, appends, "UnmarshalBinary"), valueReceiver[T](role, "UnmarshalBinary"))
		if err == nil {
			if t := timeLent[T](appends); t != nil {
				return t, nil
			}
			return c, nil
		}
	}
	if c := msgpCodec[T](); c != nil {
		msgErr := cmp.Or(borrowed[T](role, "MarshalMsg", "UnmarshalMsg"), valueReceiver[T](role, "UnmarshalMsg"))
		if msgErr == nil {
			return c, nil
		}
		err = cmp.Or(err, msgErr)
	}
	if err != nil {
		return nil, err
	}
	if err := halfCodec[T](role); err != nil {
		return nil, err
	}
	return nil, cannotTravel[T](role)
}

// mustCodec is codecFor for Expose and Define, which panic at start-up.
func mustCodec[T any](where, role string) *codec[T] {
	c, err := codecFor[T](role)
	if err != nil {
		panic(fmt.Sprintf("%s: %v", where, err))
	}
	return c
}

func cannotTravel[T any](role string) error {
	rt := reflect.TypeFor[T]()
	name := rt.String() // not %T of a zero T: that is "<nil>" for an interface
	switch rt.Kind() {
	case reflect.Interface:
		return fmt.Errorf("%s type %s is an interface, which cannot travel between processes: "+
			"declare the method with a concrete type (a built-in, or one with msgp's or AppendBinary's codec)", role, name)
	case reflect.Pointer:
		elem := rt.Elem().String()
		return fmt.Errorf("%s type %s cannot travel between processes: a pointer does not; declare the method with %s, "+
			"the value, which travels if it is a built-in or has msgp's MarshalMsg and *%s.UnmarshalMsg "+
			"(//go:generate go run github.com/tinylib/msgp@latest -io=false), or AppendBinary and *%s.UnmarshalBinary",
			role, name, elem, elem, elem)
	}
	if rt.Name() == "" { // a slice, map, array or struct literal: no method can be declared on it
		builtin := ""
		switch k := rt.Kind(); {
		case k == reflect.Chan || k == reflect.Func || k == reflect.UnsafePointer:
			return fmt.Errorf("%s type %s cannot travel between processes: channels, functions and pointers never travel; "+
				"send the data they stand for (a Ref travels, for a live actor)", role, name)
		case k == reflect.Slice || k == reflect.Map:
			builtin = "the built-in slices and maps are " + builtins().describe() + "; for others "
		case k == reflect.Struct && rt.NumField() == 0:
			builtin = "use uactor.Empty, which travels as nothing, or "
		}
		how := "in a file with //go:generate go run github.com/tinylib/msgp@latest -io=false, and run go generate"
		if msgpSkips(rt) {
			how = "with AppendBinary and *Msg.UnmarshalBinary (uactor/wire helps); " + msgpSkipsWhy
		}
		return fmt.Errorf("%s type %s cannot travel between processes: %sdeclare a named type (type Msg %s) %s",
			role, name, builtin, name, how)
	}
	convert := ""
	if u, ok := underlyingBuiltin(rt); ok {
		un := strings.ReplaceAll(u.String(), "[]uint8", "[]byte") // as it is written
		convert = fmt.Sprintf("send its underlying %s instead (%s(v) converts it), or ", un, un)
	}
	if hasText[T]() {
		convert = "its MarshalText and UnmarshalText are not used (text is no codec here, but AppendBinary and " +
			"UnmarshalBinary may call them): " + convert
	}
	pkg := rt.PkgPath()
	std, dep := origin(pkg)
	if std {
		return fmt.Errorf("%s type %s cannot travel between processes: it is package %s's, to which no other package "+
			"can add methods: %sdeclare a type of your own that holds it (type Msg struct{ V %s }) and give that msgp's "+
			"MarshalMsg and *Msg.UnmarshalMsg (//go:generate go run github.com/tinylib/msgp@latest -io=false), "+
			"or AppendBinary and *Msg.UnmarshalBinary (uactor/wire helps), "+
			"or use a built-in: a number, bool, string, []byte, time.Time, time.Duration, Empty, Ref, or %s",
			role, name, pkg, convert, name, builtins().describe())
	}
	viaMsgp := "add //go:generate go run github.com/tinylib/msgp@latest -io=false to the file that declares it " +
		"and run go generate (msgp's MarshalMsg and *" + name + ".UnmarshalMsg), or "
	why := ""
	if msgpSkips(rt) {
		viaMsgp, why = "", "; "+msgpSkipsWhy
	}
	return fmt.Errorf("%s type %s cannot travel between processes: %s%swrite AppendBinary and *%s.UnmarshalBinary "+
		"(uactor/wire helps), or use a built-in: a number, bool, string, []byte, time.Time, time.Duration, Empty, Ref, "+
		"or %s%s%s",
		role, name, convert, viaMsgp, name, builtins().describe(), why, notYours(pkg, name, dep))
}

// msgpSkips reports whether rt is a map whose keys are not of type
// string (a named string type will not do either), for which msgp
// generates no codec: it passes over such a type (and such a field of a
// struct) without an error, so advising its go:generate line would leave
// Define or Expose panicking as before.
func msgpSkips(rt reflect.Type) bool {
	return rt.Kind() == reflect.Map && rt.Key() != reflect.TypeFor[string]()
}

// msgpSkipsWhy is why cannotTravel does not advise msgp for a map that
// msgpSkips.
const msgpSkipsWhy = "msgp generates no codec for a map whose keys are not of type string"

// notYours is the advice for a type of a dependency's package, which may
// be the program's own or not.
func notYours(pkg, name string, dep bool) string {
	if !dep {
		return ""
	}
	return fmt.Sprintf("; if package %s is not yours, declare a type of your own that holds it (type Msg struct{ V %s }) "+
		"and give that type those methods", pkg, name)
}

// hasText reports whether T has encoding.TextMarshaler on T or *T and
// encoding.TextUnmarshaler on *T.
func hasText[T any]() bool {
	var v T
	_, m := any(&v).(encoding.TextMarshaler)
	_, u := any(&v).(encoding.TextUnmarshaler)
	return m && u
}

// binaryCodec returns the codec of a type with encoding.BinaryAppender (or
// BinaryMarshaler) on T or *T and encoding.BinaryUnmarshaler on *T, or nil.
// The method set of *T holds T's too, and T is never a pointer here (a
// pointer's pointer has no methods), so asking *T is enough. It names the
// method that encodes, too.
func binaryCodec[T any]() (*codec[T], string) {
	var v T
	if _, ok := any(&v).(encoding.BinaryUnmarshaler); !ok {
		return nil, ""
	}
	c := &codec[T]{decode: unmarshalBinary[T]}
	_, appends := any(&v).(encoding.BinaryAppender)
	_, marshals := any(&v).(encoding.BinaryMarshaler)
	switch {
	case appends && !(marshals && ownsMarshalPair[T]()):
		// Calling through an interface makes v escape: only this copy does.
		c.append = func(b []byte, v T) (out []byte, err error) {
			done := false
			defer recoverEncode[T]("AppendBinary", b, &done, &out, &err)
			out, err = any(&v).(encoding.BinaryAppender).AppendBinary(b)
			done = true
			return out, err
		}
		return c, "AppendBinary"
	case marshals:
		c.append = func(b []byte, v T) (out []byte, err error) {
			done := false
			defer recoverEncode[T]("MarshalBinary", b, &done, &out, &err)
			p, err := any(&v).(encoding.BinaryMarshaler).MarshalBinary()
			done = true
			return append(b, p...), err
		}
		return c, "MarshalBinary"
	}
	return nil, ""
}

func unmarshalBinary[T any](b []byte) (v T, err error) {
	done := false
	defer recoverDecode(&v, "UnmarshalBinary", &done, &err)
	err = any(&v).(encoding.BinaryUnmarshaler).UnmarshalBinary(b)
	done = true
	if err != nil {
		return v, fmt.Errorf("%w: %T: %w", ErrDecode, v, err)
	}
	return v, nil
}

// recoverEncode turns a panic in a user type's encoding method into an
// error, and gives back b, the buffer the method was handed, for reuse.
// done, set once the method returned, tells a panic from a return where
// recover cannot: a panic(nil) under GODEBUG=panicnil=1 recovers as nil.
func recoverEncode[T any](method string, b []byte, done *bool, out *[]byte, err *error) {
	if r := recover(); !*done {
		var zero T
		*out, *err = b, fmt.Errorf("%T.%s panicked: %v", zero, method, r)
	}
}

// recoverDecode turns a panic in a user type's decoding method into an
// error; done is as recoverEncode's.
func recoverDecode[T any](v *T, method string, done *bool, err *error) {
	if r := recover(); !*done {
		var zero T
		*v = zero
		*err = fmt.Errorf("%w: %T.%s panicked: %v", ErrDecode, zero, method, r)
	}
}

// builtinCodec returns the codec of a built-in scalar, string, []byte,
// Empty, time.Time or time.Duration, or nil. PROTOCOL.md lists the encodings.
func builtinCodec[T any]() *codec[T] {
	var v T
	switch any(v).(type) {
	case []byte:
		return as[T](codec[[]byte]{
			raw:    func(v []byte) []byte { return v },
			append: func(b, v []byte) ([]byte, error) { return append(b, v...), nil },
			decode: func(b []byte) ([]byte, error) { return ownCopy(b), nil },
			// The array's room past b is b's alone: Recycle sees it all.
			take: func(b []byte) []byte { return b },
		})
	case Lent: // a []byte on the wire; a handler borrows it (see Lent, Expose)
		return as[T](codec[Lent]{
			raw:    func(v Lent) []byte { return v },
			append: func(b []byte, v Lent) ([]byte, error) { return append(b, v...), nil },
			decode: func(b []byte) (Lent, error) { return ownCopy(b), nil },
			// Cut to its length: a lent request may lie in a pooled frame,
			// whose room past it is not the handler's (nor Recycle's).
			take: func(b []byte) Lent { return b[:len(b):len(b)] },
			lent: true,
		})
	case string:
		return as[T](codec[string]{
			raw:    func(v string) []byte { return stringBytes(v) },
			append: func(b []byte, v string) ([]byte, error) { return append(b, v...), nil },
			decode: func(b []byte) (string, error) { return string(b), nil },
			take:   func(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) },
		})
	case Empty:
		return as[T](codec[Empty]{
			append: func(b []byte, _ Empty) ([]byte, error) { return b, nil },
			decode: func(b []byte) (Empty, error) { return Empty{}, wantLen(b, 0, "Empty") },
		})
	case uint8: // one byte, where it is not an element
		return as[T](codec[uint8]{
			append: func(b []byte, v uint8) ([]byte, error) { return append(b, v), nil },
			decode: func(b []byte) (uint8, error) {
				if err := wantLen(b, 1, "uint8"); err != nil {
					return 0, err
				}
				return b[0], nil
			},
		})
	case time.Time: // its own binary form, where it is not an element
		return as[T](codec[time.Time]{
			append: func(b []byte, v time.Time) ([]byte, error) { return appendTime(b, v), nil },
			decode: decodeTime,
		})
	case uintptr:
		return as[T](whole(unsignedElem[uintptr](bits.UintSize)))
	}
	return lookup[T](builtins())
}

// whole makes an element's encoding the whole payload.
func whole[E any](e elem[E]) codec[E] {
	return codec[E]{
		append: func(b []byte, v E) ([]byte, error) { return e.put(b, v), nil },
		decode: func(b []byte) (E, error) {
			v, n, err := e.get(b)
			if err == nil && n != len(b) {
				err = fmt.Errorf("%w: %d trailing bytes", ErrDecode, len(b)-n)
			}
			return v, err
		},
	}
}

func wantLen(b []byte, n int, what string) error {
	if len(b) != n {
		return fmt.Errorf("%w: %s wants %d bytes, got %d", ErrDecode, what, n, len(b))
	}
	return nil
}
