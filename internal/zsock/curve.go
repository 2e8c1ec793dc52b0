package zsock

/*
#include "zsock.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"unsafe"
)

// KeySize is the size of a CURVE key, public or secret, in bytes.
const KeySize = 32

// Key is a CURVE key: a public or a secret key.
type Key [KeySize]byte

// ErrBadKey says a text is not the 40-character Z85 form of a key.
var ErrBadKey = errors.New("zsock: not a CURVE key in Z85 (40 characters)")

// String is the key in Z85, ZeroMQ's text form of keys (40 characters).
func (k Key) String() string {
	var out [41]C.char
	if C.zmq_z85_encode(&out[0], (*C.uint8_t)(unsafe.Pointer(&k[0])), KeySize) == nil {
		return "" // not reached: 32 is a multiple of 4
	}
	return C.GoString(&out[0])
}

// ParseKey reads the Z85 form of a key.
func ParseKey(z85 string) (Key, error) {
	var k Key
	if len(z85) != 40 {
		return k, ErrBadKey
	}
	cs := C.CString(z85)
	defer C.free(unsafe.Pointer(cs))
	if C.zmq_z85_decode((*C.uint8_t)(unsafe.Pointer(&k[0])), cs) == nil {
		return k, ErrBadKey
	}
	return k, nil
}

// NewKeyPair makes a CURVE key pair from the system's random source
// (libzmq's zmq_curve_keypair).
func NewKeyPair() (public, secret Key, err error) {
	var pub, sec [41]C.char
	if C.zmq_curve_keypair(&pub[0], &sec[0]) < 0 {
		return public, secret, fmt.Errorf("zsock: new CURVE key pair: %w", Errno(C.zmq_errno()))
	}
	if public, err = ParseKey(C.GoString(&pub[0])); err != nil {
		return public, secret, err
	}
	secret, err = ParseKey(C.GoString(&sec[0]))
	return public, secret, err
}

// PublicKey derives the public key of a secret key (zmq_curve_public).
func PublicKey(secret Key) (Key, error) {
	var pub [41]C.char
	sec := C.CString(secret.String())
	defer C.free(unsafe.Pointer(sec))
	if C.zmq_curve_public(&pub[0], sec) < 0 {
		return Key{}, fmt.Errorf("zsock: CURVE public key: %w", Errno(C.zmq_errno()))
	}
	return ParseKey(C.GoString(&pub[0]))
}

func (s *Socket) setKey(name string, opt C.int, k Key) error {
	if err := check(C.zs_setbytes(s.s, opt, unsafe.Pointer(&k[0]), KeySize)); err != nil {
		return fmt.Errorf("zsock: %s: %w", name, err)
	}
	return nil
}

// SetCurveServer makes the endpoints bound after it CURVE servers with the
// given secret key: peers must be CURVE clients that know the matching
// public key, and every message is encrypted. A ZAP handler in the socket's
// context (inproc://zeromq.zap.01, see ZAPAddress) decides which client
// keys are let in; with none bound, libzmq lets every key in.
func (s *Socket) SetCurveServer(secret Key) error {
	if err := s.setInt("curve server", C.ZMQ_CURVE_SERVER, 1); err != nil {
		return err
	}
	return s.setKey("curve secret key", C.ZMQ_CURVE_SECRETKEY, secret)
}

// SetPlain makes the endpoints bound after it plain again (no CURVE), as a
// new socket's are.
func (s *Socket) SetPlain() error {
	return s.setInt("curve server", C.ZMQ_CURVE_SERVER, 0)
}

// SetCurveClient makes the connections made after it CURVE clients of the
// server whose public key is server, with the key pair public and secret.
func (s *Socket) SetCurveClient(server, public, secret Key) error {
	if err := s.setKey("curve server key", C.ZMQ_CURVE_SERVERKEY, server); err != nil {
		return err
	}
	if err := s.setKey("curve public key", C.ZMQ_CURVE_PUBLICKEY, public); err != nil {
		return err
	}
	return s.setKey("curve secret key", C.ZMQ_CURVE_SECRETKEY, secret)
}

// SetZAPDomain sets the ZAP domain of the endpoints bound after it. libzmq
// asks the ZAP handler about NULL-security peers only when it is set.
func (s *Socket) SetZAPDomain(domain string) error {
	cd := C.CString(domain)
	defer C.free(unsafe.Pointer(cd))
	if err := check(C.zs_setbytes(s.s, C.ZMQ_ZAP_DOMAIN, unsafe.Pointer(cd), C.size_t(len(domain)))); err != nil {
		return fmt.Errorf("zsock: zap domain: %w", err)
	}
	return nil
}

// ZAPAddress is where libzmq sends its ZAP requests (RFC 27): a handler
// binds a ROUTER there, in the same context as the sockets it serves.
const ZAPAddress = "inproc://zeromq.zap.01"

// SetRecvProperties makes Recv and RecvView also take two properties of
// each message's sender, read afterwards with UserID and PeerAddress.
func (s *Socket) SetRecvProperties(on bool) {
	s.s.want_props = 0
	if on {
		s.s.want_props = 1
	}
}

// UserID is the "User-Id" of the last message received with
// SetRecvProperties on: what the ZAP handler said of the sender's
// connection (majordomo's: its CURVE public key in Z85), empty without
// one. It is a view, valid until the next receive or Close.
func (s *Socket) UserID() []byte {
	return unsafe.Slice((*byte)(unsafe.Pointer(&s.s.user_id[0])), int(s.s.user_id_len))
}

// PeerAddress is the "Peer-Address" of the last message received with
// SetRecvProperties on: the sender's IP address on TCP, empty on other
// transports. A view, valid until the next receive or Close.
func (s *Socket) PeerAddress() []byte {
	return unsafe.Slice((*byte)(unsafe.Pointer(&s.s.peer_addr[0])), int(s.s.peer_addr_len))
}
