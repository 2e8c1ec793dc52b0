package broker

import (
	"fmt"
	"math/rand"
	"sort"
	"testing"
	"time"

	"github.com/google/uuid"
)

// The deadline heap gives requests back in deadline order, also after
// arbitrary removals.
func TestDeadlineHeapOrder(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	base := time.Unix(0, 0)
	var h deadlineHeap
	var all []*request
	for i := 0; i < 500; i++ {
		r := &request{deadline: base.Add(time.Duration(rng.Intn(1000)) * time.Millisecond)}
		h.push(r)
		all = append(all, r)
	}
	kept := all[:0:0]
	for i, r := range all {
		if i%3 == 0 {
			h.remove(r)
		} else {
			kept = append(kept, r)
		}
	}
	sort.Slice(kept, func(i, j int) bool { return kept[i].deadline.Before(kept[j].deadline) })
	for i := range kept {
		r := h.popDue(base.Add(time.Hour))
		if r == nil || !r.deadline.Equal(kept[i].deadline) {
			t.Fatalf("pop %d: got %v, want deadline %v", i, r, kept[i].deadline)
		}
	}
	if r := h.popDue(base.Add(time.Hour)); r != nil || len(h) != 0 {
		t.Fatalf("heap not empty: %d left", len(h))
	}
}

// The reply cache is bounded in entries, bytes and age.
func TestReplyCacheBounds(t *testing.T) {
	now := time.Unix(0, 0)
	c := newReplyCache(3, 100, time.Second)
	ids := make([]requestKey, 5)
	for i := range ids {
		ids[i] = requestKey{service: "s", id: uuid.New()}
		c.put(now, ids[i], nil, 10)
	}
	if _, ok := c.get(now, requestKey{service: "other", id: ids[4].id}); ok {
		t.Fatal("a cached reply answered the same UUID for another service")
	}
	if _, ok := c.get(now, ids[1]); ok {
		t.Fatal("entry beyond the count bound kept")
	}
	if _, ok := c.get(now, ids[4]); !ok {
		t.Fatal("newest entry missing")
	}
	c.put(now, requestKey{service: "s", id: uuid.New()}, nil, 95)
	if len(c.entries) != 1 || c.bytes != 95 {
		t.Fatalf("byte bound: %d entries, %d bytes", len(c.entries), c.bytes)
	}
	c.put(now, requestKey{service: "s", id: uuid.New()}, nil, 101) // larger than the whole cache: not kept
	if len(c.entries) != 1 {
		t.Fatalf("oversize entry kept")
	}
	c.sweep(now.Add(2 * time.Second))
	if len(c.entries) != 0 || c.bytes != 0 || c.head != nil || c.tail != nil {
		t.Fatalf("sweep left %d entries, %d bytes", len(c.entries), c.bytes)
	}
}

func TestConfigValidation(t *testing.T) {
	if err := (Config{}).Validate(); err != nil {
		t.Fatalf("zero config (all defaults) invalid: %v", err)
	}
	bad := []Config{
		{HeartbeatInterval: time.Microsecond},
		{HeartbeatLiveness: -1},
		{MaxAttempts: -2},
		{QueueLimit: -1},
		{ReplyCacheTTL: -time.Second},
		{HeartbeatLiveness: 4000000000},                       // interval × liveness overflows
		{HeartbeatInterval: time.Hour, HeartbeatLiveness: 25}, // past MaxExpiry
		{WorkerHeartbeatMin: time.Second, WorkerHeartbeatMax: time.Millisecond},
		{UnservedPerClient: -1},
		{Endpoints: []string{""}},
	}
	for _, cfg := range bad {
		if err := cfg.Validate(); err == nil {
			t.Errorf("%+v validated", cfg)
		}
	}
	if _, err := New(Config{Endpoints: []string{"bogus://nowhere"}}); err == nil {
		t.Fatal("New bound a bogus endpoint")
	}
}

// The name index pages through the known services in order, whatever was
// added and forgotten, and sheds the forgotten ones.
func TestNameIndex(t *testing.T) {
	c := newCore(DefaultConfig().withDefaults(), time.Unix(0, 0))
	for i := 2999; i >= 0; i-- {
		c.service(fmt.Sprintf("s%04d", i))
	}
	for i := 0; i < 3000; i++ {
		if i%3 != 0 {
			c.forgetService(c.services[fmt.Sprintf("s%04d", i)])
		}
	}
	if n := len(c.names.sorted) + len(c.names.added); n > 2000 {
		t.Fatalf("index holds %d services for 1000 known", n)
	}
	var got []string
	for after := ""; ; {
		page := c.names.page(after, 7)
		if len(page) == 0 {
			break
		}
		for _, s := range page {
			got = append(got, s.name)
		}
		after = page[len(page)-1].name
	}
	if len(got) != 1000 {
		t.Fatalf("paged through %d services, want 1000", len(got))
	}
	for i, name := range got {
		if want := fmt.Sprintf("s%04d", 3*i); name != want {
			t.Fatalf("entry %d is %s, want %s", i, name, want)
		}
	}
}
