package main

import (
	"fmt"
	"io"
	"time"
)

// progressInterval is how often mdbench prints its progress line.
const progressInterval = time.Second

// progressTo is where progress lines go: stderr, unless --json or --quiet.
func progressTo(cfg config, stderr io.Writer) io.Writer {
	if cfg.json || cfg.quiet {
		return nil
	}
	return stderr
}

// progress prints a line on stderr every interval while the clients run:
// the phase, replies per second since the last line, the errors counted so
// far (by the clients and by our workers) and the p99 of the measured
// window so far. It belongs to the clients' goroutine.
type progress struct {
	w            io.Writer     // nil: no progress lines (--json, --quiet)
	workerErrors func() uint64 // our workers' errors so far; nil: none
	every        time.Duration
	next         time.Duration // when the next line is due, since the run's base time
	last         time.Duration // when the last one was printed
	lastReplies  uint64
}

// due reports whether a line should be printed at now.
func (p *progress) due(now time.Duration) bool {
	return p.w != nil && now >= p.next
}

// until is how long the clients may wait before the next line is due.
func (p *progress) until(now time.Duration) time.Duration {
	if p.w == nil {
		return time.Hour
	}
	return p.next - now
}

// print writes one line about cs at now and schedules the next.
func (p *progress) print(cs *clientSet, now time.Duration) {
	st := cs.stats
	rate := 0.0
	if elapsed := now - p.last; elapsed > 0 {
		rate = float64(st.replies-p.lastReplies) / elapsed.Seconds()
	}
	phase := "measuring"
	switch {
	case !cs.sending:
		phase = "draining"
	case !cs.measuring:
		phase = "warm-up"
	}
	errs := st.lost + st.stale + st.malformed + st.mismatched + st.sendErrors
	if p.workerErrors != nil {
		errs += p.workerErrors()
	}
	p99 := "-" // nothing measured yet
	if cs.hist.n > 0 {
		p99 = fmt.Sprintf("%.0fµs", micros(cs.hist.quantile(0.99)))
	}
	fmt.Fprintf(p.w, "mdbench %6.1fs %-9s %9.0f req/s  errors %d  p99 %s  outstanding %d\n",
		now.Seconds(), phase, rate, errs, p99, cs.outstanding)
	p.last, p.lastReplies = now, st.replies
	for p.next <= now {
		p.next += p.every
	}
}
