package broker

import (
	"slices"
	"strings"
)

// nameIndex keeps the services in name order for mmi.services, so that a
// page costs O(log services + page), not a pass over every service. New
// services wait in a small list and are merged in when a page is asked
// for (or when that list has grown as large as the index); forgotten ones
// are dropped at the next merge. Each service is merged once, so the
// upkeep is O(log) per service made, amortised.
type nameIndex struct {
	sorted []*service
	added  []*service
	dead   int // forgotten services still in sorted or added
}

func (x *nameIndex) add(s *service, known int) {
	x.added = append(x.added, s)
	if len(x.added) > max(known, 1024) {
		x.merge()
	}
}

// forget notes that a service was forgotten; once they are half the
// index, the index drops them.
func (x *nameIndex) forget() {
	x.dead++
	if x.dead > 1024 && x.dead > (len(x.sorted)+len(x.added))/2 {
		x.merge()
		x.sorted = slices.DeleteFunc(x.sorted, func(s *service) bool { return s.forgotten })
		x.dead = 0
	}
}

// merge sorts the new services into the index, dropping forgotten ones.
func (x *nameIndex) merge() {
	if len(x.added) == 0 {
		return
	}
	byName := func(a, b *service) int { return strings.Compare(a.name, b.name) }
	slices.SortFunc(x.added, byName)
	merged := make([]*service, 0, len(x.sorted)+len(x.added))
	i, j := 0, 0
	for i < len(x.sorted) || j < len(x.added) {
		var s *service
		if j == len(x.added) || i < len(x.sorted) && x.sorted[i].name < x.added[j].name {
			s, i = x.sorted[i], i+1
		} else {
			s, j = x.added[j], j+1
		}
		if !s.forgotten {
			merged = append(merged, s)
		} else {
			x.dead--
		}
	}
	clear(x.added)
	x.sorted, x.added = merged, x.added[:0]
}

// page returns up to n known services whose names sort after after.
func (x *nameIndex) page(after string, n int) []*service {
	x.merge()
	i, _ := slices.BinarySearchFunc(x.sorted, after, func(s *service, name string) int {
		return strings.Compare(s.name, name)
	})
	var out []*service
	for ; i < len(x.sorted) && len(out) < n; i++ {
		if s := x.sorted[i]; !s.forgotten && s.name > after {
			out = append(out, s)
		}
	}
	return out
}
