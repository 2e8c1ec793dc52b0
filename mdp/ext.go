package mdp

import (
	"encoding/binary"
	"fmt"
	"math"
	"time"

	"github.com/google/uuid"
)

// ExtVersion is the version byte that opens every extension meta frame.
const ExtVersion = 1

// Sizes of the extension frames.
const (
	requestMetaLen = 22 // version · flags · UUID(16) · timeout ms (uint32, big-endian)
	readyMetaLen   = 8  // version · tier · capacity (uint16) · heartbeat ms (uint32), big-endian
	uuidLen        = 16
)

// MaxTimeout is the longest Timeout the request meta frame can carry.
const MaxTimeout = time.Duration(math.MaxUint32) * time.Millisecond

func encodeRequestMeta(id uuid.UUID, flags Flags, timeout time.Duration) []byte {
	b := make([]byte, requestMetaLen)
	b[0] = ExtVersion
	b[1] = byte(flags)
	copy(b[2:18], id[:])
	binary.BigEndian.PutUint32(b[18:], timeoutMillis(timeout))
	return b
}

// timeoutMillis rounds a positive timeout up to whole milliseconds (so that
// a tiny deadline never turns into "none") and clamps it to MaxTimeout.
func timeoutMillis(d time.Duration) uint32 {
	if d <= 0 {
		return 0
	}
	if d >= MaxTimeout {
		return math.MaxUint32
	}
	return uint32((d + time.Millisecond - 1) / time.Millisecond)
}

func decodeRequestMeta(b []byte, m *Message) error {
	if len(b) != requestMetaLen {
		return fmt.Errorf("%w: request meta is %d bytes, want %d", ErrBadExtension, len(b), requestMetaLen)
	}
	if b[0] != ExtVersion {
		return fmt.Errorf("%w: extension version %d, want %d", ErrBadExtension, b[0], ExtVersion)
	}
	if f := Flags(b[1]); f&^knownFlags != 0 {
		return fmt.Errorf("%w: unknown flag bits 0x%02x", ErrBadExtension, byte(f&^knownFlags))
	}
	m.Flags = Flags(b[1])
	copy(m.UUID[:], b[2:18])
	m.Timeout = time.Duration(binary.BigEndian.Uint32(b[18:])) * time.Millisecond
	return nil
}

func encodeReadyMeta(tier uint8, capacity uint16, heartbeat time.Duration) []byte {
	b := make([]byte, readyMetaLen)
	b[0] = ExtVersion
	b[1] = tier
	binary.BigEndian.PutUint16(b[2:], capacity)
	binary.BigEndian.PutUint32(b[4:], timeoutMillis(heartbeat))
	return b
}

func decodeReadyMeta(b []byte, m *Message) error {
	if len(b) != readyMetaLen {
		return fmt.Errorf("%w: ready meta is %d bytes, want %d", ErrBadExtension, len(b), readyMetaLen)
	}
	if b[0] != ExtVersion {
		return fmt.Errorf("%w: extension version %d, want %d", ErrBadExtension, b[0], ExtVersion)
	}
	m.Tier = b[1]
	m.Capacity = binary.BigEndian.Uint16(b[2:4])
	m.Heartbeat = time.Duration(binary.BigEndian.Uint32(b[4:])) * time.Millisecond
	if m.Tier == 0 || m.Capacity == 0 {
		return fmt.Errorf("%w: tier %d and capacity %d must be at least 1", ErrBadExtension, m.Tier, m.Capacity)
	}
	return nil
}

func decodeUUID(b []byte, m *Message) error {
	if len(b) != uuidLen {
		return fmt.Errorf("%w: UUID frame is %d bytes, want %d", ErrBadExtension, len(b), uuidLen)
	}
	copy(m.UUID[:], b)
	return nil
}
