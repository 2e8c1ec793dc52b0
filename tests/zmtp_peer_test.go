package tests

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"time"
)

// A raw ZMTP peer over a plain TCP connection, for sending what a libzmq
// socket would buffer on its own side first: one multipart message of any
// length, streamed frame by frame. It speaks ZMTP 1.0, 2.0, 3.0 and 3.1
// (NULL mechanism, as a DEALER), since libzmq 4.3 decodes 1.0 with one
// decoder and the others with another.

// zmtpFraming is how a version of ZMTP encodes a frame.
type zmtpFraming int

const (
	framingV1 zmtpFraming = iota // ZMTP 1.0: length (flags included), flags, data
	framingV2                    // ZMTP 2.0 and 3.x: flags, length, data
)

// zmtpPeer is one version of the protocol: the bytes that open a
// connection (greeting and, for 3.x, READY), the framing, and an optional
// command sent between data frames (a 3.1 PING). Over 3.x a peer sends
// data only once it has the other side's greeting and READY (libzmq takes
// a data frame before it has sent its READY for a handshake command).
type zmtpPeer struct {
	name      string
	greeting  []byte
	handshake bool
	framing   zmtpFraming
	between   []byte
}

// zmtpPeers are the versions the broker's libzmq accepts.
func zmtpPeers() []zmtpPeer {
	signature := []byte{0xff, 0, 0, 0, 0, 0, 0, 0, 1, 0x7f}
	greeting3 := func(minor byte) []byte {
		g := append(append([]byte(nil), signature...), 3, minor)
		g = append(g, make([]byte, 20)...)
		copy(g[12:], "NULL")
		g = append(g, make([]byte, 32)...) // as-server and filler
		ready := []byte("\x05READY\x0bSocket-Type\x00\x00\x00\x06DEALER")
		return appendCommand(g, ready)
	}
	ping := appendCommand(nil, []byte("\x04PING\x00\x00"))
	return []zmtpPeer{
		// An unversioned 1.0 peer opens with its (empty) identity.
		{name: "ZMTP1.0", greeting: []byte{1, 0}, framing: framingV1},
		// 2.0: signature, revision 1, socket type 5 (DEALER), empty identity.
		{name: "ZMTP2.0", greeting: append(append([]byte(nil), signature...), 1, 5, 0, 0), framing: framingV2},
		{name: "ZMTP3.0", greeting: greeting3(0), handshake: true, framing: framingV2},
		{name: "ZMTP3.1+PING", greeting: greeting3(1), handshake: true, framing: framingV2, between: ping},
	}
}

// appendCommand appends a ZMTP 3.x command frame with body to b.
func appendCommand(b, body []byte) []byte {
	return append(append(b, 0x04, byte(len(body))), body...)
}

// appendFrame appends one data frame to b.
func (p zmtpPeer) appendFrame(b, data []byte, more bool) []byte {
	var size [8]byte
	switch p.framing {
	case framingV1:
		flags := byte(0)
		if more {
			flags = 1
		}
		if n := len(data) + 1; n < 0xff {
			b = append(b, byte(n))
		} else {
			binary.BigEndian.PutUint64(size[:], uint64(n))
			b = append(append(b, 0xff), size[:]...)
		}
		b = append(b, flags)
	default:
		flags := byte(0)
		if more {
			flags = 1
		}
		if len(data) < 0x100 {
			b = append(b, flags, byte(len(data)))
		} else {
			binary.BigEndian.PutUint64(size[:], uint64(len(data)))
			b = append(append(b, flags|2), size[:]...)
		}
	}
	return append(b, data...)
}

// errNotClosed is floodUntilClosed's answer when the peer kept the
// connection open through the whole message and waitLong after it.
var errNotClosed = errors.New("the connection stayed open")

// floodUntilClosed connects to addr as p and sends one message of frames
// frames of size bytes each, with p.between after every 256 frames. After
// midway frames it calls midway (the message still in progress). It
// returns the frames written when the peer closed the connection, or
// errNotClosed, or another error.
func floodUntilClosed(addr string, p zmtpPeer, size, frames, midway int, atMidway func()) (int, error) {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(2 * waitLong))
	if _, err := conn.Write(p.greeting); err != nil {
		return 0, err
	}
	if p.handshake {
		if err := readGreetingAndReady(conn); err != nil {
			return 0, err
		}
	}
	const batch = 256
	var chunk []byte
	data := make([]byte, size)
	for range batch {
		chunk = p.appendFrame(chunk, data, true)
	}
	chunk = append(chunk, p.between...)
	sent := 0
	for sent+batch < frames {
		if _, err := conn.Write(chunk); err != nil {
			return sent, closedOr(err)
		}
		sent += batch
		if sent >= midway && atMidway != nil {
			atMidway()
			atMidway = nil
		}
	}
	var last []byte
	for sent < frames-1 {
		last = p.appendFrame(last, data, true)
		sent++
	}
	if _, err := conn.Write(p.appendFrame(last, data, false)); err != nil {
		return sent, closedOr(err)
	}
	sent++
	// The whole message is out: a peer that took it keeps the connection.
	conn.SetReadDeadline(time.Now().Add(waitLong))
	buf := make([]byte, 4096)
	for {
		if _, err := conn.Read(buf); err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				return sent, errNotClosed
			}
			return sent, closedOr(err)
		}
	}
}

// readGreetingAndReady reads a ZMTP 3.x greeting and the READY command
// after it.
func readGreetingAndReady(conn net.Conn) error {
	greeting := make([]byte, 64)
	if _, err := io.ReadFull(conn, greeting); err != nil {
		return fmt.Errorf("greeting: %w", err)
	}
	head := make([]byte, 2)
	if _, err := io.ReadFull(conn, head); err != nil {
		return fmt.Errorf("ready: %w", err)
	}
	if head[0] != 0x04 {
		return fmt.Errorf("ready: flags %#x, want a short command", head[0])
	}
	body := make([]byte, head[1])
	if _, err := io.ReadFull(conn, body); err != nil || !bytes.HasPrefix(body, []byte("\x05READY")) {
		return fmt.Errorf("ready: %q, %v", body, err)
	}
	return nil
}

// closedOr is nil for an error that says the peer closed the connection,
// and err for any other.
func closedOr(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) {
		return nil
	}
	return err
}
