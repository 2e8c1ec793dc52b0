package brokermetrics

import (
	"github.com/majordomo-go/majordomo/broker"
	"github.com/prometheus/client_golang/prometheus"
)

// counterRow is one broker-wide counter and where it is in the snapshot.
type counterRow struct {
	desc *prometheus.Desc
	get  func(broker.Counters) uint64
}

func counter(name, help string, get func(broker.Counters) uint64) counterRow {
	return counterRow{desc(name, help), get}
}

var counterRows = []counterRow{
	counter("mdbroker_client_requests_total", "Client requests received, MMI included.",
		func(c broker.Counters) uint64 { return c.Requests }),
	counter("mdbroker_mmi_requests_total", "MMI queries answered.", func(c broker.Counters) uint64 { return c.MMI }),
	counter("mdbroker_malformed_messages_total", "Invalid messages dropped.",
		func(c broker.Counters) uint64 { return c.Malformed }),
	counter("mdbroker_rejected_requests_total",
		"Requests refused at once (overloaded, too large, no such service, shutting down).",
		func(c broker.Counters) uint64 { return c.Rejected }),
	counter("mdbroker_plain_dropped_total",
		"Requests of plain clients dropped because plain MDP cannot carry the error.",
		func(c broker.Counters) uint64 { return c.PlainDropped }),
	counter("mdbroker_duplicate_requests_total", "Retries of a queued or in-flight request, not queued again.",
		func(c broker.Counters) uint64 { return c.Duplicates }),
	counter("mdbroker_reply_cache_hits_total", "Retries of an answered request, answered from the reply cache.",
		func(c broker.Counters) uint64 { return c.CacheHits }),
	counter("mdbroker_cancelled_requests_total", "Queued requests withdrawn by their client (XCANCEL).",
		func(c broker.Counters) uint64 { return c.Cancelled }),
	counter("mdbroker_ignored_cancels_total",
		"XCANCELs for a request not queued here (in flight, answered, unknown) or from another identity.",
		func(c broker.Counters) uint64 { return c.CancelsIgnored }),
	counter("mdbroker_stale_replies_total",
		"Late worker replies for a request that expired while the worker held it, dropped.",
		func(c broker.Counters) uint64 { return c.StaleReplies }),
	counter("mdbroker_foreign_replies_total",
		"Worker replies naming a request the worker does not hold: dropped, worker disconnected.",
		func(c broker.Counters) uint64 { return c.ForeignReplies }),
	counter("mdbroker_expired_held_requests_total", "Requests whose deadline passed while a worker held them (504).",
		func(c broker.Counters) uint64 { return c.ExpiredHeld }),
	counter("mdbroker_bad_worker_status_total", "Worker errors with a status outside 400-599, sent to the client as 500.",
		func(c broker.Counters) uint64 { return c.BadStatus }),
	counter("mdbroker_oversize_messages_total",
		"Messages over the broker's byte or frame bound, dropped without being buffered.",
		func(c broker.Counters) uint64 { return c.TooLarge }),
	counter("mdbroker_requeued_requests_total", "Requests handed back by a worker that died or left.",
		func(c broker.Counters) uint64 { return c.Requeued }),
	counter("mdbroker_unknown_worker_messages_total", "Worker commands from a peer that is not registered.",
		func(c broker.Counters) uint64 { return c.UnknownWorker }),
	counter("mdbroker_protocol_violations_total", "Workers disconnected for a protocol violation.",
		func(c broker.Counters) uint64 { return c.Violations }),
	counter("mdbroker_workers_registered_total", "Workers that registered.",
		func(c broker.Counters) uint64 { return c.WorkersRegistered }),
	counter("mdbroker_workers_expired_total", "Workers expired after heartbeat silence.",
		func(c broker.Counters) uint64 { return c.WorkersExpired }),
	counter("mdbroker_send_errors_total", "Messages the socket could not send (peer gone or full).",
		func(c broker.Counters) uint64 { return c.SendErrors }),
	counter("mdbroker_internal_errors_total", "Broker bugs caught; should stay 0.",
		func(c broker.Counters) uint64 { return c.Internal }),
	counter("mdbroker_mode_conflicts_total",
		"Workers refused for declaring a mode other than their service's, or a tier over its max tier.",
		func(c broker.Counters) uint64 { return c.ModeConflicts }),
	counter("mdbroker_handovers_total", "Hand-overs of an exclusive service asked for.",
		func(c broker.Counters) uint64 { return c.Handovers }),
	counter("mdbroker_received_messages_total", "Messages the broker's loop took from its socket.",
		func(c broker.Counters) uint64 { return c.Received }),
	counter("mdbroker_handshakes_accepted_total", "CURVE handshakes the broker's ZAP handler let in.",
		func(c broker.Counters) uint64 { return c.HandshakesAccepted }),
	counter("mdbroker_handshakes_refused_total", "CURVE handshakes refused: a key the access policy does not list.",
		func(c broker.Counters) uint64 { return c.HandshakesRefused }),
	counter("mdbroker_access_refused_total", "Requests and MMI queries refused by the access policy.",
		func(c broker.Counters) uint64 { return c.AccessRefused }),
	counter("mdbroker_ready_refused_total", "Workers refused at READY by the access policy.",
		func(c broker.Counters) uint64 { return c.ReadyRefused }),
	counter("mdbroker_access_revoked_total", "Workers disconnected because a new access policy no longer lets them serve.",
		func(c broker.Counters) uint64 { return c.AccessRevoked }),
	counter("mdbroker_access_reloads_total", "Access policies installed at run time.",
		func(c broker.Counters) uint64 { return c.AccessReloads }),
	counter("mdbroker_access_reload_errors_total", "Policy files that could not be read or parsed at a reload; the old policy stayed.",
		func(c broker.Counters) uint64 { return c.AccessReloadErrors }),
	counter("mdbroker_limited_requests_total", "Requests refused by a per-connection in-flight or rate limit.",
		func(c broker.Counters) uint64 { return c.Limited }),
}
