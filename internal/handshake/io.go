package handshake

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"time"
)

// longAgo is a deadline in the past, used to abort a pending write.
var longAgo = time.Unix(1, 0)

// crossHellos sends out while reading the peer's hello into in. Both sides
// send their hello first, so over an unbuffered conn such as net.Pipe writing
// before reading would deadlock; the write therefore runs on its own
// goroutine, bounded like everything else by the handshake deadline, and is
// always finished when crossHellos returns. To a client, a hello that
// fails to leave once the server's whole hello came is one the server
// hung up on before its verdict: it turned the client away.
func crossHellos(conn net.Conn, out, in []byte, client bool) error {
	werr := make(chan error, 1)
	go func() {
		_, err := conn.Write(out)
		werr <- err
	}()
	if err := readHello(conn, in); err != nil {
		select {
		case <-werr:
		default:
			// The handshake has failed and the conn is being abandoned:
			// unblock the writer now rather than wait for the deadline.
			conn.SetWriteDeadline(longAgo)
			<-werr
		}
		return err
	}
	if err := <-werr; err != nil {
		err = fmt.Errorf("sending hello: %w", ioError(err))
		if client {
			err = turnedAway(err)
		}
		return err
	}
	return nil
}

// readHello reads the peer's hello into in. The magic is checked byte by
// byte as it arrives, so that a peer speaking another protocol is turned away
// at its first wrong byte rather than at the deadline, and the header before
// the rest, so that a peer of another version is told apart by it.
func readHello(conn net.Conn, in []byte) error {
	head := in[:len(magic)]
	for n := 0; n < len(head); {
		m, err := conn.Read(head[n:])
		n += m
		if badMagic(head[:n]) {
			if err != nil {
				return fmt.Errorf("%w (its first bytes are %q, then %w)", ErrNotUactor, head[:n], ioError(err))
			}
			return fmt.Errorf("%w (its first bytes are %q)", ErrNotUactor, head[:n])
		}
		if err != nil && n == 0 && closedByPeer(err) {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return fmt.Errorf("reading hello: %w: %w", ErrTurnedAway, err)
		}
		if err != nil && n < len(head) {
			return fmt.Errorf("reading hello: %w", ioError(err))
		}
	}
	// The rest of the header, then the rest: a peer of another version
	// may send a hello of another size, and waits for ours, so only its
	// version can tell it apart.
	if _, err := io.ReadFull(conn, in[len(magic):headerSize]); err != nil {
		return fmt.Errorf("reading hello: %w", ioError(err))
	}
	if _, err := parseHeader(in); err != nil {
		return err
	}
	if _, err := io.ReadFull(conn, in[headerSize:]); err != nil {
		return fmt.Errorf("reading hello: %w", ioError(err))
	}
	return nil
}

// readMsg reads one fixed-size message after the hellos.
func readMsg(conn net.Conn, what string, b []byte) error {
	if _, err := io.ReadFull(conn, b); err != nil {
		return fmt.Errorf("reading %s: %w", what, ioError(err))
	}
	return nil
}

// writeMsg writes one fixed-size message after the hellos.
func writeMsg(conn net.Conn, what string, b []byte) error {
	if _, err := conn.Write(b); err != nil {
		return fmt.Errorf("sending %s: %w", what, ioError(err))
	}
	return nil
}

// ioError says in words what the usual I/O failures mean here. Every
// message has a fixed size, so any EOF is a peer that hung up mid-handshake.
func ioError(err error) error {
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("the peer closed the connection during the handshake: %w", io.ErrUnexpectedEOF)
	case errors.Is(err, os.ErrDeadlineExceeded):
		return fmt.Errorf("deadline exceeded: %w", err) // within "handshake: with …"
	}
	return err
}

// closedByPeer reports whether a read's err says that the peer closed or
// reset the connection.
func closedByPeer(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET)
}

// turnedAway marks err, from a client's write or read between the hellos
// and the verdict, as ErrTurnedAway if it says that the server hung up: an
// actor evicts a connection so when its handshake budget is full and this
// one's proof is the one it has waited on longest, and another try may
// succeed. A wrong key never ends so: a proof the server read gets its
// verdict, a rejection included, so a client retrying on ErrTurnedAway
// does not go on guessing.
func turnedAway(err error) error {
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) {
		return fmt.Errorf("%w: %w", ErrTurnedAway, err)
	}
	return err
}

// handshakeError adds the peer's address to err, in the form every error
// of this package takes.
func handshakeError(conn net.Conn, err error) error {
	return fmt.Errorf("handshake: with %s: %w", peerName(conn), err)
}

// peerName names the remote end for error messages; some conns (unnamed unix
// sockets, which Linux reports as "@") have no usable address.
func peerName(conn net.Conn) string {
	if a := conn.RemoteAddr(); a != nil {
		if s := a.String(); s != "" && s != "@" {
			return s
		}
	}
	return "peer"
}
