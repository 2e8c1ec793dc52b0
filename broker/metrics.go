package broker

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// The broker's figures reach Prometheus through package
// broker/brokermetrics, a client_golang Collector over Snapshot, so that a
// program that embeds the broker without Prometheus does not link
// client_golang. What follows is what any exporter of a Snapshot needs:
// the bounds on series and a printable form of names.

// MaxMetricServices bounds how many services get their own series: any
// client can name a service, and made-up names must not flood a scrape.
const MaxMetricServices = 1000

// MaxMetricTiers bounds the tiers per service that get their own series
// (the best ones); the per-service worker counts still count every worker.
const MaxMetricTiers = 16

// ListedServices picks the services an exporter lists by name: all of
// them up to MaxMetricServices; past that, those with workers first, then
// the longest queues, MaxMetricServices in all, in name order.
func (s Snapshot) ListedServices() []ServiceSnapshot {
	all := s.Services
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

// PrintableName makes a service name, which may be any bytes, valid UTF-8,
// one to one: each byte that is not UTF-8 becomes the text \xNN and a
// backslash becomes \\, so that distinct names stay distinct (the byte 0xff
// is \xff, the four characters \xff are \\xff). Prometheus label values and
// the status page show names in this form.
func PrintableName(s string) string {
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
