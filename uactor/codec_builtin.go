package uactor

import (
	"reflect"
	"slices"
	"strings"
	"time"
)

// builtins is the one list of built-in element types: adding a type is
// adding a line. Each line makes its type travel as a slice element, as a
// map value under each key type that builtin names and, with alone set,
// by itself (codec.go gives string, []byte and time.Time forms of their
// own there). cannotTravel's message is drawn from the same list.
var builtins = newBuiltinTable(
	builtin(boolElem(), true),
	builtin(signedElem[int](64), true),
	builtin(signedElem[int8](8), true),
	builtin(signedElem[int16](16), true),
	builtin(signedElem[int32](32), true),
	builtin(signedElem[int64](64), true),
	builtin(unsignedElem[uint](64), true),
	builtin(unsignedElem[uint16](16), true),
	builtin(unsignedElem[uint32](32), true),
	builtin(unsignedElem[uint64](64), true),
	builtin(floatElem[float32](), true),
	builtin(floatElem[float64](), true),
	builtin(signedElem[time.Duration](64), true),
	builtin(stringElem(), false),
	builtin(bytesElem(), false),
	builtin(timeElem(), false),
)

// builtinEntry is one element type's codecs, keyed by the types they are for.
type builtinEntry struct {
	name   string
	codecs map[reflect.Type]any // each a codec[T] for its key T
}

// builtin makes E's codecs: alone (if alone), as []E, and as map[K]E.
func builtin[E any](e elem[E], alone bool) builtinEntry {
	c := map[reflect.Type]any{
		reflect.TypeFor[[]E]():          sliceOf(e),
		reflect.TypeFor[map[string]E](): mapOf(stringElem(), e),
		reflect.TypeFor[map[int]E]():    mapOf(signedElem[int](64), e),
		reflect.TypeFor[map[int64]E]():  mapOf(signedElem[int64](64), e),
		reflect.TypeFor[map[uint64]E](): mapOf(unsignedElem[uint64](64), e),
	}
	if alone {
		c[reflect.TypeFor[E]()] = whole(e)
	}
	name := reflect.TypeFor[E]().String()
	if name == "[]uint8" {
		name = "[]byte"
	}
	return builtinEntry{name, c}
}

// builtinTable finds a built-in codec by its type, when Expose or Define
// runs; a call never looks here.
type builtinTable struct {
	codecs map[reflect.Type]any
	elems  []string // the element types, in the list's order
	keys   []string // the map key types
}

func newBuiltinTable(entries ...builtinEntry) builtinTable {
	t := builtinTable{codecs: map[reflect.Type]any{}}
	for _, e := range entries {
		for typ, c := range e.codecs {
			t.codecs[typ] = c
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
	if c, ok := t.codecs[reflect.TypeFor[T]()].(codec[T]); ok {
		return &c
	}
	return nil
}

// describe names the built-in slices and maps, for cannotTravel.
func (t builtinTable) describe() string {
	return "[]E or map[K]E with K one of " + strings.Join(t.keys, ", ") +
		", and E one of " + strings.Join(t.elems, ", ")
}
