package broker

import (
	"sort"
	"time"
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
}

// tier holds the workers of one priority level; free lists those with
// capacity to spare, in round-robin order.
type tier struct {
	level   uint8
	workers int
	free    workerList
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

// freeWorker is the worker the next request goes to: the first free one of
// the best tier that has one. Tiers are few, so this is O(tiers).
func (s *service) freeWorker() *worker {
	for _, t := range s.tiers {
		if t.free.head != nil {
			return t.free.head
		}
	}
	return nil
}

func (s *service) empty() bool { return s.workers == 0 && s.queue.len() == 0 }
