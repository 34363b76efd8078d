package spawn

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
)

// Record tags on the bootstrap channel.
const (
	TagBootstrap byte = 'B' // parent to child: the opaque bootstrap data
	TagStop      byte = 'S' // parent to child: stop gracefully; data is the grace period, then the wait before a kill, uint64 nanoseconds
	TagReady     byte = 'R' // child to parent: serving; data describes where
	TagError     byte = 'E' // child to parent: could not start; data is the message
	TagWarm      byte = 'W' // standby to parent: up, waiting for its bootstrap
	TagGone      byte = 'G' // standby to parent: it ends, and runs no actor, though it may have read the bootstrap
)

// MaxRecord bounds a record's data, so that a confused peer cannot make the
// other side allocate without limit. Spawn arguments must fit in it.
const MaxRecord = 64 << 20

// ErrRecordTooLarge is returned for a record whose declared length exceeds MaxRecord.
var ErrRecordTooLarge = errors.New("spawn: bootstrap record too large")

func writeRecord(w io.Writer, tag byte, data []byte) error {
	b, err := appendRecord(nil, tag, data)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// appendRecord appends a record, header and data, to b.
func appendRecord(b []byte, tag byte, data []byte) ([]byte, error) {
	if len(data) > MaxRecord {
		return nil, fmt.Errorf("%w: %d bytes", ErrRecordTooLarge, len(data))
	}
	b = append(b, tag)
	b = binary.BigEndian.AppendUint32(b, uint32(len(data)))
	return append(b, data...), nil
}

func readRecord(r io.Reader) (tag byte, data []byte, err error) {
	var h [5]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return 0, nil, err
	}
	n := binary.BigEndian.Uint32(h[1:])
	if n > MaxRecord {
		return 0, nil, fmt.Errorf("%w: %d bytes", ErrRecordTooLarge, n)
	}
	// The buffer grows as the data comes, doubling, rather than all at
	// once: a header that promises much and brings little costs little.
	data = make([]byte, 0, min(n, firstRead))
	for len(data) < int(n) {
		if len(data) == cap(data) {
			data = slices.Grow(data, min(int(n)-len(data), len(data)))
		}
		m, err := io.ReadFull(r, data[len(data):min(cap(data), int(n))])
		data = data[:len(data)+m]
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return 0, nil, err
		}
	}
	return h[0], data, nil
}

// firstRead is how much of a record's data readRecord makes room for
// before any of it has come: most records fit in it.
const firstRead = 64 << 10
