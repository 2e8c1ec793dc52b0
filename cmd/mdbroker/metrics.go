package main

import (
	"bytes"
	"net/http"

	"github.com/majordomo-go/majordomo/broker"
	"github.com/majordomo-go/majordomo/broker/brokermetrics"
	"github.com/majordomo-go/majordomo/titanic"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// adminHandler is the broker's admin mux with /metrics: the broker's
// Collector, the process_* and go_* collectors and, when Titanic runs
// beside the broker, Titanic's figures.
func adminHandler(b *broker.Broker, t *titanic.Server) http.Handler {
	mux := broker.AdminHandler(b)
	var g prometheus.Gatherer = brokermetrics.NewRegistry(b)
	if t != nil {
		g = prometheus.Gatherers{g, titanicGatherer{t}}
	}
	mux.Handle("GET /metrics", brokermetrics.Handler(g))
	return mux
}

// titanicGatherer reads Titanic's own text exposition back into metric
// families, so that its figures join the registry's in whatever format the
// scraper asks for.
type titanicGatherer struct{ t *titanic.Server }

func (g titanicGatherer) Gather() ([]*dto.MetricFamily, error) {
	var buf bytes.Buffer
	if err := g.t.Stats().WritePrometheus(&buf); err != nil {
		return nil, err
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(&buf)
	if err != nil {
		return nil, err
	}
	out := make([]*dto.MetricFamily, 0, len(fams))
	for _, f := range fams {
		out = append(out, f)
	}
	return out, nil
}
