package uactor

import (
	"fmt"
	"reflect"
)

// valueReceiver returns the error that says so if T's decoding method name
// (UnmarshalBinary, UnmarshalMsg) is declared with a value receiver, on T
// or on a struct that T embeds as a value: *T has the method then, but it
// fills a copy, and every value would arrive as the zero T, silently. A
// type of zero size has nothing to fill, and travels. A method lent by an
// embedded pointer or interface is borrowed's to refuse.
func valueReceiver[T any](role, name string) error {
	rt := reflect.TypeFor[T]()
	if rt.Size() == 0 {
		return nil
	}
	d := declarer(rt, name)
	if d == nil {
		return nil
	}
	if _, ok := d.MethodByName(name); !ok { // only *d has it: a pointer receiver
		return nil
	}
	on := ""
	if d != rt {
		on = fmt.Sprintf(" (its embedded %s's)", d)
	}
	return fmt.Errorf("%s type %s cannot travel between processes: its %s has a value receiver%s, so it fills a copy "+
		"and every value would arrive as the zero %s; declare it with a pointer receiver: func (v *%s) %s",
		role, rt, name, on, rt, d.Name(), name)
}
