package brokermetrics_test

import (
	"log"
	"net/http"

	"github.com/majordomo-go/majordomo/broker"
	"github.com/majordomo-go/majordomo/broker/brokermetrics"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// A program that embeds the broker registers its Collector in the
// program's own registry, beside its own metrics.
func ExampleNewCollector() {
	b, err := broker.New(broker.DefaultConfig())
	if err != nil {
		log.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(brokermetrics.NewCollector(b))
	mux := broker.AdminHandler(b) // the status page and probes
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	go http.ListenAndServe("127.0.0.1:9555", mux)
	// ... b.Run(ctx)
}
