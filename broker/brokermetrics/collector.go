package brokermetrics

import (
	"context"
	"strconv"
	"time"

	"github.com/majordomo-go/majordomo/broker"
	"github.com/majordomo-go/majordomo/internal/version"
	"github.com/prometheus/client_golang/prometheus"
)

// Source is what the Collector reads: *broker.Broker is one.
type Source interface {
	Snapshot(ctx context.Context) (broker.Snapshot, error)
}

// DefaultTimeout bounds how long a scrape waits for the broker's loop.
const DefaultTimeout = 2 * time.Second

// Collector is a prometheus.Collector of one broker's figures. It is safe
// for concurrent use.
type Collector struct {
	src     Source
	timeout time.Duration
	build   string
}

// Option tunes a Collector.
type Option func(*Collector)

// WithTimeout sets how long a scrape waits for a snapshot (DefaultTimeout
// when d <= 0).
func WithTimeout(d time.Duration) Option {
	return func(c *Collector) {
		if d > 0 {
			c.timeout = d
		}
	}
}

// NewCollector returns a Collector of src's figures.
func NewCollector(src Source, opts ...Option) *Collector {
	c := &Collector{src: src, timeout: DefaultTimeout, build: version.Read().String()}
	for _, o := range opts {
		o(c)
	}
	return c
}

// Describe sends every family the Collector can produce.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range allDescs() {
		ch <- d
	}
}

// Collect takes one snapshot and sends its metrics; when the broker does
// not answer, it sends an invalid metric, which fails the scrape.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	snap, err := c.src.Snapshot(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(servicesDesc, err)
		return
	}
	c.collect(snap, ch)
}

// collect turns a snapshot into metrics.
func (c *Collector) collect(s broker.Snapshot, ch chan<- prometheus.Metric) {
	listed := s.ListedServices()
	for _, svc := range listed {
		serviceMetrics(svc, ch)
	}
	ch <- histogram(latencyDesc, s.Latency)
	gauge(ch, queuedDesc, float64(s.Queued))
	gauge(ch, inFlightDesc, float64(s.InFlight))
	gauge(ch, servicesDesc, float64(len(s.Services)))
	gauge(ch, unlistedDesc, float64(len(s.Services)-len(listed)))
	gauge(ch, drainingDesc, boolValue(s.Draining))
	gauge(ch, clientsDesc, float64(s.ClientsSeen))
	if !s.Started.IsZero() {
		gauge(ch, startTimeDesc, float64(s.Started.UnixNano())/1e9)
	}
	for _, row := range counterRows {
		ch <- prometheus.MustNewConstMetric(row.desc, prometheus.CounterValue, float64(row.get(s.Counters)))
	}
	gauge(ch, buildInfoDesc, 1, broker.Version, c.build)
}

// serviceMetrics sends one service's series.
func serviceMetrics(svc broker.ServiceSnapshot, ch chan<- prometheus.Metric) {
	name := broker.PrintableName(svc.Name)
	o := svc.Outcomes
	for _, row := range []struct {
		outcome string
		n       uint64
	}{
		{"answered", o.Answered}, {"worker_error_4xx", o.Errors4xx}, {"worker_error_5xx", o.Errors5xx},
		{"expired", o.Expired}, {"rejected", o.Rejected}, {"failed", o.Failed},
	} {
		ch <- prometheus.MustNewConstMetric(requestsDesc, prometheus.CounterValue, float64(row.n), name, row.outcome)
	}
	ch <- histogram(serviceLatencyDesc, svc.Latency, name)
	gauge(ch, queueDepthDesc, float64(svc.Queued), name)
	gauge(ch, queueBytesDesc, float64(svc.QueuedBytes), name)
	gauge(ch, workersDesc, float64(svc.Idle), name, "idle")
	gauge(ch, workersDesc, float64(svc.Busy), name, "busy")
	gauge(ch, workersDesc, float64(svc.Draining), name, "draining")
	gauge(ch, modeDesc, 1, name, svc.Mode)
	if svc.Mode == "exclusive" {
		ch <- prometheus.MustNewConstMetric(activationsDesc, prometheus.CounterValue, float64(svc.Activations), name)
	}
	for _, t := range svc.Tiers[:min(len(svc.Tiers), broker.MaxMetricTiers)] {
		tier := strconv.Itoa(int(t.Level))
		states := []struct {
			state string
			n     int
		}{{"idle", t.Idle}, {"busy", t.Busy}, {"draining", t.Draining}}
		if svc.Mode == "exclusive" {
			states[0].state, states[0].n, states[1].state, states[1].n = "active", t.Active, "standby", t.Standby
		}
		for _, st := range states {
			gauge(ch, tierWorkersDesc, float64(st.n), name, tier, st.state)
		}
	}
}

// histogram makes a const histogram of h: cumulative buckets in seconds;
// the +Inf bucket is the count, which client_golang adds.
func histogram(d *prometheus.Desc, h broker.HistogramSnapshot, labels ...string) prometheus.Metric {
	buckets := make(map[float64]uint64, len(h.Bounds))
	var cum uint64
	for i, bound := range h.Bounds {
		if i < len(h.Counts) {
			cum += h.Counts[i]
		}
		buckets[bound.Seconds()] = cum
	}
	return prometheus.MustNewConstHistogram(d, h.Count, h.Sum.Seconds(), buckets, labels...)
}

func gauge(ch chan<- prometheus.Metric, d *prometheus.Desc, v float64, labels ...string) {
	ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
