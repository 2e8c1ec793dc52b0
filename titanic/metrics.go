package titanic

import (
	"fmt"
	"io"
)

// WritePrometheus writes the snapshot in the Prometheus text format
// (version 0.0.4), every name prefixed titanic_.
func (s Stats) WritePrometheus(w io.Writer) error {
	type metric struct {
		name, kind, help string
		value            float64
	}
	ms := []metric{
		{"titanic_requests_stored_total", "counter", "Requests accepted (200 to titanic.request), each fsynced first.", float64(s.Stored)},
		{"titanic_requests_rejected_total", "counter", "titanic.request refused with 503 because the store was full.", float64(s.Rejected)},
		{"titanic_bad_requests_total", "counter", "Malformed titanic.* requests, answered 500.", float64(s.BadRequests)},
		{"titanic_closed_total", "counter", "titanic.close calls.", float64(s.Closed)},
		{"titanic_requests_pending", "gauge", "Stored requests not answered yet.", float64(s.Pending)},
		{"titanic_dispatched_total", "counter", "Attempts sent to services.", float64(s.Dispatched)},
		{"titanic_retries_total", "counter", "Attempts that failed and were scheduled again.", float64(s.Retries)},
		{"titanic_replied_total", "counter", "Requests answered by their service.", float64(s.Replied)},
		{"titanic_failed_total", "counter", "Requests refused by their service (4xx).", float64(s.Failed)},
		{"titanic_expired_total", "counter", "Requests whose TTL passed unanswered.", float64(s.Expired)},
		{"titanic_swept_total", "counter", "Finished requests removed by garbage collection.", float64(s.Swept)},
		{"titanic_malformed_total", "counter", "Malformed messages from the broker, dropped.", float64(s.Malformed)},
		{"titanic_send_errors_total", "counter", "Attempts the socket could not take (retried).", float64(s.SendErrors)},
		{"titanic_store_live_bytes", "gauge", "Bytes of keys and values stored, the quantity the bound applies to.", float64(s.Store.LiveBytes)},
		{"titanic_store_max_bytes", "gauge", "The bound on live bytes.", float64(s.Store.MaxBytes)},
		{"titanic_store_file_bytes", "gauge", "Size of the store file on disk.", float64(s.Store.FileBytes)},
		{"titanic_store_writes_total", "counter", "Writes to the store (requests, results, removals).", float64(s.Store.Writes)},
		{"titanic_store_commits_total", "counter", "Store transactions committed and fsynced (group commit: writes/commits per fsync).", float64(s.Store.Commits)},
		{"titanic_store_commit_seconds_max", "gauge", "Longest commit (write and fsync) so far.", s.Store.SyncMax.Seconds()},
	}
	for _, m := range ms {
		if _, err := fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n%s %g\n", m.name, m.help, m.name, m.kind, m.name, m.value); err != nil {
			return err
		}
	}
	_, err := fmt.Fprintf(w, "# HELP titanic_store_commit_seconds Time of a commit (write and fsync).\n"+
		"# TYPE titanic_store_commit_seconds summary\ntitanic_store_commit_seconds_sum %g\ntitanic_store_commit_seconds_count %d\n",
		s.Store.SyncTotal.Seconds(), s.Store.Commits)
	return err
}
