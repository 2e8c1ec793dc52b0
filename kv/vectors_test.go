package kv

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/google/uuid"
)

// The vectors of spec/vectors/kv, run through ParseRequest and the reply
// parsers: a valid vector parses to its expect and encodes back to its
// frames; an invalid one is refused.

type vectorFile struct {
	Description string            `json:"description"`
	Vectors     []json.RawMessage `json:"vectors"`
}

type requestVector struct {
	Name   string   `json:"name"`
	Frames []string `json:"frames"`
	Expect *struct {
		Op       string `json:"op"`
		RID      string `json:"rid"`
		Key      string `json:"key"`
		Value    string `json:"value"`
		Mode     string `json:"mode"`
		Expect   string `json:"expect"`
		Version  uint64 `json:"version"`
		Delta    int64  `json:"delta"`
		Limit    int    `json:"limit"`
		After    string `json:"after"`
		MinIndex uint64 `json:"min_index"`
		Node     string `json:"node"`
		Addr     string `json:"addr"`
		Replica  bool   `json:"replica"`
	} `json:"expect"`
	Error string `json:"error"`
}

func loadVectors(t *testing.T, name string) []json.RawMessage {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "spec", "vectors", "kv", name))
	if err != nil {
		t.Fatal(err)
	}
	var f vectorFile
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if len(f.Vectors) == 0 || f.Description == "" {
		t.Fatalf("%s: no vectors or no description", name)
	}
	return f.Vectors
}

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatalf("bad hex %q: %v", s, err)
	}
	return b
}

func unhexFrames(t *testing.T, in []string) [][]byte {
	out := make([][]byte, len(in))
	for i, s := range in {
		out[i] = unhex(t, s)
	}
	return out
}

// sameFrames compares frames, nil and empty alike.
func sameFrames(a, b [][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if string(a[i]) != string(b[i]) {
			return false
		}
	}
	return true
}

func TestRequestVectors(t *testing.T) {
	for _, raw := range loadVectors(t, "requests.json") {
		var v requestVector
		if err := json.Unmarshal(raw, &v); err != nil {
			t.Fatal(err)
		}
		t.Run(v.Name, func(t *testing.T) {
			frames := unhexFrames(t, v.Frames)
			r, err := ParseRequest(frames)
			if v.Error != "" {
				if v.Error != "bad-request" || !errors.Is(err, ErrBadRequest) {
					t.Fatalf("want %s, got %v", v.Error, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			e := v.Expect
			var rid uuid.UUID
			if e.RID != "" {
				copy(rid[:], unhex(t, e.RID))
			}
			want := &Request{Op: e.Op, RID: rid, Key: unhex(t, e.Key), Value: unhex(t, e.Value), Mode: e.Mode,
				Expect: unhex(t, e.Expect), Version: e.Version, Delta: e.Delta, Limit: e.Limit,
				After: unhex(t, e.After), MinIndex: e.MinIndex, Node: e.Node, Addr: e.Addr, Replica: e.Replica}
			if !sameRequest(r, want) {
				t.Fatalf("parsed %+v, want %+v", r, want)
			}
			if got := r.Frames(); !sameFrames(got, frames) {
				t.Fatalf("re-encoded %q, want %q", got, frames)
			}
		})
	}
}

func sameRequest(a, b *Request) bool {
	norm := func(r *Request) Request {
		c := *r
		for _, p := range []*[]byte{&c.Key, &c.Value, &c.Expect, &c.After} {
			if len(*p) == 0 {
				*p = nil
			}
		}
		return c
	}
	return reflect.DeepEqual(norm(a), norm(b))
}

type replyVector struct {
	Name   string          `json:"name"`
	Kind   string          `json:"kind"`
	Frames []string        `json:"frames"`
	Expect json.RawMessage `json:"expect"`
	Error  string          `json:"error"`
}

type replyExpect struct {
	Status        string `json:"status"`
	Index         uint64 `json:"index"`
	Version       uint64 `json:"version"`
	Value         string `json:"value"`
	Applied       uint64 `json:"applied"`
	LastContactMS int64  `json:"last_contact_ms"`
	Next          string `json:"next"`
	Records       []struct {
		Key     string `json:"key"`
		Value   string `json:"value"`
		Version uint64 `json:"version"`
	} `json:"records"`
}

func TestReplyVectors(t *testing.T) {
	for _, raw := range loadVectors(t, "replies.json") {
		var v replyVector
		if err := json.Unmarshal(raw, &v); err != nil {
			t.Fatal(err)
		}
		t.Run(v.Name, func(t *testing.T) {
			frames := unhexFrames(t, v.Frames)
			got, encoded, err := parseReplyKind(v.Kind, frames)
			if v.Error != "" {
				if !errors.Is(err, ErrBadReply) {
					t.Fatalf("want bad-reply, got %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var e replyExpect
			if err := json.Unmarshal(v.Expect, &e); err != nil {
				t.Fatal(err)
			}
			if want := expectedReply(t, v.Kind, e); !reflect.DeepEqual(got, want) {
				t.Fatalf("parsed %+v, want %+v", got, want)
			}
			if !sameFrames(encoded, frames) {
				t.Fatalf("re-encoded %q, want %q", encoded, frames)
			}
		})
	}
}

// parseReplyKind parses frames as a reply of kind and returns a
// normalised form plus its re-encoding.
func parseReplyKind(kind string, f [][]byte) (any, [][]byte, error) {
	switch kind {
	case "write":
		w, err := ParseWriteResult(f)
		if err != nil {
			return nil, nil, err
		}
		return replyExpect{Status: w.Status, Index: w.Index, Version: w.Version, Value: hex.EncodeToString(w.Value)}, w.Frames(), nil
	case "get":
		g, err := ParseGetResult(f)
		if err != nil {
			return nil, nil, err
		}
		return replyExpect{Status: g.Status, Version: g.Version, Value: hex.EncodeToString(g.Value), Applied: g.Applied,
			LastContactMS: contactMS(g.Staleness)}, g.Frames(), nil
	default:
		s, err := ParseScanResult(f)
		if err != nil {
			return nil, nil, err
		}
		e := replyExpect{Status: StatusOK, Applied: s.Applied, LastContactMS: contactMS(s.Staleness), Next: hex.EncodeToString(s.Next)}
		for _, r := range s.Records {
			e.Records = append(e.Records, struct {
				Key     string `json:"key"`
				Value   string `json:"value"`
				Version uint64 `json:"version"`
			}{hex.EncodeToString(r.Key), hex.EncodeToString(r.Value), r.Version})
		}
		return e, s.Frames(), nil
	}
}

func contactMS(s Staleness) int64 {
	if s.LastContact < 0 {
		return -1
	}
	return s.LastContact.Milliseconds()
}

func expectedReply(t *testing.T, kind string, e replyExpect) replyExpect {
	t.Helper()
	if kind == "scan" {
		e.Status = StatusOK
	}
	return e
}
