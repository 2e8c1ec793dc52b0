package broker

import (
	"net/url"
	"sort"
	"strconv"
	"time"

	"github.com/majordomo-go/majordomo/internal/version"
)

// Status is what the admin server's status page shows and /api/status
// serves as JSON: the broker and one page of its services in name order.
// Names are in PrintableName form (any byte that is not UTF-8 as \xNN, a
// backslash as \\); Href is the service's own page, its name query-escaped.
type Status struct {
	Version      string    `json:"version"` // the broker's version (broker.Version: the module version of its build)
	Build        string    `json:"build"`   // the module version and commit of this binary's build
	Taken        time.Time `json:"taken"`
	Started      time.Time `json:"started"`
	UptimeS      float64   `json:"uptime_s"`
	Draining     bool      `json:"draining"`
	ServiceCount int       `json:"service_count"` // all the broker knows, listed here or not
	Queued       int       `json:"queued"`
	InFlight     int       `json:"in_flight"`
	// ClientsSeen: client connections (ROUTER identities) that sent a
	// request within the last ClientsSeenS seconds, at most
	// MaxTrackedClients.
	ClientsSeen  int             `json:"clients_seen"`
	ClientsSeenS int             `json:"clients_seen_window_s"`
	Security     StatusSecurity  `json:"security"`
	WindowS      int             `json:"window_s"` // the window of rate, p50 and p99: the last one to two of these
	Counters     StatusCounters  `json:"counters"`
	Services     []StatusService `json:"services"`
	Next         string          `json:"next,omitempty"` // the next page's query (after=NAME&limit=N), "" on the last
}

// StatusCounters are the broker-wide counts since start.
type StatusCounters struct {
	Requests          uint64 `json:"requests"`
	Rejected          uint64 `json:"rejected"`
	Malformed         uint64 `json:"malformed"`
	WorkersRegistered uint64 `json:"workers_registered"`
	WorkersExpired    uint64 `json:"workers_expired"`
	Violations        uint64 `json:"protocol_violations"`
	HandshakesRefused uint64 `json:"handshakes_refused"` // CURVE keys not in the access policy
	AccessRefused     uint64 `json:"access_refused"`     // requests and MMI queries refused by the policy
	ReadyRefused      uint64 `json:"ready_refused"`      // workers refused at READY by the policy
	AccessRevoked     uint64 `json:"access_revoked"`     // workers disconnected by a new policy
	Limited           uint64 `json:"limited"`            // requests over a per-connection limit
}

// StatusSecurity says how the broker's endpoints are protected.
type StatusSecurity struct {
	Curve       bool `json:"curve"`        // the endpoints are CURVE servers
	AccessKeys  int  `json:"access_keys"`  // keys in the access policy; 0: none (every key let in)
	AccessRules int  `json:"access_rules"` // its allow lines; 0: every listed key may do everything
}

// StatusService is one service's row.
type StatusService struct {
	Name        string       `json:"name"`
	Href        string       `json:"href"`
	Mode        string       `json:"mode"`
	Workers     int          `json:"workers"`
	Idle        int          `json:"idle"`
	Busy        int          `json:"busy"`
	Draining    int          `json:"draining"`
	Tiers       []MMITier    `json:"tiers"`
	Queued      int          `json:"queued"`
	QueuedBytes int64        `json:"queued_bytes"`
	InFlight    int          `json:"in_flight"`
	Requests    uint64       `json:"requests"`
	Answered    uint64       `json:"answered"`
	Errors      StatusErrors `json:"errors"`
	RatePerS    float64      `json:"rate_per_s"` // answered per second over the window
	P50Ms       float64      `json:"p50_ms"`     // bucket upper bounds; 0 with no answer in the window
	P99Ms       float64      `json:"p99_ms"`
}

