package uactor

import (
	"math/bits"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// builtins is the one list of built-in element types: adding a type is
// adding a line. Each line makes its type travel as a slice element, as a
// map value under each key type that builtin names and, with alone set,
// by itself (codec.go gives string, []byte and time.Time forms of their
// own there). cannotTravel's message is drawn from the same list.
//
// Nothing is built before the first lookup, so that a process start (an
// actor's, say) does not pay for the list, and a lookup builds only the
// codec it returns.
var builtins = sync.OnceValue(func() builtinTable {
	return newBuiltinTable(
		builtin(boolElem(), true),
		builtin(signedElem[int](strconv.IntSize), true),
		builtin(signedElem[int8](8), true),
		builtin(signedElem[int16](16), true),
		builtin(signedElem[int32](32), true),
		builtin(signedElem[int64](64), true),
		builtin(unsignedElem[uint](bits.UintSize), true),
		builtin(unsignedElem[uint16](16), true),
		builtin(unsignedElem[uint32](32), true),
		builtin(unsignedElem[uint64](64), true),
		builtin(floatElem[float32](), true),
		builtin(floatElem[float64](), true),
		builtin(complexElem[complex64](), true),
		builtin(complexElem[complex128](), true),
		builtin(signedElem[time.Duration](64), true),
		builtin(stringElem(), false),
		builtin(bytesElem(), false),
		builtin(timeElem(), false),
	)
})

// builtinEntry is one element type's codecs, keyed by the types they are
// for, each made on demand.
type builtinEntry struct {
	name  string
	forms map[reflect.Type]func() any // each makes a codec[T] for its key T
}

// builtin gives E's codecs: alone (if alone), as []E, and as map[K]E.
func builtin[E any](e elem[E], alone bool) builtinEntry {
	f := map[reflect.Type]func() any{
		reflect.TypeFor[[]E]():          func() any { return sliceOf(e) },
		reflect.TypeFor[map[string]E](): func() any { return mapOf(stringElem(), e) },
		reflect.TypeFor[map[int]E]():    func() any { return mapOf(signedElem[int](strconv.IntSize), e) },
		reflect.TypeFor[map[int64]E]():  func() any { return mapOf(signedElem[int64](64), e) },
		reflect.TypeFor[map[uint64]E](): func() any { return mapOf(unsignedElem[uint64](64), e) },
	}
	if alone {
		f[reflect.TypeFor[E]()] = func() any { return whole(e) }
	}
	name := reflect.TypeFor[E]().String()
	if name == "[]uint8" {
		name = "[]byte"
	}
	return builtinEntry{name, f}
}

// builtinTable finds a built-in codec by its type, when Expose or Define
// runs; a call never looks here.
type builtinTable struct {
	forms map[reflect.Type]func() any
	elems []string // the element types, in the list's order
	keys  []string // the map key types
}

func newBuiltinTable(entries ...builtinEntry) builtinTable {
	t := builtinTable{forms: map[reflect.Type]func() any{}}
	for _, e := range entries {
		for typ, f := range e.forms {
			t.forms[typ] = f
			if typ.Kind() == reflect.Map && !slices.Contains(t.keys, typ.Key().String()) {
				t.keys = append(t.keys, typ.Key().String())
			}
		}
		t.elems = append(t.elems, e.name)
	}
	slices.Sort(t.keys)
	return t
}

// lookup returns the built-in codec of T, or nil.
func lookup[T any](t builtinTable) *codec[T] {
	f := t.forms[reflect.TypeFor[T]()]
	if f == nil {
		return nil
	}
	c := f().(codec[T])
	return &c
}

// describe names the built-in slices and maps, for cannotTravel.
func (t builtinTable) describe() string {
	return "[]E or map[K]E with K one of " + strings.Join(t.keys, ", ") +
		", and E one of " + strings.Join(t.elems, ", ")
}
