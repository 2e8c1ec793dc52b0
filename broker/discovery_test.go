package broker

import (
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"

	"github.com/majordomo-go/majordomo/mdp"
	zmq "github.com/pebbe/zmq4"
)

// mmiAsk sends an MMI query and returns the status frame and the JSON one.
func mmiAsk(t *testing.T, c *peer, service string, body ...string) (string, []byte) {
	t.Helper()
	c.send(plainRequest(mdp.V02, service, body...))
	m := c.expect(mdp.ClientFinal)
	if m.Service != service || len(m.Body) == 0 || len(m.Body) > 2 {
		t.Fatalf("%s reply %+v", service, m)
	}
	if len(m.Body) == 1 {
		return string(m.Body[0]), nil
	}
	return string(m.Body[0]), m.Body[1]
}

func workerID(t *testing.T, tb *testBroker, service string, tier uint8, state string) string {
	t.Helper()
	c := dial(t, tb.ep, zmq.DEALER)
	_, b := mmiAsk(t, c, mdp.MMIWorkers, service)
	var list []MMIWorker
	json.Unmarshal(b, &list)
	for _, w := range list {
		if w.Tier == tier && w.State == state {
			return w.ID
		}
	}
	t.Fatalf("no %s worker of tier %d in %s", state, tier, b)
	return ""
}

// mmi.services and mmi.workers describe an exclusive service field by
// field: mode, tiers by state, in flight, stats, and each worker's tier,
// state, capacity, counts and declaration.
func TestExclusiveDiscoveryFieldByField(t *testing.T) {
	tb := startBroker(t, func(c *Config) {
		patient(c)
		c.Services = map[string]ServicePolicy{"db": {QueueLimit: 7}}
	})
	decl := readyMode("db", 1, 2, mdp.ModeExclusive)
	decl.WorkerName, decl.WorkerVersion, decl.Metadata = "ledger", "1.4.2", map[string]string{"dc": "par1"}
	active := tb.readyWorker(t, decl)
	tb.readyWorker(t, readyMode("db", 2, 1, mdp.ModeUnset))
	c := dial(t, tb.ep, zmq.DEALER)
	call(c, "db", "a")
	r := active.expect(mdp.WorkerRequest)
	active.send(replyTo(r, "A"))
	c.expect(mdp.ClientFinal)
	call(c, "db", "b")
	active.expect(mdp.WorkerRequest)

	status, b := mmiAsk(t, c, mdp.MMIServices)
	var services []MMIService
	if status != "200" || json.Unmarshal(b, &services) != nil || len(services) != 1 {
		t.Fatalf("mmi.services %s %s", status, b)
	}
	s := services[0]
	wantTiers := []MMITier{{Tier: 1, Workers: 1, Active: 1}, {Tier: 2, Workers: 1, Standby: 1}}
	if s.Name != "db" || s.Mode != "exclusive" || s.Workers != 2 || s.Queued != 0 || s.InFlight != 1 ||
		!reflect.DeepEqual(s.Tiers, wantTiers) {
		t.Fatalf("mmi.services entry %+v", s)
	}
	if st := s.Stats; st.Requests != 2 || st.Answered != 1 || st.Errors != 0 || st.Samples != 1 ||
		st.P50Ms <= 0 || st.P99Ms < st.P50Ms || st.WindowSecs != 60 {
		t.Fatalf("stats %+v", st)
	}
	if s.Policy == nil || s.Policy.QueueLimit != 7 || s.Policy.Mode != "" {
		t.Fatalf("policy %+v", s.Policy)
	}

	status, b = mmiAsk(t, c, mdp.MMIWorkers, "db")
	var workers []MMIWorker
	if status != "200" || json.Unmarshal(b, &workers) != nil || len(workers) != 2 {
		t.Fatalf("mmi.workers %s %s", status, b)
	}
	byTier := map[uint8]MMIWorker{}
	for _, w := range workers {
		if _, err := hex.DecodeString(w.ID); err != nil || w.ID == "" || w.UptimeMs < 0 || w.HeartbeatMs != 20 ||
			w.Protocol != "majordomo-ext/1" {
			t.Fatalf("worker %+v", w)
		}
		w.ID, w.UptimeMs = "", 0
		byTier[w.Tier] = w
	}
	want1 := MMIWorker{Tier: 1, State: "active", Capacity: 2, InFlight: 1, Served: 1, HeartbeatMs: 20,
		Protocol: "majordomo-ext/1", Mode: "exclusive", Name: "ledger", Version: "1.4.2",
		Metadata: map[string]string{"dc": "par1"}}
	want2 := MMIWorker{Tier: 2, State: "standby", Capacity: 1, HeartbeatMs: 20, Protocol: "majordomo-ext/1"}
	if !reflect.DeepEqual(byTier[1], want1) || !reflect.DeepEqual(byTier[2], want2) {
		t.Fatalf("mmi.workers\n%+v\n%+v", byTier[1], byTier[2])
	}
	if status, _ := mmiAsk(t, c, mdp.MMIWorkers, "nobody"); status != "404" {
		t.Fatalf("mmi.workers nobody = %s", status)
	}
	if status, _ := mmiAsk(t, c, mdp.MMIWorkers); status != "404" {
		t.Fatalf("mmi.workers without a name = %s", status)
	}
	// Paging: ids in order; after the last one, an empty page.
	_, b = mmiAsk(t, c, mdp.MMIWorkers, "db")
	json.Unmarshal(b, &workers)
	if workers[0].ID >= workers[1].ID {
		t.Fatalf("workers not in id order: %s", b)
	}
	if _, b := mmiAsk(t, c, mdp.MMIWorkers, "db", workers[0].ID); !json.Valid(b) || len(b) < 10 {
		t.Fatalf("second page %s", b)
	}
	last := workers[1].ID
	if status, b := mmiAsk(t, c, mdp.MMIWorkers, "db", last); status != "200" || string(b) != "[]" {
		t.Fatalf("page after the last worker: %s %s", status, b)
	}
}

