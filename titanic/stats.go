package titanic

import "time"

// Stats is a snapshot of a Server's counters and its store.
type Stats struct {
	Stored      uint64 // requests accepted (200 to titanic.request)
	Rejected    uint64 // titanic.request refused because the store was full (503)
	BadRequests uint64 // malformed titanic.* requests (500)
	Closed      uint64 // titanic.close calls
	Dispatched  uint64 // attempts sent to services
	Retries     uint64 // attempts that failed and were scheduled again
	Replied     uint64 // requests answered by their service
	Failed      uint64 // requests their service refused (4xx)
	Expired     uint64 // requests whose TTL passed unanswered
	Swept       uint64 // finished requests removed by garbage collection
	Malformed   uint64 // malformed messages from the broker, dropped
	SendErrors  uint64 // attempts the socket could not take (they time out and are retried)
	Pending     int64  // stored requests not answered yet
	Store       StoreStats
}

// SyncMean is the mean time of a commit (write and fsync).
func (s Stats) SyncMean() time.Duration {
	if s.Store.Commits == 0 {
		return 0
	}
	return s.Store.SyncTotal / time.Duration(s.Store.Commits)
}

// Stats returns a snapshot. Safe to call at any time, from any goroutine.
func (s *Server) Stats() Stats {
	c := &s.stats
	st := s.store.Stats()
	return Stats{
		Stored: c.stored.Load(), Rejected: c.rejected.Load(), BadRequests: c.badRequests.Load(),
		Closed: c.closed.Load(), Dispatched: c.dispatched.Load(), Retries: c.retries.Load(),
		Replied: c.replied.Load(), Failed: c.failed.Load(), Expired: c.expired.Load(), Swept: c.swept.Load(),
		Malformed: c.malformed.Load(), SendErrors: c.sendErrors.Load(), Pending: st.Pending, Store: st,
	}
}
