package mdp_test

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/majordomo-go/majordomo/mdp"
)

// The conformance vectors in spec/vectors/*.json, run through the public API
// only, as an implementation in another language would use them. Every vector
// is a subtest named file/vector; the format is described in spec/vectors.md.

const vectorDir = "../spec/vectors"

type vectorFile struct {
	Description string   `json:"description"`
	Vectors     []vector `json:"vectors"`
}

type vector struct {
	Name      string   `json:"name"`
	Note      string   `json:"note"`
	Version   string   `json:"version"`
	Side      string   `json:"side"`
	Direction string   `json:"direction"`
	Router    *bool    `json:"router"`
	Frames    []string `json:"frames"`
	Expect    *expect  `json:"expect"`
	Error     string   `json:"error"`
}

// expect lists every field a parse can set; an absent field must parse as
// its zero value.
type expect struct {
	Kind        string            `json:"kind"`
	Ext         bool              `json:"ext"`
	Identity    string            `json:"identity"`
	Service     string            `json:"service"`
	Address     string            `json:"address"`
	UUID        string            `json:"uuid"`
	TimeoutMS   uint32            `json:"timeout_ms"`
	Flags       uint8             `json:"flags"`
	Tier        uint8             `json:"tier"`
	Capacity    uint16            `json:"capacity"`
	HeartbeatMS uint32            `json:"heartbeat_ms"`
	Mode        string            `json:"mode"`
	WorkerName  string            `json:"worker_name"`
	WorkerVer   string            `json:"worker_version"`
	Metadata    map[string]string `json:"metadata"`
	Status      uint16            `json:"status"`
	Text        string            `json:"text"`
	Body        []string          `json:"body"`
}

// errorCodes maps the stable error codes of the vectors (spec/vectors.md) to
// the sentinels that mdp wraps, with their names for the coverage test.
var errorCodes = map[string]sentinel{
	"empty-message":        {"ErrEmptyMessage", mdp.ErrEmptyMessage},
	"bad-identity":         {"ErrBadIdentity", mdp.ErrBadIdentity},
	"bad-header":           {"ErrBadHeader", mdp.ErrBadHeader},
	"missing-delimiter":    {"ErrMissingDelimiter", mdp.ErrMissingDelimiter},
	"unexpected-delimiter": {"ErrUnexpectedDelimiter", mdp.ErrUnexpectedDelimiter},
	"unknown-command":      {"ErrUnknownCommand", mdp.ErrUnknownCommand},
	"unexpected-command":   {"ErrUnexpectedCommand", mdp.ErrUnexpectedCommand},
	"missing-frames":       {"ErrMissingFrames", mdp.ErrMissingFrames},
	"extra-frames":         {"ErrExtraFrames", mdp.ErrExtraFrames},
	"empty-service":        {"ErrEmptyService", mdp.ErrEmptyService},
	"service-too-long":     {"ErrServiceTooLong", mdp.ErrServiceTooLong},
	"bad-service":          {"ErrBadService", mdp.ErrBadService},
	"reserved-service":     {"ErrReservedService", mdp.ErrReservedService},
	"bad-address":          {"ErrBadAddress", mdp.ErrBadAddress},
	"bad-extension":        {"ErrBadExtension", mdp.ErrBadExtension},
	"bad-status":           {"ErrBadStatus", mdp.ErrBadStatus},
}

type sentinel struct {
	name string
	err  error
}

// notParseErrors are the sentinels no frame parse can return, so no vector
// can cover them; each is tested elsewhere.
var notParseErrors = map[string]string{
	"ErrBadUUID":        "textual Titanic UUIDs (ParseUUID); TestUUIDForm",
	"ErrInvalidMessage": "encoding only (Frames/AppendFrames); TestEncodeRefusesInvalid",
}

var (
	versions   = map[string]mdp.Version{"0.1": mdp.V01, "0.2": mdp.V02}
	sides      = map[string]mdp.Side{"client": mdp.SideClient, "worker": mdp.SideWorker}
	directions = map[string]mdp.Direction{"to-broker": mdp.ToBroker, "from-broker": mdp.FromBroker}
)

