package kv

import (
	"bytes"
	"testing"
)

// FuzzParseRequest: ParseRequest never panics, and what it accepts
// encodes to frames that parse to the same request.
func FuzzParseRequest(f *testing.F) {
	f.Add([]byte("get"), []byte("k"), []byte("12"), []byte(""), []byte(""))
	f.Add([]byte("scan"), []byte("p/"), []byte("10"), []byte("p/1"), []byte("3"))
	f.Add([]byte("cas"), bytes.Repeat([]byte{1}, 16), []byte("k"), []byte("version"), []byte("0"))
	f.Add([]byte("incr"), []byte(""), []byte("n"), []byte("-3"), []byte(""))
	f.Fuzz(func(t *testing.T, a, b, c, d, e []byte) {
		for n := 1; n <= 6; n++ {
			frames := [][]byte{a, b, c, d, e, []byte("v")}[:n]
			r, err := ParseRequest(frames)
			if err != nil {
				continue
			}
			again, err := ParseRequest(r.Frames())
			if err != nil || !sameRequest(r, again) {
				t.Fatalf("%q parsed to %+v, whose frames parse to %+v, %v", frames, r, again, err)
			}
		}
	})
}

// FuzzParseReplies: the reply parsers never panic on any frames.
func FuzzParseReplies(f *testing.F) {
	f.Add([]byte("ok"), []byte("1"), []byte("2"), []byte("v"), []byte("-1"))
	f.Fuzz(func(t *testing.T, a, b, c, d, e []byte) {
		for n := 0; n <= 5; n++ {
			frames := [][]byte{a, b, c, d, e}[:n]
			ParseWriteResult(frames)
			ParseGetResult(frames)
			ParseScanResult(frames)
			ParseStatus(frames)
		}
	})
}
