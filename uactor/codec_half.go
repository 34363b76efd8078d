package uactor

import (
	"encoding"
	"fmt"
	"reflect"
	"strings"
)

// halfCodec returns the error that names what is missing if T has half of
// a codec (an encoding method without its decoding one, or the reverse, or
// one of them with another signature than the codec's), or nil. The
// general advice of cannotTravel, which lists every codec, would leave
// its reader to find which method the compiler did not match. A type of
// the standard library's gets none: no program can add it a method.
func halfCodec[T any](role string) error {
	rt := reflect.TypeFor[T]()
	if rt.Name() == "" || rt.Kind() == reflect.Interface {
		return nil
	}
	std, dep := origin(rt.PkgPath())
	if std {
		return nil
	}
	var v T
	_, appends := any(&v).(encoding.BinaryAppender)
	_, marshals := any(&v).(encoding.BinaryMarshaler)
	_, unmarshals := any(&v).(encoding.BinaryUnmarshaler)
	_, msgMarshals := any(&v).(msgpMarshaler)
	_, msgUnmarshals := any(&v).(msgpUnmarshaler)
	name := rt.Name()
	var has, lacks, want string
	switch {
	case (appends || marshals) && !unmarshals:
		has, lacks = "AppendBinary", "UnmarshalBinary"
		if !appends {
			has = "MarshalBinary"
		}
		want = fmt.Sprintf("func (v *%s) UnmarshalBinary(data []byte) error, which reads what %s writes (uactor/wire helps)", name, has)
	case unmarshals && !appends && !marshals:
		has, lacks = "UnmarshalBinary", "AppendBinary"
		want = fmt.Sprintf("func (v %s) AppendBinary(b []byte) ([]byte, error), which writes what UnmarshalBinary reads (uactor/wire helps)", name)
	case msgMarshals && !msgUnmarshals:
		has, lacks = "MarshalMsg", "UnmarshalMsg"
		want = fmt.Sprintf("func (z *%s) UnmarshalMsg(bts []byte) ([]byte, error): msgp generates both; run go generate again", name)
	case msgUnmarshals && !msgMarshals:
		has, lacks = "UnmarshalMsg", "MarshalMsg"
		want = fmt.Sprintf("func (z %s) MarshalMsg(b []byte) ([]byte, error): msgp generates both; run go generate again", name)
	default:
		return nil
	}
	other := ""
	if m, ok := reflect.PointerTo(rt).MethodByName(lacks); ok {
		sig := strings.ReplaceAll(m.Type.String(), "[]uint8", "[]byte") // as it is written
		other = fmt.Sprintf(" that fits (its %s is %s, receiver first)", lacks, sig)
	}
	return fmt.Errorf("%s type %s cannot travel between processes: it has %s but no %s%s; add %s%s",
		role, rt, has, lacks, other, want, notYours(rt.PkgPath(), rt.String(), dep))
}