// loaded is one vector with its frames decoded, ready to run.
type loaded struct {
	file   string
	v      vector
	frames [][]byte
	dir    mdp.Direction
}

func (l loaded) id() string { return l.file + "/" + l.v.Name }

// loadVectors reads and checks every vector file; a malformed file fails the
// test with the file and vector named.
func loadVectors(t *testing.T) []loaded {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(vectorDir, "*.json"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no vector files in %s: %v", vectorDir, err)
	}
	sort.Strings(paths)
	var all []loaded
	for _, p := range paths {
		vs, err := readVectorFile(p)
		if err != nil {
			t.Fatalf("malformed vector file %s: %v", p, err)
		}
		all = append(all, vs...)
	}
	return all
}

func readVectorFile(path string) ([]loaded, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var f vectorFile
	if err := dec.Decode(&f); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, errors.New("trailing data after the top-level object")
	}
	if f.Description == "" || len(f.Vectors) == 0 {
		return nil, errors.New("needs a description and at least one vector")
	}
	file := filepath.Base(path)
	seen := map[string]bool{}
	out := make([]loaded, 0, len(f.Vectors))
	for i, v := range f.Vectors {
		l, err := checkVector(file, v)
		if err != nil {
			return nil, fmt.Errorf("vector %d (%q): %w", i, v.Name, err)
		}
		if seen[v.Name] {
			return nil, fmt.Errorf("vector %d: duplicate name %q", i, v.Name)
		}
		seen[v.Name] = true
		out = append(out, l)
	}
	return out, nil
}

func checkVector(file string, v vector) (loaded, error) {
	l := loaded{file: file, v: v}
	if v.Name == "" || strings.ContainsAny(v.Name, "/ ") {
		return l, errors.New("name must be non-empty, without spaces or slashes")
	}
	if _, ok := versions[v.Version]; !ok {
		return l, fmt.Errorf("version %q, want 0.1 or 0.2", v.Version)
	}
	if _, ok := sides[v.Side]; !ok {
		return l, fmt.Errorf("side %q, want client or worker", v.Side)
	}
	dir, ok := directions[v.Direction]
	if !ok {
		return l, fmt.Errorf("direction %q, want to-broker or from-broker", v.Direction)
	}
	l.dir = dir
	if v.Router == nil {
		return l, errors.New("router is required")
	}
	if *v.Router && dir != mdp.ToBroker {
		return l, errors.New("a router vector travels to-broker")
	}
	if v.Frames == nil {
		return l, errors.New("frames is required")
	}
	if (v.Expect == nil) == (v.Error == "") {
		return l, errors.New("exactly one of expect and error is required")
	}
	if v.Error != "" {
		if _, ok := errorCodes[v.Error]; !ok {
			return l, fmt.Errorf("unknown error code %q", v.Error)
		}
	}
	var err error
	if l.frames, err = decodeHexFrames(v.Frames); err != nil {
		return l, fmt.Errorf("frames: %w", err)
	}
	if e := v.Expect; e != nil {
		if kindByName(e.Kind) == mdp.KindUnknown {
			return l, fmt.Errorf("unknown kind %q", e.Kind)
		}
		if (e.Identity != "") != *v.Router {
			return l, errors.New("expect.identity is required in router vectors and only there")
		}
	}
	return l, nil
}

func decodeHexFrames(in []string) ([][]byte, error) {
	out := make([][]byte, len(in))
	for i, s := range in {
		if s != strings.ToLower(s) {
			return nil, fmt.Errorf("frame %d: hex must be lower case", i)
		}
		b, err := hex.DecodeString(s)
		if err != nil {
			return nil, fmt.Errorf("frame %d: %w", i, err)
		}
		out[i] = b
	}
	return out, nil
}

func kindByName(name string) mdp.Kind {
	for k := mdp.ClientRequest; k <= mdp.WorkerDrain; k++ {
		if k.String() == name {
			return k
		}
	}
	return mdp.KindUnknown
}

// parse runs a vector through ParseRouter or Parse.
func (l loaded) parse() (identity []byte, m mdp.Message, err error) {
	if *l.v.Router {
		return mdp.ParseRouter(l.frames)
	}
	m, err = mdp.Parse(l.frames, l.dir)
	return nil, m, err
}

