package broker

import (
	"encoding/hex"
	"encoding/json"
	"sort"
	"time"

	"github.com/majordomo-go/majordomo/mdp"
)

// MMIService is one entry of the mmi.services reply.
type MMIService struct {
	Name     string            `json:"name"`
	Workers  int               `json:"workers"`
	Queued   int               `json:"queued"`
	Mode     string            `json:"mode"`
	InFlight int               `json:"in_flight"`
	Tiers    []MMITier         `json:"tiers"`
	Stats    MMIServiceStats   `json:"stats"`
	Policy   *MMIServicePolicy `json:"policy,omitempty"`
}

// MMITier counts one tier's workers by state (see MMIWorker.State). Active
// and standby are used by exclusive services, idle and busy by the others.
type MMITier struct {
	Tier     uint8 `json:"tier"`
	Workers  int   `json:"workers"`
	Active   int   `json:"active"`
	Standby  int   `json:"standby"`
	Idle     int   `json:"idle"`
	Busy     int   `json:"busy"`
	Draining int   `json:"draining"`
}

// MMIServiceStats are a service's request counts since the broker has known
// it, and the latency of its answered requests over the last StatsWindow
// to twice that (p50 and p99 are bucket upper bounds; 0 with no sample).
type MMIServiceStats struct {
	Requests   uint64  `json:"requests"`
	Answered   uint64  `json:"answered"`
	Errors     uint64  `json:"errors"`
	Expired    uint64  `json:"expired"`
	Rejected   uint64  `json:"rejected"`
	Failed     uint64  `json:"failed"`
	Samples    uint64  `json:"latency_samples"`
	P50Ms      float64 `json:"latency_p50_ms"`
	P99Ms      float64 `json:"latency_p99_ms"`
	WindowSecs int     `json:"window_s"`
}

// MMIServicePolicy is what the configuration pins for a service.
type MMIServicePolicy struct {
	Mode             string `json:"mode,omitempty"`
	MaxTier          uint8  `json:"max_tier,omitempty"`
	QueueLimit       int    `json:"queue_limit,omitempty"`
	QueueBytes       int64  `json:"queue_bytes,omitempty"`
	RequestTimeoutMs int64  `json:"request_timeout_ms,omitempty"`
}

// MMIWorker is one entry of the mmi.workers reply.
type MMIWorker struct {
	ID          string            `json:"id"` // the broker's name for the connection, hex
	Tier        uint8             `json:"tier"`
	State       string            `json:"state"` // active, standby, idle, busy or draining
	Capacity    int               `json:"capacity"`
	InFlight    int               `json:"in_flight"`
	Served      uint64            `json:"served"`
	Errors      uint64            `json:"errors"`
	UptimeMs    int64             `json:"uptime_ms"`
	HeartbeatMs int64             `json:"heartbeat_ms"`
	Protocol    string            `json:"protocol"`
	Mode        string            `json:"declared_mode,omitempty"`
	Name        string            `json:"name,omitempty"`
	Version     string            `json:"version,omitempty"`
	Metadata    map[string]string `json:"metadata,omitempty"`
}

// MMIWorkersPage is the most entries one mmi.workers reply lists.
const MMIWorkersPage = 1000

func (s *service) mmi(now time.Time) MMIService {
	e := MMIService{Name: s.name, Workers: s.workers, Queued: s.queue.len(), Mode: s.effectiveMode().String(),
		Tiers: make([]MMITier, 0, len(s.tiers)), Stats: s.statsMMI(now)}
	for _, t := range s.tiers {
		e.Tiers = append(e.Tiers, s.tierStates(t))
	}
	e.InFlight = s.held
	if p := s.policy; p != nil {
		e.Policy = &MMIServicePolicy{MaxTier: p.MaxTier, QueueLimit: p.QueueLimit, QueueBytes: p.QueueBytes,
			RequestTimeoutMs: p.RequestTimeout.Milliseconds()}
		if p.Mode != mdp.ModeUnset {
			e.Policy.Mode = p.Mode.String()
		}
	}
	return e
}

// tierStates counts t's workers by state, O(1).
func (s *service) tierStates(t *tier) MMITier {
	mt := MMITier{Tier: t.level, Workers: t.workers, Draining: t.draining}
	live := t.workers - t.draining
	if s.mode == mdp.ModeExclusive {
		if a := s.active; a != nil && a.tier == t && !a.draining {
			mt.Active = 1
		}
		mt.Standby = live - mt.Active
	} else {
		mt.Busy, mt.Idle = t.busy, live-t.busy
	}
	return mt
}

// effectiveMode is the service's mode; with no worker, the pinned one or
// overflow (the next worker may still declare another).
func (s *service) effectiveMode() mdp.Mode {
	if s.workers > 0 {
		return s.mode
	}
	if s.policy != nil && s.policy.Mode != mdp.ModeUnset {
		return s.policy.Mode
	}
	return mdp.ModeOverflow
}

func (s *service) statsMMI(now time.Time) MMIServiceStats {
	st := s.stats
	p50, n := s.latency.quantile(now, 0.50)
	p99, _ := s.latency.quantile(now, 0.99)
	return MMIServiceStats{Requests: s.requests, Answered: st.Answered, Errors: st.WorkerErrors, Expired: st.Expired,
		Rejected: st.Rejected, Failed: st.Failed, Samples: n, P50Ms: ms(p50), P99Ms: ms(p99),
		WindowSecs: int(StatsWindow / time.Second)}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// state is what mmi.workers says a worker is doing.
func (w *worker) state() string {
	switch {
	case w.draining:
		return "draining"
	case w.active:
		return "active"
	case w.service.mode == mdp.ModeExclusive:
		return "standby"
	case len(w.inflight) > 0:
		return "busy"
	}
	return "idle"
}

func (w *worker) mmi(now time.Time) MMIWorker {
	e := MMIWorker{ID: hex.EncodeToString(w.identity), Tier: w.tier.level, State: w.state(), Capacity: w.capacity,
		InFlight: len(w.inflight), Served: w.served, Errors: w.errors, UptimeMs: now.Sub(w.registered).Milliseconds(),
		HeartbeatMs: w.interval.Milliseconds(), Protocol: w.version.String(), Name: w.name, Version: w.swVersion,
		Metadata: w.metadata}
	if w.ext {
		e.Protocol = "majordomo-ext/1"
	}
	if w.mode != mdp.ModeUnset {
		e.Mode = w.mode.String()
	}
	return e
}

// workersJSON answers mmi.workers: the workers of a service in id order,
// after the id after, at most MMIWorkersPage. O(workers of the service ×
// log) per query; the hot path does not pay for it.
func (c *core) workersJSON(now time.Time, name, after string) ([]byte, bool) {
	s := c.services[name]
	if s == nil || s.workers == 0 {
		return nil, false
	}
	ids := make([]string, 0, len(s.members))
	for w := range s.members {
		if id := hex.EncodeToString(w.identity); id > after {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	ids = ids[:min(len(ids), MMIWorkersPage)]
	list := make([]MMIWorker, 0, len(ids))
	for _, id := range ids {
		raw, _ := hex.DecodeString(id)
		if w := c.workers[string(raw)]; w != nil && w.service == s {
			list = append(list, w.mmi(now))
		}
	}
	b, _ := json.Marshal(list)
	return b, true
}
