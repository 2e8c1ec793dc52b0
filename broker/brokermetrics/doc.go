// Package brokermetrics exports a majordomo broker's figures to Prometheus
// through client_golang: a Collector that takes one broker.Snapshot per
// scrape and turns it into metrics. It lives apart from package broker so
// that a program embedding the broker without Prometheus does not link
// client_golang.
//
// Register the Collector in your own registry:
//
//	reg := prometheus.NewRegistry()
//	reg.MustRegister(brokermetrics.NewCollector(b))
//	http.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
//
// or take NewRegistry (the Collector with the standard process_* and go_*
// collectors, as mdbroker serves it) and Handler.
//
// Guarantees: the Collector is safe for concurrent use and checked (every
// family is described); a scrape costs the broker's loop one Snapshot,
// copied a chunk of services per turn; per-service series are bounded by
// broker.MaxMetricServices and per-tier series by broker.MaxMetricTiers,
// whatever names clients make up; service names, which may be any bytes,
// become label values by broker.PrintableName, one to one. A scrape when
// the broker does not answer (not running, or its loop stalled past the
// timeout) fails with an error rather than showing stale numbers.
package brokermetrics