// StatusErrors count a service's requests that did not end in an answer,
// by status.
type StatusErrors struct {
	Status4xx uint64 `json:"4xx"` // the worker said the request was wrong
	Status5xx uint64 `json:"5xx"` // the worker failed
	Failed    uint64 `json:"502"` // workers died or left holding it, MaxAttempts times
	Expired   uint64 `json:"504"` // the deadline passed first
	Rejected  uint64 `json:"503"` // refused at once: queue full, no such service
}

// Status pages: at most MaxStatusPage services each, DefaultStatusPage
// unless asked for another size.
const (
	MaxStatusPage     = 1000
	DefaultStatusPage = 100
)

// StatusPage builds the status of snap's services whose name comes after
// after, at most limit of them (DefaultStatusPage when limit <= 0, at most
// MaxStatusPage).
func (s Snapshot) StatusPage(after string, limit int) Status {
	if limit <= 0 {
		limit = DefaultStatusPage
	}
	limit = min(limit, MaxStatusPage)
	c := s.Counters
	st := Status{Version: Version, Build: version.Read().String(), Taken: s.Taken, Started: s.Started,
		UptimeS: s.Taken.Sub(s.Started).Seconds(), Draining: s.Draining, ServiceCount: len(s.Services),
		Queued: s.Queued, InFlight: s.InFlight, WindowS: int(StatsWindow / time.Second),
		ClientsSeen: s.ClientsSeen, ClientsSeenS: int(ClientSeenWindow / time.Second),
		Security: StatusSecurity{Curve: s.Curve, AccessKeys: s.AccessKeys, AccessRules: s.AccessRules},
		Counters: StatusCounters{Requests: c.Requests, Rejected: c.Rejected, Malformed: c.Malformed,
			WorkersRegistered: c.WorkersRegistered, WorkersExpired: c.WorkersExpired, Violations: c.Violations,
			HandshakesRefused: c.HandshakesRefused, AccessRefused: c.AccessRefused, ReadyRefused: c.ReadyRefused,
			AccessRevoked: c.AccessRevoked, Limited: c.Limited},
		Services: []StatusService{}}
	if s.Started.IsZero() {
		st.UptimeS = 0
	}
	from := sort.Search(len(s.Services), func(i int) bool { return s.Services[i].Name > after })
	page := s.Services[from:min(len(s.Services), from+limit)]
	for _, svc := range page {
		st.Services = append(st.Services, statusService(svc))
	}
	if from+limit < len(s.Services) {
		st.Next = url.Values{"after": {page[len(page)-1].Name}, "limit": {strconv.Itoa(limit)}}.Encode()
	}
	return st
}

func statusService(svc ServiceSnapshot) StatusService {
	o := svc.Outcomes
	row := StatusService{Name: PrintableName(svc.Name), Href: ServiceHref(svc.Name), Mode: svc.Mode,
		Workers: svc.Workers, Idle: svc.Idle, Busy: svc.Busy, Draining: svc.Draining, Tiers: make([]MMITier, 0, len(svc.Tiers)),
		Queued: svc.Queued, QueuedBytes: svc.QueuedBytes, InFlight: svc.InFlight, Requests: svc.Requests,
		Answered: o.Answered, Errors: StatusErrors{Status4xx: o.Errors4xx, Status5xx: o.Errors5xx, Failed: o.Failed,
			Expired: o.Expired, Rejected: o.Rejected},
		RatePerS: svc.Recent.Rate(), P50Ms: ms(svc.Recent.P50), P99Ms: ms(svc.Recent.P99)}
	for _, t := range svc.Tiers {
		row.Tiers = append(row.Tiers, MMITier{Tier: t.Level, Workers: t.Workers, Active: t.Active, Standby: t.Standby,
			Idle: t.Idle, Busy: t.Busy, Draining: t.Draining})
	}
	return row
}

// ServiceHref is the link to a service's page, relative to the admin
// server's root: its name, any bytes, query-escaped.
func ServiceHref(name string) string {
	return "service?" + url.Values{"name": {name}}.Encode()
}
