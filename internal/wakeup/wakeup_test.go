package wakeup_test

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/majordomo-go/majordomo/internal/wakeup"
	"github.com/majordomo-go/majordomo/internal/zsock"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func newSignal(t *testing.T) *wakeup.Signal {
	t.Helper()
	s, err := wakeup.New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func newPoller(t *testing.T, s *wakeup.Signal) *zsock.Poller {
	t.Helper()
	p, err := zsock.NewPoller(zsock.PollItem{Fd: s.Fd()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

func readable(t *testing.T, p *zsock.Poller, timeout time.Duration) bool {
	t.Helper()
	n, err := p.Wait(timeout)
	if err != nil {
		t.Fatal(err)
	}
	return n == 1 && p.Ready(0)
}

func TestWakeMakesFdReadableUntilClear(t *testing.T) {
	s := newSignal(t)
	p := newPoller(t, s)
	if readable(t, p, 0) {
		t.Fatal("a new signal is readable")
	}
	s.Wake()
	s.Wake() // coalesced
	if !readable(t, p, 20*time.Second) {
		t.Fatal("not readable after Wake")
	}
	s.Clear()
	if readable(t, p, 0) {
		t.Fatal("still readable after Clear")
	}
	s.Wake()
	if !readable(t, p, 20*time.Second) {
		t.Fatal("a Wake after Clear was lost")
	}
}

func TestClearWithoutWakeDoesNotBlock(t *testing.T) {
	s := newSignal(t)
	s.Clear()
	s.Clear()
	p := newPoller(t, s)
	if readable(t, p, 0) {
		t.Fatal("readable without a Wake")
	}
}

// Many goroutines hand over work and wake the owner; the owner, which
// looks at the work only after a Clear, sees every item: no wake-up is
// lost in a race with Clear.
func TestNoWorkIsMissedUnderConcurrentWakes(t *testing.T) {
	s := newSignal(t)
	p := newPoller(t, s)
	const producers, each = 8, 2000
	var queued atomic.Int64
	var wg sync.WaitGroup
	for range producers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				queued.Add(1)
				s.Wake()
			}
		}()
	}
	deadline := time.Now().Add(20 * time.Second)
	var seen int64
	for seen < producers*each {
		if time.Now().After(deadline) {
			t.Fatalf("owner saw %d of %d items", seen, producers*each)
		}
		if !readable(t, p, time.Until(deadline)) {
			continue
		}
		s.Clear()
		seen = queued.Load()
	}
	wg.Wait()
}

func TestWakeAfterCloseIsHarmless(t *testing.T) {
	s, err := wakeup.New()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s.Wake()
	if err := s.Close(); err != wakeup.ErrClosed {
		t.Fatalf("second Close: %v, want ErrClosed", err)
	}
}

func BenchmarkWakeClear(b *testing.B) {
	s, err := wakeup.New()
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	for b.Loop() {
		s.Wake()
		s.Clear()
	}
}
