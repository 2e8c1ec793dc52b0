package main

import (
	"net/http"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// scrapeMetrics gets the admin server's /metrics and parses it with the
// Prometheus text parser.
func scrapeMetrics(t *testing.T, admin string) map[string]*dto.MetricFamily {
	t.Helper()
	code, body := httpGet(t, admin, "/metrics")
	if code != http.StatusOK {
		t.Fatalf("/metrics: %d %s", code, body)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("/metrics does not parse: %v", err)
	}
	return fams
}

// metricValue is the value of the sample of family name with exactly the
// labels given (name, value pairs), and whether there is one. A
// histogram's value is its count.
func metricValue(t *testing.T, admin, name string, pairs ...string) (float64, bool) {
	t.Helper()
	fam := scrapeMetrics(t, admin)[name]
	if fam == nil {
		return 0, false
	}
	for _, m := range fam.Metric {
		if len(m.Label)*2 != len(pairs) {
			continue
		}
		match := true
		for _, l := range m.Label {
			found := false
			for i := 0; i+1 < len(pairs); i += 2 {
				found = found || (pairs[i] == l.GetName() && pairs[i+1] == l.GetValue())
			}
			match = match && found
		}
		if !match {
			continue
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue(), true
		case m.Gauge != nil:
			return m.Gauge.GetValue(), true
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount()), true
		}
		return m.GetUntyped().GetValue(), true
	}
	return 0, false
}

// metricIs reports whether the sample exists and has value want.
func metricIs(t *testing.T, admin string, want float64, name string, pairs ...string) bool {
	t.Helper()
	v, ok := metricValue(t, admin, name, pairs...)
	return ok && v == want
}
