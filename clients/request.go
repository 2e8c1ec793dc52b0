package clients

import (
	"container/heap"
	"container/list"
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/majordomo-go/majordomo/mdp"
)

// request is the loop's record of one logical request: one UUID for all
// of its attempts. Only the loop touches it after the submit.
type request struct {
	id       uuid.UUID
	ctx      context.Context
	call     *Call
	cancel   context.CancelFunc // Stream's derived context; nil otherwise
	stopCtx  func() bool        // stops the ctx watcher
	flags    mdp.Flags
	deadline time.Time // ctx's; zero when none

	attempts int   // sends so far
	broker   int   // broker of the current attempt
	partials int   // PARTIAL replies seen
	link     *link // plain mode: the socket of the current attempt
	// waiting is r's place in the backlog of broker waitBroker while its
	// attempt waits for the socket (extension mode); nil otherwise.
	waiting    *list.Element
	waitBroker int
	// out: the current attempt went out on r.broker's extension socket and
	// that broker has not answered it; giving it up sends XCANCEL there.
	out   bool
	due   time.Time // when event fires
	event event
	index int // in the timer heap; -1 when not in it
}

// event is what happens to a request when its timer fires.
type event uint8

const (
	evAttemptTimeout event = iota + 1 // the current attempt got no reply in time
	evResend                          // the backoff after a timeout is over
)

// timers orders the requests that wait for an event by due time; each
// request is in it at most once.
type timers []*request

func (t timers) Len() int           { return len(t) }
func (t timers) Less(i, j int) bool { return t[i].due.Before(t[j].due) }
func (t timers) Swap(i, j int) {
	t[i], t[j] = t[j], t[i]
	t[i].index, t[j].index = i, j
}
func (t *timers) Push(x any) {
	r := x.(*request)
	r.index = len(*t)
	*t = append(*t, r)
}
func (t *timers) Pop() any {
	old := *t
	r := old[len(old)-1]
	old[len(old)-1] = nil
	*t = old[:len(old)-1]
	r.index = -1
	return r
}

// schedule sets r's next event, replacing any earlier one.
func (t *timers) schedule(r *request, at time.Time, ev event) {
	r.due, r.event = at, ev
	if r.index >= 0 {
		heap.Fix(t, r.index)
		return
	}
	heap.Push(t, r)
}

// unschedule removes r's pending event, if any.
func (t *timers) unschedule(r *request) {
	if r.index >= 0 {
		heap.Remove(t, r.index)
	}
}

// next is the request whose event is due first, or nil.
func (t timers) next() *request {
	if len(t) == 0 {
		return nil
	}
	return t[0]
}