// mmi.services counts an overflow service's tiers as idle and busy.
func TestStrictDiscoveryCountsIdleAndBusy(t *testing.T) {
	tb := startBroker(t, patient)
	tb.readyWorker(t, readyMode("s", 1, 1, mdp.ModeStrict))
	tb.readyWorker(t, readyMode("s", 1, 1, mdp.ModeStrict))
	tb.readyWorker(t, readyMode("s", 3, 1, mdp.ModeStrict))
	c := dial(t, tb.ep, zmq.DEALER)
	call(c, "s", "x")
	waitFor(t, "in flight", func() bool { return tb.snapshot(t).InFlight == 1 })
	_, b := mmiAsk(t, c, mdp.MMIServices)
	var services []MMIService
	json.Unmarshal(b, &services)
	want := []MMITier{{Tier: 1, Workers: 2, Idle: 1, Busy: 1}, {Tier: 3, Workers: 1, Idle: 1}}
	if len(services) != 1 || services[0].Mode != "strict" || !reflect.DeepEqual(services[0].Tiers, want) {
		t.Fatalf("mmi.services %s", b)
	}
}

// mmi.handover: the active worker finishes what it holds, then the standby
// takes over and keeps the service; 409 for a service that is not
// exclusive, 404 for an unknown one or worker.
func TestExclusiveHandover(t *testing.T) {
	tb := startBroker(t, patient)
	old := tb.readyWorker(t, readyMode("db", 1, 1, mdp.ModeExclusive))
	standby := tb.readyWorker(t, readyMode("db", 1, 1, mdp.ModeExclusive))
	tb.readyWorker(t, readyExt("plain", 1, 1))
	c := dial(t, tb.ep, zmq.DEALER)
	call(c, "db", "held")
	r := old.expect(mdp.WorkerRequest)
	to := workerID(t, tb, "db", 1, "standby")
	admin := dial(t, tb.ep, zmq.DEALER)
	status, b := mmiAsk(t, admin, mdp.MMIHandover, "db", to)
	var res HandoverResult
	if status != "200" || json.Unmarshal(b, &res) != nil || res.Service != "db" || res.To != to || !res.Pending ||
		res.From == "" || res.From == to {
		t.Fatalf("mmi.handover %s %s", status, b)
	}
	call(c, "db", "after")
	waitFor(t, "queued behind the hand-over", func() bool { return tb.snapshot(t).Queued == 1 })
	quiet(t, standby, "the standby before the active worker is done")
	old.send(replyTo(r, "done"))
	if m := standby.expect(mdp.WorkerRequest); bodyString(m) != "after" {
		t.Fatalf("new active worker got %q", bodyString(m))
	}
	if got := workerID(t, tb, "db", 1, "active"); got != to {
		t.Fatalf("active worker %s, want %s", got, to)
	}
	for _, tc := range []struct {
		body []string
		want string
	}{
		{[]string{"plain"}, "409"}, {[]string{"nobody"}, "404"}, {nil, "404"}, {[]string{"db", "ffff"}, "404"},
		{[]string{"db", to}, "409"}, // already active
	} {
		if status, _ := mmiAsk(t, admin, mdp.MMIHandover, tc.body...); status != tc.want {
			t.Errorf("mmi.handover %q = %s, want %s", tc.body, status, tc.want)
		}
	}
	if n := tb.snapshot(t).Counters.Handovers; n != 1 {
		t.Fatalf("Handovers = %d", n)
	}
}

