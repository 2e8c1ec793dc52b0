package broker

// serviceList holds every service in a slot of its own, so that a
// snapshot can copy them a chunk at a time, one chunk per turn of the loop,
// and never stall it for all of them. A forgotten service leaves a hole;
// holes are squeezed out once they are half the slots, which moves
// services to other slots and so starts a new generation: a snapshot that
// sees the generation change starts over.
type serviceList struct {
	slots []*service
	holes int
	gen   uint64
}

func (l *serviceList) add(s *service) {
	s.listIndex = len(l.slots)
	l.slots = append(l.slots, s)
}

func (l *serviceList) remove(s *service) {
	l.slots[s.listIndex] = nil
	l.holes++
	if l.holes > 64 && l.holes > len(l.slots)/2 {
		l.compact()
	}
}

// compact squeezes out the holes: O(slots), once per slots/2 removals.
func (l *serviceList) compact() {
	kept := l.slots[:0]
	for _, s := range l.slots {
		if s != nil {
			s.listIndex = len(kept)
			kept = append(kept, s)
		}
	}
	clear(l.slots[len(kept):])
	l.slots, l.holes = kept, 0
	l.gen++
}

// service returns the service called name, making it when it is new.
func (c *core) service(name string) *service {
	if s := c.services[name]; s != nil {
		return s
	}
	s := &service{name: name}
	if p, ok := c.cfg.Services[name]; ok {
		s.policy = &p
	}
	c.services[name] = s
	c.list.add(s)
	c.names.add(s, len(c.services))
	return s
}

// forgetService drops an idle service.
func (c *core) forgetService(s *service) {
	delete(c.services, s.name)
	s.forgotten = true
	c.list.remove(s)
	c.names.forget()
}
