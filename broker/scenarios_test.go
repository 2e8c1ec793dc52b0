package broker

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/majordomo-go/majordomo/mdp"
	zmq "github.com/pebbe/zmq4"
)

// The broker scenarios in spec/vectors/broker/*.json, each run against a
// broker of its own over real sockets. The format is in spec/vectors.md.

type scenarioFile struct {
	Description string     `json:"description"`
	Vectors     []scenario `json:"vectors"`
}

type scenario struct {
	Name   string           `json:"name"`
	Note   string           `json:"note"`
	Rule   string           `json:"rule"`
	Config map[string]int64 `json:"config"`
	Peers  map[string]struct {
		Identity string `json:"identity"`
	} `json:"peers"`
	Steps []scenarioStep `json:"steps"`
}

type scenarioStep struct {
	Peer   string   `json:"peer"`
	Broker string   `json:"broker"`
	Send   []string `json:"send"`
	Pad    *struct {
		Count int `json:"count"`
		Size  int `json:"size"`
	} `json:"pad"`
	Expect *scenarioExpect `json:"expect"`
}

type scenarioExpect struct {
	Kind       string   `json:"kind"`
	Service    string   `json:"service"`
	UUID       string   `json:"uuid"`
	Status     int      `json:"status"`
	Text       string   `json:"text"`
	Body       []string `json:"body"`
	BodyLen    *int     `json:"body_len"`
	AddressLen int      `json:"address_len"`
	AddressNot string   `json:"address_not"`
	// BodyJSON: by body frame index, JSON the frame must hold: every
	// field given matches, arrays element by element.
	BodyJSON map[string]any `json:"body_json"`
}

// scenarioConfig maps a scenario's config keys onto Config.
var scenarioConfig = map[string]func(*Config, int64){
	"max_message_size":    func(c *Config, v int64) { c.MaxMessageSize = v },
	"unserved_per_client": func(c *Config, v int64) { c.UnservedPerClient = int(v) },
	"heartbeat_ms":        func(c *Config, v int64) { c.HeartbeatInterval = time.Duration(v) * time.Millisecond },
	"heartbeat_liveness":  func(c *Config, v int64) { c.HeartbeatLiveness = int(v) },
	"drain_timeout_ms":    func(c *Config, v int64) { c.DrainTimeout = time.Duration(v) * time.Millisecond },
}

func TestBrokerScenarios(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join("..", "spec", "vectors", "broker", "*.json"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no scenario files: %v", err)
	}
	for _, path := range paths {
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var f scenarioFile
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&f); err != nil || f.Description == "" || len(f.Vectors) == 0 {
			t.Fatalf("malformed scenario file %s: %v", path, err)
		}
		for _, sc := range f.Vectors {
			t.Run(filepath.Base(path)+"/"+sc.Name, func(t *testing.T) { runScenario(t, sc) })
		}
	}
}

// scenarioPeer is a peer of a scenario and the address of the last
// REQUEST it got (for "$address" in what it sends).
type scenarioPeer struct {
	*peer
	address []byte
	uuid    []byte // of the last XREQUEST
}

func runScenario(t *testing.T, sc scenario) {
	if sc.Note == "" || sc.Rule == "" || len(sc.Steps) == 0 {
		t.Fatal("a scenario needs a note, a rule and steps")
	}
	tb := startBroker(t, func(cfg *Config) {
		cfg.HeartbeatLiveness = patientLiveness // raw peers do not heartbeat
		for k, v := range sc.Config {
			set, ok := scenarioConfig[k]
			if !ok {
				t.Fatalf("unknown config key %q", k)
			}
			set(cfg, v)
		}
	})
	peers := map[string]*scenarioPeer{}
	peerFor := func(name string) *scenarioPeer {
		if p := peers[name]; p != nil {
			return p
		}
		s, err := zmq.NewSocket(zmq.DEALER)
		if err != nil {
			t.Fatal(err)
		}
		s.SetLinger(0)
		if id := sc.Peers[name].Identity; id != "" {
			s.SetIdentity(string(mustHex(t, id)))
		}
		if err := s.Connect(tb.ep); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		peers[name] = &scenarioPeer{peer: &peer{t: t, s: s}}
		return peers[name]
	}
	for i, st := range sc.Steps {
		switch {
		case st.Broker == "drain":
			tb.cancel()
			waitFor(t, "draining", func() bool {
				s, err := tb.Snapshot(t.Context())
				return err == nil && s.Draining
			})
		case st.Send != nil:
			p := peerFor(st.Peer)
			frames := make([][]byte, 0, len(st.Send))
			for _, h := range st.Send {
				if h == "$address" {
					frames = append(frames, p.address)
					continue
				}
				if h == "$uuid" {
					frames = append(frames, p.uuid)
					continue
				}
				frames = append(frames, mustHex(t, h))
			}
			if st.Pad != nil {
				for j := 0; j < st.Pad.Count; j++ {
					frames = append(frames, make([]byte, st.Pad.Size))
				}
			}
			before := tb.snapshot(t).Counters
			p.raw(frames...)
			if m, err := mdp.Parse(frames, mdp.ToBroker); err == nil && m.Kind == mdp.WorkerReady {
				waitFor(t, "registration or refusal", func() bool {
					now := tb.snapshot(t).Counters
					return now.WorkersRegistered > before.WorkersRegistered || now.ModeConflicts > before.ModeConflicts
				})
			}
		case st.Expect != nil:
			p := peerFor(st.Peer)
			checkScenarioExpect(t, i, p, p.next(), st.Expect)
		default:
			t.Fatalf("step %d does nothing", i)
		}
	}
}

