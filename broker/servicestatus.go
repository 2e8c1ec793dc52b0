package broker

import (
	"context"
	"encoding/hex"
	"errors"
	"sort"
	"time"
)

// ErrNoService is returned for a service the broker does not know.
var ErrNoService = errors.New("broker: no such service")

// ServiceStatus is one service's numbers and a page of its workers, as
// mmi.workers lists them.
type ServiceStatus struct {
	Service ServiceSnapshot
	Workers []MMIWorker // in id order, after the id asked for, at most MMIWorkersPage
	More    bool        // workers after the last one listed
}

// ServiceStatus returns the service named name and up to MMIWorkersPage of
// its workers whose id (hex, as mmi.workers gives it) comes after after.
// It costs the loop one turn of O(workers of the service × log). It
// returns ErrNoService for a name the broker does not know.
func (b *Broker) ServiceStatus(ctx context.Context, name, after string) (ServiceStatus, error) {
	var st ServiceStatus
	found := false
	if err := b.ask(ctx, func(c *core, now time.Time) {
		s := c.services[name]
		if s == nil {
			return
		}
		found = true
		c.fillService(now, s, &st.Service, &countSlab{}, 1)
		st.Workers, st.More = c.workerPage(now, s, after)
	}); err != nil {
		return ServiceStatus{}, err
	}
	if !found {
		return ServiceStatus{}, ErrNoService
	}
	return st, nil
}

// workerPage lists s's workers after the id after, in id order.
func (c *core) workerPage(now time.Time, s *service, after string) ([]MMIWorker, bool) {
	type entry struct {
		id string
		w  *worker
	}
	list := make([]entry, 0, len(s.members))
	for w := range s.members {
		if id := hex.EncodeToString(w.identity); id > after {
			list = append(list, entry{id, w})
		}
	}
	sort.Slice(list, func(i, j int) bool { return list[i].id < list[j].id })
	more := len(list) > MMIWorkersPage
	list = list[:min(len(list), MMIWorkersPage)]
	out := make([]MMIWorker, len(list))
	for i, e := range list {
		out[i] = e.w.mmi(now)
	}
	return out, more
}
