package clients

// Stats are a Client's counters since New.
type Stats struct {
	Requests  uint64 // logical requests made (each has one UUID)
	Attempts  uint64 // attempts made, retries included (one waiting for its broker's connection counts)
	Retries   uint64 // attempts after a request's first
	Replies   uint64 // FINAL or error replies matched to a pending request
	Partials  uint64 // PARTIAL replies matched to a pending request
	Stale     uint64 // replies dropped: late or duplicate, for no pending request, or a 503 for an earlier attempt
	Rejected  uint64 // 503 replies (broker overloaded or shutting down) retried on the next broker
	Malformed uint64 // messages dropped because they did not parse
	Timeouts  uint64 // requests that ended with ErrTimeout
	Cancelled uint64 // requests ended by their context's cancellation
	Closed    uint64 // requests ended by Close
	// Cancels: XCANCELs sent, each withdrawing an attempt the client gave up
	// at the broker that had it (extension only). CancelsDropped: those the
	// socket could not take at once (no connection), not sent.
	Cancels        uint64
	CancelsDropped uint64
	Pending        int64 // requests in flight now
}

// Stats returns a snapshot of the counters. Safe to call at any time.
func (c *Client) Stats() Stats {
	s := &c.stats
	return Stats{
		Requests: s.requests.Load(), Attempts: s.attempts.Load(), Retries: s.retries.Load(),
		Replies: s.replies.Load(), Partials: s.partials.Load(), Stale: s.stale.Load(), Rejected: s.rejected.Load(),
		Malformed: s.malformed.Load(), Timeouts: s.timeouts.Load(), Cancelled: s.cancelled.Load(),
		Closed: s.closed.Load(), Pending: s.pending.Load(),
		Cancels: s.cancels.Load(), CancelsDropped: s.cancelsDropped.Load(),
	}
}
