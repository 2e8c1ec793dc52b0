package broker

import (
	"fmt"
	"io"
	"net/http/httptest"
	"testing"
)

// BenchmarkStatusPageRender is the HTML of a full page (MaxStatusPage
// services, two tiers each) from a snapshot: the cost outside the loop.
func BenchmarkStatusPageRender(b *testing.B) {
	var snap Snapshot
	for i := range MaxStatusPage {
		snap.Services = append(snap.Services, ServiceSnapshot{Name: fmt.Sprintf("service-%04d", i), Mode: "overflow",
			Workers: 2, Idle: 2, Tiers: []TierSnapshot{{Level: 1, Workers: 1, Idle: 1}, {Level: 2, Workers: 1, Idle: 1}}})
	}
	var size int
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		render(rec, overviewPage, snap.StatusPage("", MaxStatusPage))
		size = rec.Body.Len()
		io.Copy(io.Discard, rec.Body)
	}
	b.ReportMetric(float64(size), "bytes/page")
}
