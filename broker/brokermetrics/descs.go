package brokermetrics

import "github.com/prometheus/client_golang/prometheus"

func desc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc(name, help, labels, nil)
}

// The families with labels. Their names are those of the broker's former
// hand-written exposition; mdbroker_requests_total's outcome worker_error
// is now worker_error_4xx and worker_error_5xx.
var (
	requestsDesc = desc("mdbroker_requests_total",
		"Client requests by service and how they ended (answered, worker_error_4xx, worker_error_5xx, expired, rejected, failed).",
		"service", "outcome")
	latencyDesc = desc("mdbroker_request_duration_seconds",
		"Time from accepting a request to its final reply, every service.")
	serviceLatencyDesc = desc("mdbroker_service_request_duration_seconds",
		"Time from accepting a request to its final reply, by service.", "service")
	queueDepthDesc  = desc("mdbroker_queue_depth", "Requests waiting in a service's queue.", "service")
	queueBytesDesc  = desc("mdbroker_queue_bytes", "Bytes of the requests waiting in a service's queue.", "service")
	workersDesc     = desc("mdbroker_workers", "Registered workers by service and state.", "service", "state")
	modeDesc        = desc("mdbroker_service_mode", "1 for the mode a service has: overflow, strict or exclusive.", "service", "mode")
	activationsDesc = desc("mdbroker_service_activations_total",
		"Exclusive services: how often a worker became the active one.", "service")
	tierWorkersDesc = desc("mdbroker_tier_workers",
		"Registered workers by service, tier and state (active and standby: exclusive services; idle and busy: the others).",
		"service", "tier", "state")
	buildInfoDesc = desc("mdbroker_build_info", "The broker's version (broker.Version, the module version of its build) and its build line.",
		"version", "build")
)

// The broker-wide gauges.
var (
	queuedDesc    = desc("mdbroker_requests_queued", "Requests waiting in every queue.")
	inFlightDesc  = desc("mdbroker_requests_in_flight", "Requests held by workers.")
	servicesDesc  = desc("mdbroker_services", "Services the broker knows.")
	unlistedDesc  = desc("mdbroker_services_unlisted", "Services left out of the per-service series (see broker.MaxMetricServices).")
	drainingDesc  = desc("mdbroker_draining", "1 while the broker shuts down gracefully.")
	clientsDesc   = desc("mdbroker_clients_seen", "Client connections that sent a request within the last minute.")
	startTimeDesc = desc("mdbroker_start_time_seconds", "When the broker was made, in seconds since the Unix epoch.")
)

// allDescs lists every family, for Describe.
func allDescs() []*prometheus.Desc {
	d := []*prometheus.Desc{requestsDesc, latencyDesc, serviceLatencyDesc, queueDepthDesc, queueBytesDesc, workersDesc,
		modeDesc, activationsDesc, tierWorkersDesc, buildInfoDesc, queuedDesc, inFlightDesc, servicesDesc, unlistedDesc,
		drainingDesc, startTimeDesc, clientsDesc}
	for _, c := range counterRows {
		d = append(d, c.desc)
	}
	return d
}