// The admin endpoint hands over like mmi.handover, and /api/status shows
// the mode and the workers by tier and state.
func TestExclusiveAdminHandoverAndMetrics(t *testing.T) {
	tb := startBroker(t, patient)
	tb.readyWorker(t, readyMode("db", 1, 1, mdp.ModeExclusive))
	tb.readyWorker(t, readyMode("db", 2, 1, mdp.ModeExclusive))
	tb.readyWorker(t, readyMode("st", 1, 1, mdp.ModeStrict))
	h := AdminHandler(tb.Broker)
	_, body := get(t, h, "/api/status")
	tiers := map[string]string{}
	for _, row := range decodeStatus(t, body).Services {
		tiers[row.Name] = row.Mode + " " + tierSummary(row.Tiers)
	}
	for name, want := range map[string]string{"db": "exclusive tier 1: 1 active · tier 2: 1 standby", "st": "strict tier 1: 1 idle"} {
		if tiers[name] != want {
			t.Errorf("%s: %q, want %q", name, tiers[name], want)
		}
	}
	for _, tc := range []struct {
		query string
		code  int
	}{{"service=st", 409}, {"service=nobody", 404}, {"service=db", 200}} {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodPost, "/handover?"+tc.query, nil)
		req.RemoteAddr = "127.0.0.1:40000"
		h.ServeHTTP(rec, req)
		if rec.Code != tc.code {
			t.Fatalf("POST /handover?%s = %d %s, want %d", tc.query, rec.Code, rec.Body, tc.code)
		}
	}
	waitFor(t, "tier 2 active", func() bool {
		s := tb.snapshot(t)
		for _, svc := range s.Services {
			if svc.Name == "db" {
				return svc.Tiers[1].Active == 1 && svc.Tiers[0].Standby == 1 && svc.Activations == 2
			}
		}
		return false
	})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/handover?service=db", nil)) // from 192.0.2.1
	if rec.Code != http.StatusForbidden {
		t.Fatalf("POST /handover from afar = %d, want 403", rec.Code)
	}
	if code, _ := get(t, h, "/handover?service=db"); code != http.StatusMethodNotAllowed {
		t.Fatalf("GET /handover = %d, want 405", code)
	}
}
