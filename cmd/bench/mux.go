package main

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"

	"github.com/uactor-go/uactor/internal/sockbuf"
)

// muxWrites says how the raw multiplexed floor writes, for the legend.
const muxWrites = "writes coalesced under a mutex (a caller appends its request to a pending buffer " +
	"and, if no write is in progress, writes everything pending itself, so a lone caller costs one write and no hop)"

// muxClient is the raw multiplexed floor: many goroutines share one
// connection to a raw echo child with no library in between. Each request
// is [4-byte big-endian length][8-byte caller id][padding], so the echo
// carries the id back. Writes are coalesced under a mutex (see muxWrites);
// one reader goroutine hands each reply to its caller. Nothing is
// allocated per call.
type muxClient struct {
	conn  net.Conn
	slots []muxSlot

	mu      sync.Mutex
	pending []byte // requests queued while a write is in progress
	spare   []byte // the other buffer, swapped with pending by the writer
	writing bool   // a caller is writing

	done     chan struct{} // closed when the connection fails or is closed
	failOnce sync.Once
	err      error // valid once done is closed
	wg       sync.WaitGroup
}

// muxSlot is one caller's request and reply buffers.
type muxSlot struct {
	msg   []byte        // the whole request, header included
	reply []byte        // the reply's payload
	ready chan struct{} // one send per reply
}

// newMuxClient starts a multiplexed client for up to callers goroutines,
// each sending payloads of size bytes (at least 8) on conn.
func newMuxClient(conn net.Conn, callers, size int) (*muxClient, error) {
	if size < 8 {
		return nil, fmt.Errorf("raw mux: payload of %d bytes cannot carry an 8-byte id", size)
	}
	sockbuf.Size(conn) // as ours: the floor differs from it only by the library
	c := &muxClient{
		conn:    conn,
		slots:   make([]muxSlot, callers),
		pending: make([]byte, 0, 64<<10),
		spare:   make([]byte, 0, 64<<10),
		done:    make(chan struct{}),
	}
	for i := range c.slots {
		msg := make([]byte, 4+size)
		binary.BigEndian.PutUint32(msg, uint32(size))
		binary.BigEndian.PutUint64(msg[4:], uint64(i))
		c.slots[i] = muxSlot{msg: msg, reply: make([]byte, size), ready: make(chan struct{}, 1)}
	}
	c.wg.Add(1)
	go c.readLoop()
	return c, nil
}

// call sends caller i's request and waits for its reply. Caller i must
// have one call in flight at most.
func (c *muxClient) call(i int) error {
	if err := c.write(c.slots[i].msg); err != nil {
		return err
	}
	select {
	case <-c.slots[i].ready:
		return nil
	case <-c.done:
		return c.err
	}
}

// write queues msg and, unless another caller is writing (and so will
// write msg too), writes everything pending until nothing is.
func (c *muxClient) write(msg []byte) error {
	c.mu.Lock()
	c.pending = append(c.pending, msg...)
	if c.writing {
		c.mu.Unlock()
		return nil
	}
	c.writing = true
	for len(c.pending) > 0 {
		buf := c.pending
		c.pending = c.spare[:0]
		c.mu.Unlock()
		_, err := c.conn.Write(buf)
		c.mu.Lock()
		c.spare = buf[:0]
		if err != nil {
			c.writing = false
			c.mu.Unlock()
			c.fail(err)
			return c.err
		}
	}
	c.writing = false
	c.mu.Unlock()
	return nil
}

func (c *muxClient) readLoop() {
	defer c.wg.Done()
	r := bufio.NewReaderSize(c.conn, 64<<10)
	var h [12]byte
	for {
		if _, err := io.ReadFull(r, h[:]); err != nil {
			c.fail(err)
			return
		}
		n := int(binary.BigEndian.Uint32(h[:4]))
		id := binary.BigEndian.Uint64(h[4:])
		if id >= uint64(len(c.slots)) || n != len(c.slots[id].reply) {
			c.fail(fmt.Errorf("raw mux: reply for caller %d of %d bytes", id, n))
			return
		}
		s := &c.slots[id]
		if _, err := io.ReadFull(r, s.reply[8:]); err != nil {
			c.fail(err)
			return
		}
		s.ready <- struct{}{}
	}
}

func (c *muxClient) fail(err error) {
	c.failOnce.Do(func() {
		c.err = fmt.Errorf("raw mux: %w", err)
		close(c.done)
		c.conn.Close()
	})
}

// Close closes the connection and waits for the client's goroutines.
func (c *muxClient) Close() {
	c.fail(errors.New("closed"))
	c.wg.Wait()
}
