package broker

import "github.com/majordomo-go/majordomo/mdp"

// freeWorker is the worker the next request of s goes to, or nil if it
// must wait. O(tiers); tiers are few.
//
//   - overflow: the first free worker of the best tier that has one;
//   - strict: a free worker of the best tier that has a live (registered,
//     not draining) worker, busy or not: requests wait for it rather than
//     go to a lower tier;
//   - exclusive: the active worker, while it has room and no hand-over
//     waits for it to finish.
func (s *service) freeWorker() *worker {
	switch s.mode {
	case mdp.ModeStrict:
		for _, t := range s.tiers {
			if t.workers > t.draining {
				return t.free.head
			}
		}
		return nil
	case mdp.ModeExclusive:
		if a := s.active; a != nil && s.handoverTo == nil && a.free() {
			return a
		}
		return nil
	}
	for _, t := range s.tiers {
		if t.free.head != nil {
			return t.free.head
		}
	}
	return nil
}

// settleActive keeps an exclusive service's active worker right: one that
// drains, or is asked to hand over, stays active until it holds nothing,
// then steps down; with none active, the next standby takes over (the
// hand-over target, else best tier first, then longest registered).
func (s *service) settleActive() {
	if s.mode != mdp.ModeExclusive {
		return
	}
	if a := s.active; a != nil && len(a.inflight) == 0 && (a.draining || s.handoverTo != nil) {
		s.stepDown(a)
	}
	if s.active == nil {
		s.promote()
	}
}

// stepDown makes the active worker a standby, last in its tier.
func (s *service) stepDown(a *worker) {
	a.active = false
	s.active = nil
	if a.free() && !a.inFree {
		a.tier.free.pushBack(a)
	}
}

// promote makes the next standby active. Standbys are the free lists of an
// exclusive service: they never get work, so each list stays in order of
// registration (a former active one goes to the back).
func (s *service) promote() {
	next := s.handoverTo
	s.handoverTo = nil
	if next == nil || next.gone || next.draining {
		next = nil
		for _, t := range s.tiers {
			if t.free.head != nil {
				next = t.free.head
				break
			}
		}
	}
	if next == nil {
		return
	}
	next.tier.free.remove(next)
	next.active = true
	s.active = next
	s.activations++
}

// standby is the worker a hand-over of s would go to: the named one, else
// the next in line. It reports false when there is none.
func (s *service) standby(named *worker) (*worker, bool) {
	if named != nil {
		return named, named.service == s && !named.active && !named.draining && !named.gone
	}
	for _, t := range s.tiers {
		if t.free.head != nil {
			return t.free.head, true
		}
	}
	return nil, false
}
