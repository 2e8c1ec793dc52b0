package broker

import (
	"sort"
	"time"
)

// Counters are the broker-wide event counts since start.
type Counters struct {
	Requests          uint64 // client requests received, MMI included
	MMI               uint64 // MMI queries answered
	Malformed         uint64 // invalid messages dropped
	Rejected          uint64 // requests refused at once (overloaded, too large, no such service, shutting down)
	PlainDropped      uint64 // errors a plain client could not be told: its request was dropped
	Duplicates        uint64 // retries of a queued or in-flight request, not queued again
	CacheHits         uint64 // retries of an answered request, answered from the reply cache
	Cancelled         uint64 // queued requests withdrawn by their client (XCANCEL)
	CancelsIgnored    uint64 // XCANCELs for a request not queued here (in flight, answered, unknown) or from another identity
	StaleReplies      uint64 // late worker replies for a request that expired while the worker held it
	ForeignReplies    uint64 // worker replies naming a request the worker does not hold: worker disconnected
	ExpiredHeld       uint64 // requests whose deadline passed while a worker held them (client got 504)
	BadStatus         uint64 // worker errors with a status outside 400-599, sent on as 500
	TooLarge          uint64 // messages over MaxMessageSize, dropped by the receive path without being buffered
	Requeued          uint64 // requests handed back by a worker that died or left
	UnknownWorker     uint64 // worker commands from a peer that is not registered
	Violations        uint64 // workers disconnected for a protocol violation
	ModeConflicts     uint64 // workers refused: a mode other than the service's, or a tier over its max tier
	Handovers         uint64 // hand-overs of an exclusive service asked for (mmi.handover, admin)
	WorkersRegistered uint64
	WorkersExpired    uint64
	SendErrors        uint64 // messages the ROUTER could not send (peer gone or full)
	Internal          uint64 // broker bugs caught (should stay 0)
	Received          uint64 // messages the loop took from the ROUTER, whole (oversize ones are TooLarge)
	// Security (spec/security.md).
	HandshakesAccepted uint64 // CURVE handshakes the ZAP handler let in
	HandshakesRefused  uint64 // CURVE handshakes refused: a key the access policy does not list (no message of theirs reaches the loop)
	AccessRefused      uint64 // requests and MMI queries refused by the access policy (403, or dropped for a plain client)
	ReadyRefused       uint64 // workers refused at READY by the access policy (DISCONNECT)
	AccessRevoked      uint64 // registered workers disconnected because a new access policy no longer lets them serve
	AccessReloads      uint64 // access policies installed at run time (Broker.SetAccess)
	AccessReloadErrors uint64 // policy files that could not be read or parsed at a reload (Broker.ReloadAccess): the old policy stays
	Limited            uint64 // requests refused by a per-connection limit (429, or dropped for a plain client)
}

// OutcomeCounts count how a service's requests ended.
type OutcomeCounts struct {
	Answered     uint64 // a worker's final reply reached the client
	WorkerErrors uint64 // a worker answered with an error (or its reply could not be passed on): 4xx + 5xx
	Errors4xx    uint64 // of those, with a status in 400-499 (the request was wrong)
	Errors5xx    uint64 // of those, with a status in 500-599 (the service failed)
	Expired      uint64 // the deadline passed first
	Rejected     uint64 // refused at once: queue full or no such service
	Failed       uint64 // MaxAttempts workers died or left holding it
}

type outcomeCounts = OutcomeCounts

// ServiceSnapshot is one service's state.
type ServiceSnapshot struct {
	Name        string
	Queued      int
	QueuedBytes int64
	Workers     int // all registered workers
	Idle        int // holding no request
	Busy        int // holding at least one request
	Draining    int // sent XDRAIN
	Tiers       []TierSnapshot
	Outcomes    OutcomeCounts
	Mode        string            // overflow, strict or exclusive
	Activations uint64            // exclusive: how often a worker became active
	Requests    uint64            // requests accepted for it since the broker made it
	InFlight    int               // requests its workers hold
	Latency     HistogramSnapshot // answered requests, accept to final reply, since the broker made it
	Recent      RecentStats       // answered requests over the last StatsWindow to twice that
}

// TierSnapshot is one priority tier of a service.
type TierSnapshot struct {
	Level   uint8
	Workers int
	Free    int // workers with capacity to spare
	// Workers by state: active and standby in an exclusive service, idle
	// and busy in the others; draining in all.
	Active, Standby, Idle, Busy, Draining int
}

