package uactor

import (
	"encoding/binary"
	"fmt"
	"unsafe"
)

// Slices and maps of built-in elements: a uvarint count, then each element
// (each key, then its value), as elem encodes it. The count is checked
// against the bytes that are there before anything is allocated: every
// element takes at least its elem's min bytes, so a lying count fails at
// once, and a slice or map is never sized beyond what the input can fill
// (a map's entries, far larger in memory than on the wire, by their size).
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
	// slot is what an entry takes in the map, at the least: a key and its
	// value, far more than the fewest bytes they take on the wire (40
	// bytes against 2 for map[string][]byte).
	slot := int(unsafe.Sizeof(*new(K)) + unsafe.Sizeof(*new(V)))
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
			// The count is the sender's: sized by it, a map whose entries
			// repeat or break at once would cost tens of bytes a byte of
			// input before it failed. Sized for what the bytes could fill
			// at slot each, it grows past that only as entries decode.
			m := make(map[K]V, min(n, len(b)/slot))
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
