package titanic

import (
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/google/uuid"
	"go.uber.org/zap"

	"github.com/majordomo-go/majordomo/mdp"
)

// job is a stored request the dispatcher is responsible for.
type job struct {
	id       uuid.UUID
	svc      *service
	deadline time.Time
	attempts int
	state    jobState
	due      time.Time
	gen      uint64
	gone     bool // finished, expired or closed: its timers are stale
}

type jobState uint8

const (
	jobQueued   jobState = iota // in its service's queue, waiting for a slot or a worker; due = deadline
	jobBackoff                  // waiting to be queued again after a failed attempt; due = retry time
	jobInFlight                 // sent; due = when the attempt is given up
)

// service is the dispatcher's view of one service.
type service struct {
	name     string
	queue    []*job // FIFO of jobQueued
	jobs     int    // jobs of this service not yet forgotten
	inFlight int
	up       bool      // mmi.service said 200 at probedAt
	probedAt time.Time // zero: never asked
	probe    uuid.UUID // the outstanding mmi.service request, or zero
}

// sender puts one request on the wire; it never blocks (a message the
// socket cannot take now is dropped, and the attempt times out).
type sender interface {
	send(service string, id uuid.UUID, timeout time.Duration, body [][]byte)
}

// dispatcher decides what to send when. It is owned by the dispatch loop's
// goroutine; only the counters in stats are read elsewhere.
type dispatcher struct {
	cfg      *Config
	store    *Store
	log      *zap.Logger
	out      sender
	stats    *counters
	finish   func(id uuid.UUID, res Result) // stores a result (in its own goroutine)
	jobs     map[uuid.UUID]*job
	probes   map[uuid.UUID]*service
	services map[string]*service
	ready    map[*service]struct{} // services with queued jobs
	timers   timerHeap
}

func newDispatcher(cfg *Config, store *Store, out sender, stats *counters, finish func(uuid.UUID, Result)) *dispatcher {
	return &dispatcher{cfg: cfg, store: store, log: cfg.Logger, out: out, stats: stats, finish: finish,
		jobs: map[uuid.UUID]*job{}, probes: map[uuid.UUID]*service{}, services: map[string]*service{},
		ready: map[*service]struct{}{}}
}

// add takes up a stored request.
func (d *dispatcher) add(e Entry, now time.Time) {
	if _, ok := d.jobs[e.UUID]; ok {
		return
	}
	svc := d.services[e.Service]
	if svc == nil {
		svc = &service{name: e.Service}
		d.services[e.Service] = svc
	}
	j := &job{id: e.UUID, svc: svc, deadline: e.Deadline}
	svc.jobs++
	d.jobs[e.UUID] = j
	d.enqueue(j)
}

func (d *dispatcher) enqueue(j *job) {
	j.state = jobQueued
	j.svc.queue = append(j.svc.queue, j)
	d.ready[j.svc] = struct{}{}
	d.timers.schedule(j, j.deadline)
}

// pump sends what may be sent: for each service with queued jobs, an
// mmi.service probe when its answer is stale, and jobs up to the per-service
// bound while a worker is there. A slow or absent service holds only its
// own slots, never another's.
func (d *dispatcher) pump(now time.Time) {
	for svc := range d.ready {
		if svc.queue = d.dropGone(svc.queue); len(svc.queue) == 0 {
			delete(d.ready, svc)
			continue
		}
		if svc.probe != (uuid.UUID{}) && now.Sub(svc.probedAt) > d.probeTimeout() {
			delete(d.probes, svc.probe) // its answer was lost
			svc.probe = uuid.UUID{}
		}
		if svc.probe == (uuid.UUID{}) && (svc.probedAt.IsZero() || now.Sub(svc.probedAt) >= d.cfg.ProbeInterval) {
			d.sendProbe(svc, now)
		}
		for svc.up && svc.inFlight < d.cfg.MaxInFlight {
			if svc.queue = d.dropGone(svc.queue); len(svc.queue) == 0 {
				break
			}
			j := svc.queue[0]
			svc.queue[0] = nil
			svc.queue = svc.queue[1:]
			d.dispatch(j, now)
		}
	}
}

// waiting reports whether some service has queued jobs, so that the loop
// wakes up to probe it again.
func (d *dispatcher) waiting() bool { return len(d.ready) > 0 }

func (d *dispatcher) dropGone(q []*job) []*job {
	for len(q) > 0 && (q[0].gone || q[0].state != jobQueued) {
		q[0] = nil
		q = q[1:]
	}
	return q
}

func (d *dispatcher) sendProbe(svc *service, now time.Time) {
	svc.probe = uuid.New()
	svc.probedAt = now
	d.probes[svc.probe] = svc
	d.out.send(mdp.MMIService, svc.probe, d.probeTimeout(), [][]byte{[]byte(svc.name)})
}

