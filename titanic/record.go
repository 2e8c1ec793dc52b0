package titanic

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"time"
)

// The values stored in bbolt. bbolt keeps the file consistent (copy-on-write
// pages, checksummed meta pages); a record adds a CRC-32C of its own bytes so
// that a flipped byte in a data page is detected instead of served. Layout:
//
//	version (1) · state (1) · time A (8, Unix ms) · time B (8, Unix ms) ·
//	text (uvarint length · bytes) · frame count (uvarint) ·
//	frames (uvarint length · bytes each) · CRC-32C of all before (4)
//
// A request record (bucket "requests") has state statePending, A = created,
// B = deadline, text = the service. A result record (bucket "results") has
// state StateDone or StateFailed, A = finished, B = the request's deadline,
// text = why it failed (StateFailed), frames = the reply (StateDone).
const recordVersion = 1

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// record is the decoded form of a stored value.
type record struct {
	state  State
	a, b   time.Time
	text   string
	frames [][]byte
}

func (r *record) encode() []byte {
	n := 1 + 1 + 8 + 8 + binary.MaxVarintLen64 + len(r.text) + binary.MaxVarintLen64 + 4
	for _, f := range r.frames {
		n += binary.MaxVarintLen64 + len(f)
	}
	b := make([]byte, 0, n)
	b = append(b, recordVersion, byte(r.state))
	b = binary.BigEndian.AppendUint64(b, uint64(r.a.UnixMilli()))
	b = binary.BigEndian.AppendUint64(b, uint64(r.b.UnixMilli()))
	b = binary.AppendUvarint(b, uint64(len(r.text)))
	b = append(b, r.text...)
	b = binary.AppendUvarint(b, uint64(len(r.frames)))
	for _, f := range r.frames {
		b = binary.AppendUvarint(b, uint64(len(f)))
		b = append(b, f...)
	}
	return binary.BigEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
}

// decodeRecord parses a stored value; the frames are copies, so the result
// outlives the bbolt transaction. Any damage is ErrCorrupt.
func decodeRecord(v []byte) (record, error) {
	var r record
	if len(v) < 1+1+8+8+1+1+4 {
		return r, fmt.Errorf("%w: record of %d bytes is too short", ErrCorrupt, len(v))
	}
	body, sum := v[:len(v)-4], binary.BigEndian.Uint32(v[len(v)-4:])
	if crc32.Checksum(body, castagnoli) != sum {
		return r, fmt.Errorf("%w: record checksum mismatch", ErrCorrupt)
	}
	if body[0] != recordVersion {
		return r, fmt.Errorf("%w: record version %d, want %d", ErrCorrupt, body[0], recordVersion)
	}
	r.state = State(body[1])
	if r.state < statePending || r.state > StateFailed {
		return r, fmt.Errorf("%w: record state %d", ErrCorrupt, body[1])
	}
	r.a = time.UnixMilli(int64(binary.BigEndian.Uint64(body[2:10])))
	r.b = time.UnixMilli(int64(binary.BigEndian.Uint64(body[10:18])))
	rest := body[18:]
	text, rest, err := readBytes(rest)
	if err != nil {
		return r, err
	}
	r.text = string(text)
	count, k := binary.Uvarint(rest)
	if k <= 0 || count > uint64(len(rest)) {
		return r, fmt.Errorf("%w: bad frame count", ErrCorrupt)
	}
	rest = rest[k:]
	r.frames = make([][]byte, 0, count)
	for i := uint64(0); i < count; i++ {
		var f []byte
		if f, rest, err = readBytes(rest); err != nil {
			return r, err
		}
		r.frames = append(r.frames, append([]byte{}, f...))
	}
	if len(rest) != 0 {
		return r, fmt.Errorf("%w: %d bytes after the last frame", ErrCorrupt, len(rest))
	}
	return r, nil
}

func readBytes(b []byte) (field, rest []byte, err error) {
	n, k := binary.Uvarint(b)
	if k <= 0 || n > uint64(len(b)-k) {
		return nil, nil, fmt.Errorf("%w: bad length prefix", ErrCorrupt)
	}
	return b[k : k+int(n)], b[k+int(n):], nil
}