func TestVectors(t *testing.T) {
	for _, l := range loadVectors(t) {
		t.Run(l.id(), func(t *testing.T) {
			id, m, err := l.parse()
			if l.v.Error != "" {
				checkError(t, l, m, err)
				return
			}
			if err != nil {
				t.Fatalf("parse failed: %v", err)
			}
			checkMessage(t, l, id, m)
			checkReencode(t, l, id, m)
		})
	}
}

func checkError(t *testing.T, l loaded, m mdp.Message, err error) {
	t.Helper()
	if err == nil {
		t.Fatalf("parsed as %+v, want error %q", m, l.v.Error)
	}
	want := errorCodes[l.v.Error].err
	if !errors.Is(err, want) {
		t.Fatalf("error %q, want %q (%v)", err, l.v.Error, want)
	}
	for code, other := range errorCodes {
		if other.err != want && errors.Is(err, other.err) {
			t.Fatalf("error %q also matches %q", err, code)
		}
	}
	// When the header was recognised, the vector's labels must agree with it.
	if m.Version != 0 && m.Version != versions[l.v.Version] {
		t.Errorf("header says %s, vector says version %s", m.Version, l.v.Version)
	}
	if s := m.Kind.Side(); s != 0 && s != sides[l.v.Side] {
		t.Errorf("command is a %s command, vector says side %s", s, l.v.Side)
	}
}

func checkMessage(t *testing.T, l loaded, id []byte, m mdp.Message) {
	t.Helper()
	e := l.v.Expect
	if m.Version != versions[l.v.Version] || m.Kind.Side() != sides[l.v.Side] {
		t.Errorf("parsed %s %s message, vector says version %s side %s", m.Version, m.Kind.Side(), l.v.Version, l.v.Side)
	}
	check := func(field string, got, want any) {
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s = %v, want %v", field, got, want)
		}
	}
	check("kind", m.Kind, e.Kind)
	check("ext", m.Ext, e.Ext)
	check("identity", hex.EncodeToString(id), e.Identity)
	check("service", m.Service, e.Service)
	check("address", hex.EncodeToString(m.Address), e.Address)
	wantUUID := e.UUID
	if wantUUID == "" {
		wantUUID = strings.Repeat("0", 32)
	}
	check("uuid", mdp.FormatUUID(m.UUID), wantUUID)
	check("timeout", m.Timeout, time.Duration(e.TimeoutMS)*time.Millisecond)
	check("flags", uint8(m.Flags), e.Flags)
	check("tier", m.Tier, e.Tier)
	check("capacity", m.Capacity, e.Capacity)
	check("heartbeat", m.Heartbeat, time.Duration(e.HeartbeatMS)*time.Millisecond)
	if e.Mode == "" {
		e.Mode = mdp.ModeUnset.String()
	}
	check("mode", m.Mode, e.Mode)
	check("worker name", m.WorkerName, e.WorkerName)
	check("worker version", m.WorkerVersion, e.WorkerVer)
	check("metadata", m.Metadata, e.Metadata)
	check("status", uint16(m.Status), e.Status)
	check("text", m.Text, e.Text)
	body := make([]string, len(m.Body))
	for i, b := range m.Body {
		body[i] = hex.EncodeToString(b)
	}
	if e.Body == nil {
		e.Body = []string{}
	}
	check("body", fmt.Sprintf("%q", body), fmt.Sprintf("%q", e.Body))
}

func checkReencode(t *testing.T, l loaded, id []byte, m mdp.Message) {
	t.Helper()
	var dst [][]byte
	if id != nil {
		dst = [][]byte{id}
	}
	again, err := m.AppendFrames(dst)
	if err != nil {
		t.Fatalf("re-encode: %v", err)
	}
	if len(again) != len(l.frames) {
		t.Fatalf("re-encoded %d frames, want %d:\n got %x\nwant %x", len(again), len(l.frames), again, l.frames)
	}
	for i := range again {
		if !bytes.Equal(again[i], l.frames[i]) {
			t.Fatalf("re-encoded frame %d is %x, want %x", i, again[i], l.frames[i])
		}
	}
}
