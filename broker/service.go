package broker

import (
	"sort"
	"time"

	"github.com/majordomo-go/majordomo/mdp"
)

// service is one named service: its queue and its workers by tier.
type service struct {
	name        string
	queue       requestQueue
	queuedBytes int64
	tiers       []*tier // by level, best (lowest) first
	workers     int
	emptySince  time.Time // when it last had no workers and no requests
	idleTimer   bool      // a timerServiceIdle for it is pending
	stats       outcomeCounts
	busy        int  // workers holding a request, not draining
	draining    int  // workers that sent XDRAIN
	listIndex   int  // its slot in core.list
	forgotten   bool // dropped from core.services

	policy      *ServicePolicy // pinned by the configuration, or nil
	mode        mdp.Mode       // fixed while the service has workers (policy.go)
	active      *worker        // exclusive: the worker that holds requests
	handoverTo  *worker        // exclusive: asked to take over from active
	activations uint64         // exclusive: how often a worker became active
	latency     windowHistogram
	hist        histogram            // latency of answered requests since the service was made (/metrics)
	joinLog     logBucket            // rate limit of its workers' arrival and departure lines (worklog.go)
	members     map[*worker]struct{} // its workers (mmi.workers)
	held        int                  // requests its workers hold
	requests    uint64               // requests accepted for it
}

// tier holds the workers of one priority level; free lists those with
// capacity to spare, in round-robin order.
type tier struct {
	level    uint8
	workers  int
	busy     int // holding a request, not draining
	draining int
	free     workerList
}

func (s *service) tier(level uint8) *tier {
	for _, t := range s.tiers {
		if t.level == level {
			return t
		}
	}
	t := &tier{level: level}
	s.tiers = append(s.tiers, t)
	sort.Slice(s.tiers, func(i, j int) bool { return s.tiers[i].level < s.tiers[j].level })
	return t
}

func (s *service) empty() bool { return s.workers == 0 && s.queue.len() == 0 }