// probeTimeout is how long an mmi.service answer is waited for before the
// probe is sent again (the broker answers at once; a lost answer means the
// broker went away): five probe intervals, at least a second, at most an
// attempt's timeout.
func (d *dispatcher) probeTimeout() time.Duration {
	return min(max(5*d.cfg.ProbeInterval, time.Second), d.cfg.AttemptTimeout)
}

// dispatch sends one attempt of j, with its stored UUID.
func (d *dispatcher) dispatch(j *job, now time.Time) {
	e, ok, err := d.store.Request(j.id)
	if err != nil || !ok {
		if err != nil {
			d.log.Error("titanic: reading a stored request", zap.Stringer("uuid", j.id), zap.Error(err))
		}
		d.forget(j) // closed by its client meanwhile, or unreadable
		return
	}
	timeout := min(d.cfg.AttemptTimeout, j.deadline.Sub(now))
	if timeout <= 0 {
		d.expire(j, now)
		return
	}
	j.attempts++
	j.state = jobInFlight
	j.svc.inFlight++
	d.stats.dispatched.Add(1)
	d.out.send(e.Service, j.id, timeout, e.Body)
	d.timers.schedule(j, now.Add(timeout+max(100*time.Millisecond, timeout/4)))
}

// fire handles the timers that are due.
func (d *dispatcher) fire(now time.Time) {
	if d.timers.Len() > 4*len(d.jobs)+1024 {
		d.timers.compact()
	}
	for {
		j, ok := d.timers.popDue(now)
		if !ok {
			return
		}
		switch {
		case !now.Before(j.deadline):
			d.expire(j, now)
		case j.state == jobInFlight: // no answer: the broker or our message was lost
			d.settle(j)
			d.retry(j, now)
		case j.state == jobBackoff:
			d.enqueue(j)
		}
	}
}

// settle frees j's slot if it holds one.
func (d *dispatcher) settle(j *job) {
	if j.state == jobInFlight {
		j.svc.inFlight--
		j.state = jobBackoff
	}
}

func (d *dispatcher) retry(j *job, now time.Time) {
	d.stats.retries.Add(1)
	j.state = jobBackoff
	wait := d.cfg.BackoffMin << min(max(j.attempts-1, 0), 20)
	wait = min(wait, d.cfg.BackoffMax)
	wait += rand.N(wait/4 + 1)
	at := now.Add(wait)
	if at.After(j.deadline) {
		at = j.deadline
	}
	d.timers.schedule(j, at)
}

func (d *dispatcher) expire(j *job, now time.Time) {
	d.settle(j)
	d.forget(j)
	d.stats.expired.Add(1)
	d.finish(j.id, Result{State: StateFailed, Text: "expired", Finished: now})
}

func (d *dispatcher) forget(j *job) {
	if j.gone {
		return
	}
	j.gone = true
	delete(d.jobs, j.id)
	j.svc.jobs--
	d.prune(j.svc)
}

// prune forgets a service that has no job left and no probe out, so that
// service names seen once (made up, or one-off) do not pile up. A job for
// it later starts afresh, with a new probe.
func (d *dispatcher) prune(svc *service) {
	if svc.jobs == 0 && svc.probe == (uuid.UUID{}) && d.services[svc.name] == svc {
		delete(d.services, svc.name)
		delete(d.ready, svc)
	}
}

// onReply handles an answer from the broker: a probe's, or an attempt's.
func (d *dispatcher) onReply(m *mdp.Message, now time.Time) {
	if svc := d.probes[m.UUID]; svc != nil {
		delete(d.probes, m.UUID)
		svc.probe = uuid.UUID{}
		svc.up = m.Kind == mdp.ClientFinal && len(m.Body) > 0 && string(m.Body[0]) == "200"
		d.prune(svc)
		return
	}
	j := d.jobs[m.UUID]
	if j == nil || m.Kind == mdp.ClientPartial {
		return // a late answer to a request finished or closed, or a PARTIAL
	}
	d.settle(j)
	if m.Kind == mdp.ClientFinal {
		d.forget(j)
		d.stats.replied.Add(1)
		d.finish(j.id, Result{State: StateDone, Body: m.Body, Finished: now})
		return
	}
	// An error reply. 4xx (but 404, which only a fail-fast request gets)
	// says the request itself is wrong: it is answered as failed. 5xx (the
	// worker failed, the broker was full, the deadline passed there) is
	// tried again until the request's own deadline.
	if m.Status >= 400 && m.Status < 500 && m.Status != mdp.StatusNotFound {
		d.forget(j)
		d.stats.failed.Add(1)
		d.finish(j.id, Result{State: StateFailed, Text: string(mdp.FormatStatus(m.Status, m.Text)), Finished: now})
		return
	}
	if m.Status == mdp.StatusNotFound {
		j.svc.up = false
	}
	d.log.Debug("titanic: attempt failed", zap.Stringer("uuid", j.id), zap.String("status", strconv.Itoa(int(m.Status))))
	d.retry(j, now)
}
