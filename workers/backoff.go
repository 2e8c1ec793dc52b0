package workers

import (
	"math/rand/v2"
	"time"
)

// backoff is the reconnect delay: exponential from min to max, with each
// delay drawn from the upper half of its step so that many workers cut off
// by one broker restart do not reconnect in lockstep.
type backoff struct {
	min, max time.Duration
	next     time.Duration
}

func newBackoff(min, max time.Duration) backoff {
	return backoff{min: min, max: max, next: min}
}

// delay returns the next delay and doubles the step, up to max.
func (b *backoff) delay() time.Duration {
	d := b.next
	if b.next < b.max {
		b.next = min(2*b.next, b.max)
	}
	half := d / 2
	return half + rand.N(d-half+1)
}

// reset goes back to the first step, after the broker has answered.
func (b *backoff) reset() { b.next = b.min }