// Snapshot is a consistent copy of the broker's state, taken by its loop.
type Snapshot struct {
	Taken    time.Time
	Services []ServiceSnapshot // by name
	InFlight int               // requests held by workers
	Queued   int
	Counters Counters
	Latency  HistogramSnapshot
	Draining bool
	Started  time.Time // when the broker was made: Taken - Started is its uptime
	// ClientsSeen is how many client connections (ROUTER identities) sent
	// a request within the last ClientSeenWindow (at most
	// MaxTrackedClients), plus those silent longer whose requests the
	// broker still holds.
	ClientsSeen int
	Curve       bool // the endpoints are CURVE servers
	AccessKeys  int  // keys in the access policy; 0 without one
	AccessRules int  // its allow lines; 0: every listed key may do everything
}

// snapshotChunk is how many services one turn of the loop copies for a
// snapshot: the loop serves messages between chunks.
const snapshotChunk = 512

// snapshot copies the whole state at once (tests and benchmarks; Broker.
// Snapshot copies it in chunks).
func (c *core) snapshot(now time.Time) Snapshot {
	snap := c.snapshotHead(now)
	snap.Services, _, _ = c.copyServices(now, snap.Services, 0, len(c.list.slots))
	return snap
}

// snapshotHead copies everything but the services: counters kept as the
// loop goes, so O(1).
func (c *core) snapshotHead(now time.Time) Snapshot {
	c.clients.expire(now)
	snap := Snapshot{Taken: now, Queued: c.queued, InFlight: c.held, Counters: c.counters,
		Latency: c.latency.snapshot(), Draining: c.draining, Started: c.born, ClientsSeen: len(c.clients.conns),
		Curve: c.cfg.CurveSecretKey != ""}
	if c.zap != nil {
		snap.Counters.HandshakesAccepted, snap.Counters.HandshakesRefused = c.zap.accepted.Load(), c.zap.refused.Load()
	}
	if c.access != nil {
		snap.AccessKeys, snap.AccessRules = c.access.Keys(), c.access.Rules()
	}
	return snap
}

// copyServices appends to dst the services of up to n slots from slot
// from on, and says where to go on and whether that was the last slot.
// Each service's numbers are kept as the loop goes, so a service costs a
// copy, its latency histogram and two passes over its recent window.
func (c *core) copyServices(now time.Time, dst []ServiceSnapshot, from, n int) ([]ServiceSnapshot, int, bool) {
	slots := c.list.slots
	end := min(len(slots), from+n)
	var slab countSlab
	for _, s := range slots[min(from, end):end] {
		if s != nil {
			dst = append(dst, ServiceSnapshot{})
			c.fillService(now, s, &dst[len(dst)-1], &slab, end-from)
		}
	}
	return dst, end, end >= len(slots)
}

// fillService copies one service's numbers into ss, in place: a
// ServiceSnapshot is large enough that copying it twice per service shows
// in the loop's stall.
// Histogram counts come from slab, sized for up to n services.
func (c *core) fillService(now time.Time, s *service, ss *ServiceSnapshot, slab *countSlab, n int) {
	ss.Name, ss.Queued, ss.QueuedBytes, ss.Workers = s.name, s.queue.len(), s.queuedBytes, s.workers
	ss.Busy, ss.Draining, ss.Idle, ss.Outcomes = s.busy, s.draining, s.workers-s.busy-s.draining, s.stats
	ss.Mode, ss.Activations, ss.Requests, ss.InFlight = s.effectiveMode().String(), s.activations, s.requests, s.held
	ss.Latency = HistogramSnapshot{Bounds: latencyBounds, Sum: s.hist.sum, Count: s.hist.n}
	if s.hist.n > 0 {
		ss.Latency.Counts = slab.take(n, s.hist.counts)
	}
	if s.latency.cur != nil {
		ss.Recent = s.latency.recent(now)
	}
	if len(s.tiers) > 0 {
		ss.Tiers = make([]TierSnapshot, len(s.tiers))
		for i, t := range s.tiers {
			m := s.tierStates(t)
			ss.Tiers[i] = TierSnapshot{Level: t.level, Workers: t.workers, Free: t.free.n, Active: m.Active,
				Standby: m.Standby, Idle: m.Idle, Busy: m.Busy, Draining: m.Draining}
		}
	}
}

// sortServices puts the snapshot's services in name order, outside the
// loop.
func (s *Snapshot) sortServices() {
	sort.Slice(s.Services, func(i, j int) bool { return s.Services[i].Name < s.Services[j].Name })
}