func checkScenarioExpect(t *testing.T, step int, p *scenarioPeer, m mdp.Message, e *scenarioExpect) {
	t.Helper()
	bad := func(what string, got, want any) {
		t.Fatalf("step %d: %s = %v, want %v (message %+v)", step, what, got, want, m)
	}
	if m.Kind.String() != e.Kind {
		bad("kind", m.Kind, e.Kind)
	}
	if e.Service != "" && m.Service != e.Service {
		bad("service", m.Service, e.Service)
	}
	if e.UUID != "" && hex.EncodeToString(m.UUID[:]) != e.UUID {
		bad("uuid", hex.EncodeToString(m.UUID[:]), e.UUID)
	}
	if e.Status != 0 && int(m.Status) != e.Status {
		bad("status", m.Status, e.Status)
	}
	if e.Text != "" && m.Text != e.Text {
		bad("text", m.Text, e.Text)
	}
	if e.Body != nil {
		if len(m.Body) != len(e.Body) {
			bad("body frames", len(m.Body), len(e.Body))
		}
		for i, h := range e.Body {
			if hex.EncodeToString(m.Body[i]) != h {
				bad("body frame", hex.EncodeToString(m.Body[i]), h)
			}
		}
	}
	if e.BodyLen != nil && len(m.Body) != *e.BodyLen {
		bad("body frames", len(m.Body), *e.BodyLen)
	}
	for k, want := range e.BodyJSON {
		i, err := strconv.Atoi(k)
		if err != nil || i >= len(m.Body) {
			bad("body frame for body_json "+k, len(m.Body), want)
		}
		var got any
		if err := json.Unmarshal(m.Body[i], &got); err != nil {
			bad("body frame "+k+" as JSON", string(m.Body[i]), want)
		}
		if why := jsonSubset(got, want); why != "" {
			bad("body frame "+k+": "+why, string(m.Body[i]), want)
		}
	}
	if e.AddressLen != 0 && len(m.Address) != e.AddressLen {
		bad("address length", len(m.Address), e.AddressLen)
	}
	if e.AddressNot != "" {
		not := p.address
		if e.AddressNot != "$address" {
			not = mustHex(t, e.AddressNot)
		}
		if bytes.Equal(m.Address, not) {
			bad("address", hex.EncodeToString(m.Address), "anything but "+hex.EncodeToString(not))
		}
	}
	if m.Kind == mdp.WorkerRequest {
		p.address = append([]byte(nil), m.Address...)
		p.uuid = append([]byte(nil), m.UUID[:]...)
	}
}

// next is the next message that is not a HEARTBEAT, within waitLong in all
// (heartbeats do not extend the wait).
func (p *scenarioPeer) next() mdp.Message {
	p.t.Helper()
	for deadline := time.Now().Add(waitLong); ; {
		left := time.Until(deadline)
		if left <= 0 {
			p.t.Fatalf("no message but heartbeats within %v", waitLong)
		}
		m, ok := p.poll(left)
		if !ok {
			p.t.Fatalf("no message within %v", waitLong)
		}
		if m.Kind != mdp.WorkerHeartbeat {
			return m
		}
	}
}

// jsonSubset says how got fails to hold want ("" when it does): objects
// need want's keys only, arrays the same length, anything else equality.
func jsonSubset(got, want any) string {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return fmt.Sprintf("%v is not an object", got)
		}
		for k, v := range w {
			if why := jsonSubset(g[k], v); why != "" {
				return k + ": " + why
			}
		}
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return fmt.Sprintf("%v is not an array of %d", got, len(w))
		}
		for i := range w {
			if why := jsonSubset(g[i], w[i]); why != "" {
				return fmt.Sprintf("[%d]: %s", i, why)
			}
		}
	default:
		if fmt.Sprint(got) != fmt.Sprint(want) {
			return fmt.Sprintf("%v, want %v", got, want)
		}
	}
	return ""
}

func mustHex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatalf("bad hex %q: %v", s, err)
	}
	return b
}
