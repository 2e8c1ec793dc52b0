package broker

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"time"
)

// adminTimeout bounds how long an admin request waits for the loop. A loop
// that cannot answer within it is not live.
const adminTimeout = 2 * time.Second

// AdminHandler serves the broker's admin endpoints:
//
//	/         the status page (HTML, see statuspage.go), /service?name=NAME
//	          one service and its workers
//	/api/status, /api/service?name=NAME
//	          the same as JSON (Status, ServiceStatusJSON)
//	POST /handover?service=NAME[&worker=ID]
//	          the active worker of an exclusive service hands over
//	          (Broker.Handover): 200 and JSON, 404 or 409 as mmi.handover
//	/livez    200 while the loop answers, 503 otherwise
//	/readyz   200 while the loop runs and takes requests, 503 before
//	          Run, while draining and after Run has returned
//
// /metrics is not among them: package broker/brokermetrics serves it, so
// that the broker does not make its embedders link client_golang. Add it
// to the mux returned (mdbroker does):
//
//	mux := broker.AdminHandler(b)
//	mux.Handle("GET /metrics", brokermetrics.Handler(brokermetrics.NewRegistry(b)))
//
// The status pages ask the loop for a Snapshot (a chunk of services per
// turn) or one service, the probes only for its Health (constant time);
// /handover is the one that changes state. Serve it on loopback only
// (mdbroker does by default; /handover answers 403 to any other peer
// address): there is no authentication yet, and mmi.handover is open to
// any client likewise until the broker has an admin key (issue 14). It is
// safe to serve from any number of goroutines.
func AdminHandler(b *Broker) *http.ServeMux {
	mux := http.NewServeMux()
	statusHandlers(mux, b)
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
	mux.HandleFunc("POST /handover", func(w http.ResponseWriter, r *http.Request) {
		if !fromLoopback(r) {
			http.Error(w, "hand-over is taken from loopback only", http.StatusForbidden)
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), adminTimeout)
		defer cancel()
		res, err := b.Handover(ctx, r.URL.Query().Get("service"), r.URL.Query().Get("worker"))
		var herr *HandoverError
		switch {
		case errors.As(err, &herr):
			http.Error(w, herr.Reason, int(herr.Status))
		case err != nil:
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
		default:
			w.Header().Set("Content-Type", "application/json")
			json.NewEncoder(w).Encode(res)
		}
	})
	return mux
}

// fromLoopback reports whether r came from this machine: the one check
// on /handover until the broker has an admin key.
func fromLoopback(r *http.Request) bool {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
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
