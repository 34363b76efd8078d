package uactor

import (
	"fmt"
	"reflect"
	"runtime"
	"strings"
	"time"
	"unsafe"
)

// A struct that embeds a type with codec methods has them too, promoted:
// one that embeds time.Time has AppendBinary and UnmarshalBinary. Encoding
// it through them sends the embedded field alone, and its other fields
// arrive empty (the trap encoding/json and encoding/gob have). So when
// codecFor finds a method set, it asks whether the methods are the
// struct's own; borrowed ones are taken only by a struct that has no other
// field to lose. This is the one place codecs look at a type's structure,
// once, when Expose or Define runs; calls never do.

// borrowed returns the error that says so if T has any of the named
// methods only through a field it embeds, while T has fields besides it
// that they would leave out, or the field is a pointer or an interface,
// nil in the zero T that decoding starts from (or so has the struct
// embedded that lends them in turn); nil when they are T's own or lose
// nothing.
func borrowed[T any](role string, methods ...string) error {
	rt := reflect.TypeFor[T]()
	if rt.Kind() != reflect.Struct {
		return nil
	}
	for _, name := range methods {
		// Down the embedded structs that lend the method in turn, to the
		// type that declares it: each may leave fields out of its own.
		for at := rt; promoted(at, name); {
			i, ok := lender(at, name)
			if !ok {
				break
			}
			if err := loses(rt, at, i, role, methods); err != nil {
				return err
			}
			at = at.Field(i).Type
			if at.Kind() != reflect.Struct {
				break
			}
		}
	}
	return nil
}

// timeLent returns time.Time's codec applied to the time.Time that T, a
// struct, embeds, if T's binary methods are that time.Time's and borrowed
// found nothing they lose (struct{ time.Time }, a common idiom); nil for
// any other T. Those methods alone would skip what appendTime and
// decodeTime mend: zone offsets the time package refuses to write, and
// negative ones with seconds that it reads back wrong.
func timeLent[T any](appends string) *codec[T] {
	rt, tt := reflect.TypeFor[T](), reflect.TypeFor[time.Time]()
	if rt.Kind() != reflect.Struct || declarer(rt, appends) != tt || declarer(rt, "UnmarshalBinary") != tt {
		return nil
	}
	// Where the time.Time lies in T, down the embedded structs that lend
	// its methods: with no other field beside them, the one path there.
	var off uintptr
	for at := rt; at != tt; {
		i, _ := lender(at, "UnmarshalBinary")
		off, at = off+at.Field(i).Offset, at.Field(i).Type
	}
	field := func(v *T) *time.Time { return (*time.Time)(unsafe.Add(unsafe.Pointer(v), off)) }
	return &codec[T]{
		append: func(b []byte, v T) ([]byte, error) { return appendTime(b, *field(&v)), nil },
		decode: func(b []byte) (v T, err error) {
			*field(&v), err = decodeTime(b)
			return v, err
		},
	}
}

// loses returns the error that says rt cannot travel by methods that at (rt,
// or a struct it embeds) has from its field i, or nil if they lose nothing
// at that level.
func loses(rt, at reflect.Type, i int, role string, methods []string) error {
	from := at.Field(i).Type.String()
	if k := at.Field(i).Type.Kind(); k == reflect.Pointer || k == reflect.Interface {
		return fmt.Errorf("%s type %s cannot travel between processes: its %s are those of its embedded %s, "+
			"which is nil in the zero %s that a decoder fills (and in one a caller sends); declare them on %s (or on *%s), "+
			"or generate msgp's with //go:generate go run github.com/tinylib/msgp@latest -io=false",
			role, rt, strings.Join(methods, " and "), from, rt, rt, rt)
	}
	if hasOtherFields(at, i) {
		return fmt.Errorf("%s type %s cannot travel between processes: its %s are those of its embedded %s, "+
			"which would send that field alone and lose the others; declare them on %s (or on *%s), "+
			"or generate msgp's with //go:generate go run github.com/tinylib/msgp@latest -io=false, "+
			"or make the %s a named field", role, rt, strings.Join(methods, " and "), from, rt, rt, from)
	}
	return nil
}

// ownsMarshalPair reports whether T is a struct that declares
// MarshalBinary and UnmarshalBinary itself, or has them from one struct it
// embeds, while its AppendBinary comes from further down: from a time.Time
// embedded in a type written before time.Time had AppendBinary. That pair
// is the one that round-trips.
func ownsMarshalPair[T any]() bool {
	rt := reflect.TypeFor[T]()
	if rt.Kind() != reflect.Struct {
		return false
	}
	d := declarer(rt, "MarshalBinary")
	return d != nil && d == declarer(rt, "UnmarshalBinary") && promoted(d, "AppendBinary")
}

// declarer returns the type that declares rt's method name, following the
// embedded fields that lend it, or nil if a pointer or an interface does.
func declarer(rt reflect.Type, name string) reflect.Type {
	for rt.Kind() == reflect.Struct && promoted(rt, name) {
		i, ok := lender(rt, name)
		if !ok {
			return nil
		}
		rt = rt.Field(i).Type
	}
	if rt.Kind() == reflect.Pointer || rt.Kind() == reflect.Interface {
		return nil
	}
	return rt
}

// promoted reports whether rt's method name is a wrapper the compiler made
// for an embedded field's method, rather than one declared on rt or *rt.
// A method is looked up in the value's method set first, where a method
// declared with a value receiver is itself; the pointer's set holds it
// only through a wrapper too.
func promoted(rt reflect.Type, name string) bool {
	m, ok := rt.MethodByName(name)
	if !ok {
		if m, ok = reflect.PointerTo(rt).MethodByName(name); !ok {
			return false
		}
	}
	pc := m.Func.Pointer()
	fn := runtime.FuncForPC(pc)
	if fn == nil {
		return false
	}
	file, _ := fn.FileLine(pc)
	return file == "<autogenerated>"
}

// lender returns the index of rt's embedded field through which it has
// the method.
func lender(rt reflect.Type, name string) (int, bool) {
	for i := range rt.NumField() {
		f := rt.Field(i)
		if !f.Anonymous {
			continue
		}
		if _, ok := f.Type.MethodByName(name); ok {
			return i, true
		}
		if f.Type.Kind() != reflect.Pointer {
			if _, ok := reflect.PointerTo(f.Type).MethodByName(name); ok {
				return i, true
			}
		}
	}
	return 0, false
}

// hasOtherFields reports whether rt has a field other than field i (and
// blank ones, which hold nothing).
func hasOtherFields(rt reflect.Type, i int) bool {
	for j := range rt.NumField() {
		if j != i && rt.Field(j).Name != "_" {
			return true
		}
	}
	return false
}
