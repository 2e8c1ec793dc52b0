package brokermetrics

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// NewRegistry returns a registry holding a Collector of src and the
// standard process_* and go_* collectors: what mdbroker serves.
func NewRegistry(src Source, opts ...Option) *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(NewCollector(src, opts...),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewGoCollector())
	return reg
}

// Handler serves g's metrics in the format the scraper asks for (the
// Prometheus text format by default). A scrape whose gathering fails (the
// broker did not answer) gets 500 and the error, never partial numbers.
func Handler(g prometheus.Gatherer) http.Handler {
	return promhttp.HandlerFor(g, promhttp.HandlerOpts{ErrorHandling: promhttp.HTTPErrorOnError})
}
