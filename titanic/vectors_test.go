package titanic

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"os"
	"regexp"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/majordomo-go/majordomo/mdp"
)

// The Titanic dialogs of spec/vectors/titanic/*.json, run against the
// protocol and a real store (no sockets): the format is in spec/titanic.md.

type tspFile struct {
	Description string      `json:"description"`
	Vectors     []tspVector `json:"vectors"`
}

type tspVector struct {
	Name     string    `json:"name"`
	Note     string    `json:"note"`
	MaxBytes int64     `json:"max_bytes"`
	Steps    []tspStep `json:"steps"`
}

type tspStep struct {
	Service string   `json:"service"`
	Body    []string `json:"body"`
	Reply   []string `json:"reply"`
	Answer  string   `json:"answer"`
	State   string   `json:"state"`
	Text    string   `json:"text"`
}

var hex32 = regexp.MustCompile(`^[0-9a-f]{32}$`)

func TestTSPVectors(t *testing.T) {
	raw, err := os.ReadFile("../spec/vectors/titanic/tsp.json")
	if err != nil {
		t.Fatal(err)
	}
	var f tspFile
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		t.Fatal(err)
	}
	if len(f.Vectors) < 15 {
		t.Fatalf("%d vectors loaded", len(f.Vectors))
	}
	for _, v := range f.Vectors {
		t.Run(v.Name, func(t *testing.T) { runTSPVector(t, v) })
	}
}

func runTSPVector(t *testing.T, v tspVector) {
	cfg := Config{Broker: "tcp://127.0.0.1:1", Dir: t.TempDir(), MaxBytes: v.MaxBytes, Logger: zaptest.NewLogger(t)}
	cfg = cfg.withDefaults()
	store := openTestStore(t, cfg.Dir, StoreOptions{MaxBytes: cfg.MaxBytes})
	var stats counters
	var submitted []Entry
	p := &protocol{cfg: &cfg, store: store, stats: &stats, now: time.Now, submit: func(e Entry) { submitted = append(submitted, e) }}
	request := func(body [][]byte) [][]byte { return p.request(body, nil) }
	handlers := map[string]func([][]byte) [][]byte{mdp.TitanicRequest: request, mdp.TitanicReply: p.reply, mdp.TitanicClose: p.close}
	var id string
	for i, s := range v.Steps {
		if s.Answer != "" {
			u, err := mdp.ParseUUID(id)
			if err != nil {
				t.Fatalf("step %d: answer before a UUID was bound", i)
			}
			res := Result{State: StateDone, Body: decodeFrames(t, s.Body, id), Finished: time.Now()}
			if s.State == "failed" {
				res = Result{State: StateFailed, Text: s.Text, Finished: time.Now()}
			}
			if ok, err := store.Finish(u, res); !ok || err != nil {
				t.Fatalf("step %d: Finish = %v, %v", i, ok, err)
			}
			continue
		}
		h := handlers[s.Service]
		if h == nil {
			t.Fatalf("step %d: unknown service %q", i, s.Service)
		}
		got := h(decodeFrames(t, s.Body, id))
		if len(got) != len(s.Reply) {
			t.Fatalf("step %d %s: reply %q, want %d frames %v", i, s.Service, got, len(s.Reply), s.Reply)
		}
		for k, want := range s.Reply {
			switch {
			case want == "$any":
			case want == "$uuid" && id == "":
				if !hex32.Match(got[k]) {
					t.Fatalf("step %d: frame %d = %q, want 32 lower-case hex digits", i, k, got[k])
				}
				id = string(got[k])
			default:
				if w := decodeFrames(t, []string{want}, id)[0]; !bytes.Equal(got[k], w) {
					t.Fatalf("step %d %s: frame %d = %q, want %q", i, s.Service, k, got[k], w)
				}
			}
		}
	}
	if n := stats.stored.Load(); int(n) != len(submitted) {
		t.Fatalf("%d stored but %d handed to the dispatcher", n, len(submitted))
	}
}

func decodeFrames(t *testing.T, in []string, id string) [][]byte {
	t.Helper()
	out := make([][]byte, 0, len(in))
	for _, s := range in {
		if s == "$uuid" {
			out = append(out, []byte(id))
			continue
		}
		b, err := hex.DecodeString(s)
		if err != nil {
			t.Fatalf("frame %q is not hex: %v", s, err)
		}
		out = append(out, b)
	}
	return out
}
