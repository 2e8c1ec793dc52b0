package broker

import (
	"bufio"
	"cmp"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// WritePrometheus writes the snapshot in the Prometheus text exposition
// format (version 0.0.4). Per-service series disappear when the broker
// forgets an idle service; Prometheus treats their return as a counter
// reset, which rate() handles.
//
// Any client can name a service, so the per-service series are bounded:
// every service with a worker is listed, then those with the longest
// queues up to MaxMetricServices in all; mdbroker_services_unlisted counts
// the rest, whose requests still count in the broker-wide series.
func (s Snapshot) WritePrometheus(w io.Writer) error {
	p := promWriter{w: bufio.NewWriter(w)}
	listed := metricServices(s.Services)
	p.outcomes(listed)
	p.latency(s.Latency)
	p.family("mdbroker_queue_depth", "gauge", "Requests waiting in a service's queue.")
	for _, svc := range listed {
		p.sample("mdbroker_queue_depth", labels("service", svc.Name), float64(svc.Queued))
	}
	p.family("mdbroker_queue_bytes", "gauge", "Bytes of the requests waiting in a service's queue.")
	for _, svc := range listed {
		p.sample("mdbroker_queue_bytes", labels("service", svc.Name), float64(svc.QueuedBytes))
	}
	p.workers(listed)
	p.tiers(listed)
	p.gauge("mdbroker_requests_queued", "Requests waiting in every queue.", float64(s.Queued))
	p.gauge("mdbroker_requests_in_flight", "Requests held by workers.", float64(s.InFlight))
	p.gauge("mdbroker_services", "Services the broker knows.", float64(len(s.Services)))
	p.gauge("mdbroker_services_unlisted", "Services left out of the per-service series (see MaxMetricServices).",
		float64(len(s.Services)-len(listed)))
	p.gauge("mdbroker_draining", "1 while the broker shuts down gracefully.", boolGauge(s.Draining))
	p.counters(s.Counters)
	p.family("mdbroker_build_info", "gauge", "The broker's version.")
	p.sample("mdbroker_build_info", labels("version", Version), 1)
	if p.err != nil {
		return p.err
	}
	return p.w.Flush()
}

// MaxMetricServices bounds how many services get their own series.
const MaxMetricServices = 1000

// metricServices picks the services listed by name: all with workers, then
// the longest queues, at most MaxMetricServices, in name order.
func metricServices(all []ServiceSnapshot) []ServiceSnapshot {
	if len(all) <= MaxMetricServices {
		return all
	}
	ranked := slices.Clone(all)
	slices.SortStableFunc(ranked, func(a, b ServiceSnapshot) int {
		if (a.Workers > 0) != (b.Workers > 0) {
			if a.Workers > 0 {
				return -1
			}
			return 1
		}
		return cmp.Compare(b.Queued, a.Queued)
	})
	ranked = ranked[:MaxMetricServices]
	slices.SortFunc(ranked, func(a, b ServiceSnapshot) int { return strings.Compare(a.Name, b.Name) })
	return ranked
}

func (p *promWriter) outcomes(services []ServiceSnapshot) {
	p.family("mdbroker_requests_total", "counter", "Client requests by service and how they ended.")
	for _, svc := range services {
		o := svc.Outcomes
		for _, row := range []struct {
			outcome string
			n       uint64
		}{
			{"answered", o.Answered}, {"worker_error", o.WorkerErrors}, {"expired", o.Expired},
			{"rejected", o.Rejected}, {"failed", o.Failed},
		} {
			p.sample("mdbroker_requests_total", labels("service", svc.Name, "outcome", row.outcome), float64(row.n))
		}
	}
}

func (p *promWriter) latency(h HistogramSnapshot) {
	const name = "mdbroker_request_duration_seconds"
	p.family(name, "histogram", "Time from accepting a request to its final reply.")
	var cum uint64
	for i, bound := range h.Bounds {
		cum += h.Counts[i]
		p.sample(name+"_bucket", labels("le", formatFloat(bound.Seconds())), float64(cum))
	}
	for _, n := range h.Counts[len(h.Bounds):] {
		cum += n
	}
	p.sample(name+"_bucket", labels("le", "+Inf"), float64(cum))
	p.sample(name+"_sum", "", h.Sum.Seconds())
	p.sample(name+"_count", "", float64(cum))
}

func (p *promWriter) workers(services []ServiceSnapshot) {
	p.family("mdbroker_workers", "gauge", "Registered workers by service and state.")
	for _, svc := range services {
		p.sample("mdbroker_workers", labels("service", svc.Name, "state", "idle"), float64(svc.Idle))
		p.sample("mdbroker_workers", labels("service", svc.Name, "state", "busy"), float64(svc.Busy))
		p.sample("mdbroker_workers", labels("service", svc.Name, "state", "draining"), float64(svc.Draining))
	}
}

// MaxMetricTiers bounds the tiers per service that get their own series
// (the best ones); mdbroker_workers still counts every worker.
const MaxMetricTiers = 16

// tiers writes each listed service's mode, exclusive activations and
// workers by tier and state.
func (p *promWriter) tiers(services []ServiceSnapshot) {
	p.family("mdbroker_service_mode", "gauge", "1 for the mode a service has: overflow, strict or exclusive.")
	for _, svc := range services {
		p.sample("mdbroker_service_mode", labels("service", svc.Name, "mode", svc.Mode), 1)
	}
	p.family("mdbroker_service_activations_total", "counter", "Exclusive services: how often a worker became the active one.")
	for _, svc := range services {
		if svc.Mode == "exclusive" {
			p.sample("mdbroker_service_activations_total", labels("service", svc.Name), float64(svc.Activations))
		}
	}
	p.family("mdbroker_tier_workers", "gauge", "Registered workers by service, tier and state (active and standby: exclusive services; idle and busy: the others).")
	for _, svc := range services {
		for _, t := range svc.Tiers[:min(len(svc.Tiers), MaxMetricTiers)] {
			tier := strconv.Itoa(int(t.Level))
			states := []tierState{{"idle", t.Idle}, {"busy", t.Busy}, {"draining", t.Draining}}
			if svc.Mode == "exclusive" {
				states = []tierState{{"active", t.Active}, {"standby", t.Standby}, {"draining", t.Draining}}
			}
			for _, st := range states {
				p.sample("mdbroker_tier_workers", labels("service", svc.Name, "tier", tier, "state", st.name), float64(st.n))
			}
		}
	}
}

type tierState struct {
	name string
	n    int
}

func (p *promWriter) counters(c Counters) {
	for _, row := range []struct {
		name, help string
		n          uint64
	}{
		{"mdbroker_client_requests_total", "Client requests received, MMI included.", c.Requests},
		{"mdbroker_mmi_requests_total", "MMI queries answered.", c.MMI},
		{"mdbroker_malformed_messages_total", "Invalid messages dropped.", c.Malformed},
		{"mdbroker_rejected_requests_total", "Requests refused at once (overloaded, too large, no such service, shutting down).", c.Rejected},
		{"mdbroker_plain_dropped_total", "Requests of plain clients dropped because plain MDP cannot carry the error.", c.PlainDropped},
		{"mdbroker_duplicate_requests_total", "Retries of a queued or in-flight request, not queued again.", c.Duplicates},
		{"mdbroker_reply_cache_hits_total", "Retries of an answered request, answered from the reply cache.", c.CacheHits},
		{"mdbroker_stale_replies_total", "Late worker replies for a request that expired while the worker held it, dropped.", c.StaleReplies},
		{"mdbroker_foreign_replies_total", "Worker replies naming a request the worker does not hold: dropped, worker disconnected.", c.ForeignReplies},
		{"mdbroker_expired_held_requests_total", "Requests whose deadline passed while a worker held them (504).", c.ExpiredHeld},
		{"mdbroker_bad_worker_status_total", "Worker errors with a status outside 400-599, sent to the client as 500.", c.BadStatus},
		{"mdbroker_oversize_messages_total", "Messages over the broker's byte or frame bound, dropped without being buffered.", c.TooLarge},
		{"mdbroker_requeued_requests_total", "Requests handed back by a worker that died or left.", c.Requeued},
		{"mdbroker_unknown_worker_messages_total", "Worker commands from a peer that is not registered.", c.UnknownWorker},
		{"mdbroker_protocol_violations_total", "Workers disconnected for a protocol violation.", c.Violations},
		{"mdbroker_workers_registered_total", "Workers that registered.", c.WorkersRegistered},
		{"mdbroker_workers_expired_total", "Workers expired after heartbeat silence.", c.WorkersExpired},
		{"mdbroker_send_errors_total", "Messages the socket could not send (peer gone or full).", c.SendErrors},
		{"mdbroker_internal_errors_total", "Broker bugs caught; should stay 0.", c.Internal},
		{"mdbroker_mode_conflicts_total", "Workers refused for declaring a mode other than their service's, or a tier over its max tier.", c.ModeConflicts},
		{"mdbroker_handovers_total", "Hand-overs of an exclusive service asked for.", c.Handovers},
	} {
		p.family(row.name, "counter", row.help)
		p.sample(row.name, "", float64(row.n))
	}
}

// promWriter remembers the first write error, so the writers above stay
// straight-line.
type promWriter struct {
	w   *bufio.Writer
	err error
}

func (p *promWriter) family(name, kind, help string) {
	p.printf("# HELP %s %s\n# TYPE %s %s\n", name, help, name, kind)
}

func (p *promWriter) gauge(name, help string, v float64) {
	p.family(name, "gauge", help)
	p.sample(name, "", v)
}

func (p *promWriter) sample(name, labels string, v float64) {
	p.printf("%s%s %s\n", name, labels, formatFloat(v))
}

func (p *promWriter) printf(format string, args ...any) {
	if p.err == nil {
		_, p.err = fmt.Fprintf(p.w, format, args...)
	}
}

// labels renders name/value pairs as {a="x",b="y"}, escaped as the
// exposition format asks.
func labels(pairs ...string) string {
	var b strings.Builder
	b.WriteByte('{')
	for i := 0; i+1 < len(pairs); i += 2 {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(pairs[i])
		b.WriteString(`="`)
		b.WriteString(labelEscaper.Replace(printableUTF8(pairs[i+1])))
		b.WriteByte('"')
	}
	b.WriteByte('}')
	return b.String()
}

// printableUTF8 makes a service name, which may be any bytes, a valid UTF-8
// label value, one to one: each byte that is not UTF-8 becomes the text
// \xNN and a backslash becomes \\, so that distinct names stay distinct
// (the byte 0xff is \xff, the four characters \xff are \\xff).
func printableUTF8(s string) string {
	if utf8.ValidString(s) && !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, "\\x%02x", s[i])
		case r == '\\':
			b.WriteString(`\\`)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

var labelEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)

func formatFloat(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

func boolGauge(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
