package mdp

import (
	"encoding/binary"
	"fmt"
	"sort"
	"unicode/utf8"
)

// Mode is how a service shares its requests among its workers' tiers. A
// worker may declare one in its XREADY; the broker's configuration may pin
// one per service, which then wins (spec/extensions.md, "Service modes").
type Mode uint8

const (
	// ModeUnset: the worker declares no mode and serves in whatever mode
	// the service has (overflow unless something else set it).
	ModeUnset Mode = iota
	// ModeOverflow: the best tier with a free worker takes each request;
	// a lower tier takes work whenever the better ones are all busy.
	ModeOverflow
	// ModeStrict: only the best tier that has a live worker takes work;
	// requests wait for its busy workers rather than go to a lower tier.
	ModeStrict
	// ModeExclusive: one worker of the service, the active one, holds
	// requests at a time; the others are standbys.
	ModeExclusive
)

var modeNames = [...]string{"unset", "overflow", "strict", "exclusive"}

func (m Mode) String() string {
	if int(m) < len(modeNames) {
		return modeNames[m]
	}
	return fmt.Sprintf("mode(%d)", uint8(m))
}

// ParseMode reads "overflow", "strict" or "exclusive".
func ParseMode(s string) (Mode, error) {
	for i, n := range modeNames[1:] {
		if s == n {
			return Mode(i + 1), nil
		}
	}
	return ModeUnset, fmt.Errorf("%w: mode %q (overflow, strict or exclusive)", ErrBadExtension, s)
}

// MaxReadyInfo bounds the optional ready info frame of an XREADY.
const MaxReadyInfo = 4096

// readyInfoVersion opens the ready info frame.
const readyInfoVersion = 1

// hasReadyInfo reports whether m declares anything the ready info frame
// carries; a frame that declares nothing is never sent (and refused).
func (m *Message) hasReadyInfo() bool {
	return m.Mode != ModeUnset || m.WorkerName != "" || m.WorkerVersion != "" || len(m.Metadata) > 0
}

// validateReadyInfo checks what encodeReadyInfo would write.
func (m *Message) validateReadyInfo() error {
	if m.Mode > ModeExclusive {
		return fmt.Errorf("%w: %s", ErrBadExtension, m.Mode)
	}
	if len(m.WorkerName) > 255 || len(m.WorkerVersion) > 255 || len(m.Metadata) > 255 {
		return fmt.Errorf("%w: name and version take at most 255 bytes, metadata 255 entries", ErrBadExtension)
	}
	if !utf8.ValidString(m.WorkerName) || !utf8.ValidString(m.WorkerVersion) {
		return fmt.Errorf("%w: name and version must be UTF-8", ErrBadExtension)
	}
	size := 5 + len(m.WorkerName) + len(m.WorkerVersion)
	for k, v := range m.Metadata {
		if k == "" || len(k) > 255 || len(v) > 0xffff || !utf8.ValidString(k) || !utf8.ValidString(v) {
			return fmt.Errorf("%w: metadata key %q: keys take 1 to 255 bytes, values at most 65535, UTF-8", ErrBadExtension, k)
		}
		size += 3 + len(k) + len(v)
	}
	if size > MaxReadyInfo {
		return fmt.Errorf("%w: ready info of %d bytes is over %d", ErrBadExtension, size, MaxReadyInfo)
	}
	return nil
}

// encodeReadyInfo writes version · mode · name · version · metadata, keys
// in byte order (spec/extensions.md, "Ready info").
func encodeReadyInfo(m *Message) []byte {
	b := []byte{readyInfoVersion, byte(m.Mode), byte(len(m.WorkerName))}
	b = append(b, m.WorkerName...)
	b = append(b, byte(len(m.WorkerVersion)))
	b = append(b, m.WorkerVersion...)
	keys := make([]string, 0, len(m.Metadata))
	for k := range m.Metadata {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	b = append(b, byte(len(keys)))
	for _, k := range keys {
		v := m.Metadata[k]
		b = append(b, byte(len(k)))
		b = append(b, k...)
		b = binary.BigEndian.AppendUint16(b, uint16(len(v)))
		b = append(b, v...)
	}
	return b
}

// readyInfoReader takes a ready info frame apart, failing on the first
// field that runs past its end.
type readyInfoReader struct {
	b   []byte
	err error
}

func (r *readyInfoReader) take(n int) []byte {
	if r.err != nil {
		return nil
	}
	if n > len(r.b) {
		r.err = fmt.Errorf("%w: ready info ends early", ErrBadExtension)
		return nil
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}

func (r *readyInfoReader) byte1() int {
	if v := r.take(1); v != nil {
		return int(v[0])
	}
	return 0
}

func (r *readyInfoReader) text(n int) string {
	v := r.take(n)
	if r.err == nil && !utf8.Valid(v) {
		r.err = fmt.Errorf("%w: ready info text is not UTF-8", ErrBadExtension)
	}
	return string(v)
}

func decodeReadyInfo(b []byte, m *Message) error {
	if len(b) > MaxReadyInfo {
		return fmt.Errorf("%w: ready info of %d bytes is over %d", ErrBadExtension, len(b), MaxReadyInfo)
	}
	r := readyInfoReader{b: b}
	if v := r.byte1(); r.err == nil && v != readyInfoVersion {
		return fmt.Errorf("%w: ready info version %d, want %d", ErrBadExtension, v, readyInfoVersion)
	}
	m.Mode = Mode(r.byte1())
	m.WorkerName = r.text(r.byte1())
	m.WorkerVersion = r.text(r.byte1())
	n := r.byte1()
	prev := ""
	for i := 0; i < n && r.err == nil; i++ {
		k := r.text(r.byte1())
		lv := r.take(2)
		if r.err != nil {
			break
		}
		v := r.text(int(binary.BigEndian.Uint16(lv)))
		if r.err == nil && (k == "" || i > 0 && k <= prev) {
			return fmt.Errorf("%w: metadata keys must be non-empty and in increasing byte order", ErrBadExtension)
		}
		if m.Metadata == nil {
			m.Metadata = make(map[string]string, n)
		}
		m.Metadata[k], prev = v, k
	}
	switch {
	case r.err != nil:
		return r.err
	case len(r.b) != 0:
		return fmt.Errorf("%w: %d bytes after the ready info", ErrBadExtension, len(r.b))
	case m.Mode > ModeExclusive:
		return fmt.Errorf("%w: unknown %s", ErrBadExtension, m.Mode)
	case !m.hasReadyInfo():
		return fmt.Errorf("%w: ready info declares nothing", ErrBadExtension)
	}
	return nil
}
