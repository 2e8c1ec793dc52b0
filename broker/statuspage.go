package broker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// The status page and its JSON, served by AdminHandler:
//
//	GET /                     the broker and a page of services (HTML)
//	GET /service?name=NAME    one service and its workers (HTML)
//	GET /api/status           the same as / in JSON: a Status
//	GET /api/service?name=NAME  the same as /service in JSON: a ServiceStatusJSON
//
// / and /api/status take after=NAME (the page after that service) and
// limit=N (at most MaxStatusPage); /service and /api/service take
// after=ID (the workers after that id). The pages refresh themselves every
// statusRefresh and use no JavaScript.

// statusRefresh is how often the HTML pages reload themselves.
const statusRefresh = 5 * time.Second

// ServiceStatusJSON is /api/service's answer.
type ServiceStatusJSON struct {
	Service StatusService `json:"service"`
	Workers []MMIWorker   `json:"workers"`        // as mmi.workers lists them
	Next    string        `json:"next,omitempty"` // the next page's query (after=ID&name=NAME), "" on the last
}

func statusHandlers(mux *http.ServeMux, b *Broker) {
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		if st, ok := statusFor(w, r, b); ok {
			render(w, overviewPage, st)
		}
	})
	mux.HandleFunc("GET /api/status", func(w http.ResponseWriter, r *http.Request) {
		if st, ok := statusFor(w, r, b); ok {
			writeJSON(w, st)
		}
	})
	mux.HandleFunc("GET /service", func(w http.ResponseWriter, r *http.Request) {
		if st, ok := serviceFor(w, r, b); ok {
			render(w, servicePage, st)
		}
	})
	mux.HandleFunc("GET /api/service", func(w http.ResponseWriter, r *http.Request) {
		if st, ok := serviceFor(w, r, b); ok {
			writeJSON(w, st)
		}
	})
}

// statusFor answers the query's page of the broker's status, or writes
// the error and returns false.
func statusFor(w http.ResponseWriter, r *http.Request, b *Broker) (Status, bool) {
	q := r.URL.Query()
	limit := DefaultStatusPage
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			http.Error(w, fmt.Sprintf("limit %q: want a whole number from 1 to %d", s, MaxStatusPage), http.StatusBadRequest)
			return Status{}, false
		}
		limit = n
	}
	snap, err := adminSnapshot(r, b)
	if err != nil {
		http.Error(w, err.Error(), http.StatusServiceUnavailable)
		return Status{}, false
	}
	return snap.StatusPage(q.Get("after"), limit), true
}

// serviceFor answers the service of the query, or writes the error and
// returns false.
func serviceFor(w http.ResponseWriter, r *http.Request, b *Broker) (ServiceStatusJSON, bool) {
	q := r.URL.Query()
	if !q.Has("name") {
		http.Error(w, "name: missing (service?name=NAME)", http.StatusBadRequest)
		return ServiceStatusJSON{}, false
	}
	ctx, cancel := context.WithTimeout(r.Context(), adminTimeout)
	defer cancel()
	name := q.Get("name")
	st, err := b.ServiceStatus(ctx, name, q.Get("after"))
	switch {
	case errors.Is(err, ErrNoService):
		http.Error(w, "no such service: "+PrintableName(name), http.StatusNotFound)
		return ServiceStatusJSON{}, false
	case err != nil:
		http.Error(w, err.Error(), http.StatusServiceUnavailable)
		return ServiceStatusJSON{}, false
	}
	out := ServiceStatusJSON{Service: statusService(st.Service), Workers: st.Workers}
	if out.Workers == nil {
		out.Workers = []MMIWorker{}
	}
	if st.More {
		out.Next = url.Values{"name": {name}, "after": {st.Workers[len(st.Workers)-1].ID}}.Encode()
	}
	return out, true
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}
