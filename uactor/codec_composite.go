package uactor

import (
	"encoding/binary"
	"fmt"
	"time"
)

// Slices and maps of built-in elements: a uvarint count, then each element
// (each key, then its value), as elem encodes it. The count is checked
// against the bytes that are there before anything is allocated: every
// element takes at least its elem's min bytes, so a lying count fails at
// once, and a slice or map is never sized beyond what the input can fill.
// An empty slice decodes as nil, an empty map as an empty, writable map.

func sliceOf[E any](e elem[E]) codec[[]E] {
	return codec[[]E]{
		append: func(b []byte, v []E) ([]byte, error) {
			b = binary.AppendUvarint(b, uint64(len(v)))
			for _, x := range v {
				b = e.put(b, x)
			}
			return b, nil
		},
		decode: func(b []byte) ([]E, error) {
			n, b, err := readCount(b, e.min)
			if err != nil || n == 0 {
				return nil, orTrailing(err, b)
			}
			v := make([]E, n)
			for i := range v {
				x, k, err := e.get(b)
				if err != nil {
					return nil, fmt.Errorf("element %d: %w", i, err)
				}
				v[i], b = x, b[k:]
			}
			return v, orTrailing(nil, b)
		},
	}
}

func mapOf[K comparable, V any](ke elem[K], ve elem[V]) codec[map[K]V] {
	return codec[map[K]V]{
		append: func(b []byte, m map[K]V) ([]byte, error) {
			b = binary.AppendUvarint(b, uint64(len(m)))
			for k, v := range m {
				b = ve.put(ke.put(b, k), v)
			}
			return b, nil
		},
		decode: func(b []byte) (map[K]V, error) {
			n, b, err := readCount(b, ke.min+ve.min)
			if err != nil {
				return nil, err
			}
			m := make(map[K]V, n)
			for i := range n {
				k, kn, err := ke.get(b)
				if err != nil {
					return nil, fmt.Errorf("key %d: %w", i, err)
				}
				v, vn, err := ve.get(b[kn:])
				if err != nil {
					return nil, fmt.Errorf("value %d: %w", i, err)
				}
				m[k], b = v, b[kn+vn:]
				if len(m) != i+1 {
					return nil, fmt.Errorf("%w: key %d repeats an earlier key", ErrDecode, i)
				}
			}
			return m, orTrailing(nil, b)
		},
	}
}

// readCount reads an element count and checks it against the bytes left,
// each element taking at least min of them.
func readCount(b []byte, min int) (int, []byte, error) {
	n, k := binary.Uvarint(b)
	if k <= 0 {
		return 0, nil, fmt.Errorf("%w: malformed element count", ErrDecode)
	}
	b = b[k:]
	if n > uint64(len(b)/min) {
		return 0, nil, fmt.Errorf("%w: %d elements cannot fit in %d bytes", ErrDecode, n, len(b))
	}
	return int(n), b, nil
}

func orTrailing(err error, rest []byte) error {
	if err == nil && len(rest) > 0 {
		err = fmt.Errorf("%w: %d trailing bytes", ErrDecode, len(rest))
	}
	return err
}

// sliceCodec returns the codec of []E for each built-in element type E, or nil.
func sliceCodec[T any]() *codec[T] {
	var v T
	switch any(v).(type) {
	case []bool:
		return as[T](sliceOf(boolElem()))
	case []int:
		return as[T](sliceOf(signedElem[int](64)))
	case []int8:
		return as[T](sliceOf(signedElem[int8](8)))
	case []int16:
		return as[T](sliceOf(signedElem[int16](16)))
	case []int32:
		return as[T](sliceOf(signedElem[int32](32)))
	case []int64:
		return as[T](sliceOf(signedElem[int64](64)))
	case []uint:
		return as[T](sliceOf(unsignedElem[uint](64)))
	case []uint16:
		return as[T](sliceOf(unsignedElem[uint16](16)))
	case []uint32:
		return as[T](sliceOf(unsignedElem[uint32](32)))
	case []uint64:
		return as[T](sliceOf(unsignedElem[uint64](64)))
	case []float32:
		return as[T](sliceOf(float32Elem()))
	case []float64:
		return as[T](sliceOf(float64Elem()))
	case []string:
		return as[T](sliceOf(stringElem()))
	case [][]byte:
		return as[T](sliceOf(bytesElem()))
	case []time.Time:
		return as[T](sliceOf(timeElem()))
	case []time.Duration:
		return as[T](sliceOf(signedElem[time.Duration](64)))
	}
	return nil
}

// mapCodec returns the codec of map[K]V for each built-in key type K and
// element type V, or nil.
func mapCodec[T any]() *codec[T] {
	if c := mapWithKey[T](stringElem()); c != nil {
		return c
	}
	if c := mapWithKey[T](signedElem[int](64)); c != nil {
		return c
	}
	if c := mapWithKey[T](signedElem[int64](64)); c != nil {
		return c
	}
	return mapWithKey[T](unsignedElem[uint64](64))
}

func mapWithKey[T any, K comparable](k elem[K]) *codec[T] {
	var v T
	switch any(v).(type) {
	case map[K]bool:
		return as[T](mapOf(k, boolElem()))
	case map[K]int:
		return as[T](mapOf(k, signedElem[int](64)))
	case map[K]int8:
		return as[T](mapOf(k, signedElem[int8](8)))
	case map[K]int16:
		return as[T](mapOf(k, signedElem[int16](16)))
	case map[K]int32:
		return as[T](mapOf(k, signedElem[int32](32)))
	case map[K]int64:
		return as[T](mapOf(k, signedElem[int64](64)))
	case map[K]uint:
		return as[T](mapOf(k, unsignedElem[uint](64)))
	case map[K]uint16:
		return as[T](mapOf(k, unsignedElem[uint16](16)))
	case map[K]uint32:
		return as[T](mapOf(k, unsignedElem[uint32](32)))
	case map[K]uint64:
		return as[T](mapOf(k, unsignedElem[uint64](64)))
	case map[K]float32:
		return as[T](mapOf(k, float32Elem()))
	case map[K]float64:
		return as[T](mapOf(k, float64Elem()))
	case map[K]string:
		return as[T](mapOf(k, stringElem()))
	case map[K][]byte:
		return as[T](mapOf(k, bytesElem()))
	case map[K]time.Time:
		return as[T](mapOf(k, timeElem()))
	case map[K]time.Duration:
		return as[T](mapOf(k, signedElem[time.Duration](64)))
	}
	return nil
}
