package broker

import (
	"context"
	"net/http"
	"time"
)

// adminTimeout bounds how long an admin request waits for the loop. A loop
// that cannot answer within it is not live.
const adminTimeout = 2 * time.Second

// AdminHandler serves the broker's read-only admin endpoints:
//
//	/metrics  Prometheus text format (see Snapshot.WritePrometheus)
//	/livez    200 while the loop answers, 503 otherwise
//	/readyz   200 while the loop runs and takes requests, 503 before
//	          Run, while draining and after Run has returned
//
// /metrics asks the loop for a Snapshot, the probes only for its Health
// (constant time); nothing else touches broker state. It is safe to serve
// from any number of goroutines.
func AdminHandler(b *Broker) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, r *http.Request) {
		snap, err := adminSnapshot(r, b)
		if err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		snap.WritePrometheus(w)
	})
	mux.HandleFunc("GET /livez", func(w http.ResponseWriter, r *http.Request) {
		if _, err := adminHealth(r, b); err != nil {
			http.Error(w, "not live: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		h, err := adminHealth(r, b)
		switch {
		case err != nil:
			http.Error(w, "not ready: "+err.Error(), http.StatusServiceUnavailable)
		case h.Draining:
			http.Error(w, "not ready: draining", http.StatusServiceUnavailable)
		default:
			w.Write([]byte("ok\n"))
		}
	})
	return mux
}

func adminSnapshot(r *http.Request, b *Broker) (Snapshot, error) {
	ctx, cancel := context.WithTimeout(r.Context(), adminTimeout)
	defer cancel()
	return b.Snapshot(ctx)
}

func adminHealth(r *http.Request, b *Broker) (Health, error) {
	ctx, cancel := context.WithTimeout(r.Context(), adminTimeout)
	defer cancel()
	return b.Health(ctx)
}
