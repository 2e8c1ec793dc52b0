package mdp

import (
	"bytes"
	"testing"
)

// FuzzParse feeds arbitrary multipart messages to both parse directions.
// Nothing may panic, and whatever parses must re-encode to exactly the
// frames it came from.
//
// The fuzzer gives one byte string; splitFrames cuts it into frames at each
// 0xff byte, so the corpus stays readable and every frame shape is reachable.
func FuzzParse(f *testing.F) {
	for _, tc := range sampleMessages() {
		frames, err := tc.msg.Frames()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(joinFrames(frames))
	}
	f.Add([]byte{})
	f.Add([]byte{0xff})
	f.Fuzz(func(t *testing.T, data []byte) {
		frames := splitFrames(data)
		for _, dir := range []Direction{ToBroker, FromBroker} {
			m, err := Parse(frames, dir)
			if err != nil {
				continue
			}
			again, err := m.Frames()
			if err != nil {
				t.Fatalf("parsed %+v (%s) but cannot re-encode: %v", m, dir, err)
			}
			if !framesEqual(frames, again) {
				t.Fatalf("%s: re-encoded frames differ:\n in %x\nout %x", dir, frames, again)
			}
		}
		if _, m, err := ParseRouter(frames); err == nil {
			if _, err := m.Frames(); err != nil {
				t.Fatalf("ParseRouter accepted %+v that cannot be encoded: %v", m, err)
			}
		}
	})
}

func splitFrames(data []byte) [][]byte {
	if len(data) == 0 {
		return nil
	}
	return bytes.Split(data, []byte{0xff})
}

func joinFrames(frames [][]byte) []byte {
	return bytes.Join(frames, []byte{0xff})
}
