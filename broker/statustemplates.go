package broker

import (
	"bytes"
	"fmt"
	"html/template"
	"net/http"
	"strings"
	"time"
)

// render executes t into a buffer first, so that a failed execution is a
// 500 and never half a page.
func render(w http.ResponseWriter, t *template.Template, data any) {
	var buf bytes.Buffer
	if err := t.Execute(&buf, data); err != nil {
		http.Error(w, "status page: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write(buf.Bytes())
}

var pageFuncs = template.FuncMap{
	"refresh": func() int { return int(statusRefresh / time.Second) },
	"ms":      func(v float64) string { return cond(v > 0, fmt.Sprintf("%.3g ms", v), "–") },
	"window": func(s int) string {
		return fmt.Sprintf("%s to %s", time.Duration(s)*time.Second, 2*time.Duration(s)*time.Second)
	},
	"rate":   func(v float64) string { return fmt.Sprintf("%.2f/s", v) },
	"uptime": func(s float64) string { return (time.Duration(s) * time.Second).Round(time.Second).String() },
	"msdur":  func(v int64) string { return (time.Duration(v) * time.Millisecond).Round(time.Second).String() },
	"bytes":  humanBytes,
	"tiers":  tierSummary,
}

func cond(ok bool, yes, no string) string {
	if ok {
		return yes
	}
	return no
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// tierSummary writes a service's tiers as "1: 2 idle, 1 busy · 2: ...",
// leaving out states with no worker.
func tierSummary(tiers []MMITier) string {
	parts := make([]string, 0, len(tiers))
	for _, t := range tiers {
		var states []string
		for _, s := range []struct {
			name string
			n    int
		}{{"active", t.Active}, {"standby", t.Standby}, {"idle", t.Idle}, {"busy", t.Busy}, {"draining", t.Draining}} {
			if s.n > 0 {
				states = append(states, fmt.Sprintf("%d %s", s.n, s.name))
			}
		}
		parts = append(parts, fmt.Sprintf("tier %d: %s", t.Tier, strings.Join(states, ", ")))
	}
	return strings.Join(parts, " · ")
}

const pageHead = `{{define "head"}}<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="refresh" content="{{refresh}}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.}}</title>
<style>
body{font-family:system-ui,sans-serif;margin:1.5em;color:#222}
table{border-collapse:collapse;font-size:.9em}
th,td{border-bottom:1px solid #ddd;padding:.25em .45em;text-align:right;white-space:nowrap}
th{background:#f4f4f4}
td.l,th.l{text-align:left}
.err{color:#b00}
dl{display:grid;grid-template-columns:max-content auto;gap:.2em 1em}
dt{font-weight:bold}
</style></head><body>{{end}}`

var overviewPage = template.Must(template.New("overview").Funcs(pageFuncs).Parse(pageHead + `
{{template "head" "majordomo broker"}}
<h1>majordomo broker</h1>
<dl>
<dt>Version</dt><dd>{{.Version}} (build {{.Build}})</dd>
<dt>Uptime</dt><dd>{{uptime .UptimeS}} (since {{.Started.UTC.Format "2006-01-02 15:04:05 UTC"}})</dd>
<dt>State</dt><dd>{{if .Draining}}<span class="err">draining</span>{{else}}running{{end}}</dd>
<dt>Services</dt><dd>{{.ServiceCount}}</dd>
<dt>Requests</dt><dd>{{.Queued}} queued, {{.InFlight}} in flight, {{.Counters.Requests}} received, {{.Counters.Rejected}} rejected, {{.Counters.Malformed}} malformed</dd>
<dt>Workers</dt><dd>{{.Counters.WorkersRegistered}} registered, {{.Counters.WorkersExpired}} expired, {{.Counters.Violations}} disconnected for violations</dd>
<dt>Clients</dt><dd>{{.ClientsSeen}} connections sent a request in the last {{window .ClientsSeenS}}; {{.Counters.Limited}} requests over a per-connection limit</dd>
<dt>Security</dt><dd>{{if .Security.Curve}}CURVE, {{if .Security.AccessKeys}}access policy of {{.Security.AccessKeys}} keys and {{.Security.AccessRules}} rules{{else}}<span class="err">no access policy: every key let in</span>{{end}}{{else}}<span class="err">plain endpoints (no CURVE)</span>{{end}};
{{.Counters.HandshakesRefused}} handshakes refused, {{.Counters.AccessRefused}} requests and {{.Counters.ReadyRefused}} workers refused by the policy, {{.Counters.AccessRevoked}} workers disconnected by a reload</dd>
</dl>
<h2>Services</h2>
<p>Rate, p50 and p99: answered requests over the last {{window .WindowS}}. Errors by status: 4xx and 5xx from workers, 502 workers failed, 503 rejected, 504 expired.</p>
<table>
<tr><th class="l">Service</th><th class="l">Mode</th><th>Workers</th><th class="l">By tier and state</th>
<th>Queued</th><th>In flight</th><th>Rate</th><th>p50</th><th>p99</th><th>Answered</th>
<th>4xx</th><th>5xx</th><th>502</th><th>503</th><th>504</th></tr>
{{range .Services}}<tr><td class="l"><a href="{{.Href}}">{{.Name}}</a></td><td class="l">{{.Mode}}</td>
<td>{{.Workers}}</td><td class="l">{{tiers .Tiers}}</td>
<td>{{.Queued}} ({{bytes .QueuedBytes}})</td><td>{{.InFlight}}</td><td>{{rate .RatePerS}}</td><td>{{ms .P50Ms}}</td><td>{{ms .P99Ms}}</td>
<td>{{.Answered}}</td><td>{{.Errors.Status4xx}}</td><td>{{.Errors.Status5xx}}</td><td>{{.Errors.Failed}}</td><td>{{.Errors.Rejected}}</td><td>{{.Errors.Expired}}</td></tr>
{{else}}<tr><td class="l" colspan="15">no service</td></tr>
{{end}}</table>
{{if .Next}}<p><a href="{{printf "?%s" .Next}}">next page</a></p>{{end}}
<p><a href="api/status">JSON</a> · <a href="metrics">metrics</a></p>
</body></html>
`))

var servicePage = template.Must(template.New("service").Funcs(pageFuncs).Parse(pageHead + `
{{template "head" (printf "%s · majordomo broker" .Service.Name)}}
<p><a href="./">all services</a></p>
{{with .Service}}<h1>Service {{.Name}}</h1>
<dl>
<dt>Mode</dt><dd>{{.Mode}}</dd>
<dt>Workers</dt><dd>{{.Workers}} ({{.Idle}} idle, {{.Busy}} busy, {{.Draining}} draining){{if .Tiers}}: {{tiers .Tiers}}{{end}}</dd>
<dt>Queue</dt><dd>{{.Queued}} requests, {{bytes .QueuedBytes}}; {{.InFlight}} in flight</dd>
<dt>Requests</dt><dd>{{.Requests}} accepted, {{.Answered}} answered; {{rate .RatePerS}}, p50 {{ms .P50Ms}}, p99 {{ms .P99Ms}}</dd>
<dt>Errors</dt><dd>4xx {{.Errors.Status4xx}}, 5xx {{.Errors.Status5xx}}, 502 {{.Errors.Failed}}, 503 {{.Errors.Rejected}}, 504 {{.Errors.Expired}}</dd>
</dl>{{end}}
<h2>Workers</h2>
<table>
<tr><th class="l">Id</th><th>Tier</th><th class="l">State</th><th>Capacity</th><th>In flight</th><th>Served</th><th>Errors</th>
<th>Uptime</th><th>Heartbeat</th><th class="l">Protocol</th><th class="l">Declared mode</th><th class="l">Name</th><th class="l">Version</th><th class="l">Metadata</th></tr>
{{range .Workers}}<tr><td class="l">{{.ID}}</td><td>{{.Tier}}</td><td class="l">{{.State}}</td><td>{{.Capacity}}</td><td>{{.InFlight}}</td>
<td>{{.Served}}</td><td>{{.Errors}}</td><td>{{msdur .UptimeMs}}</td><td>{{.HeartbeatMs}} ms</td><td class="l">{{.Protocol}}</td>
<td class="l">{{.Mode}}</td><td class="l">{{.Name}}</td><td class="l">{{.Version}}</td>
<td class="l">{{range $k, $v := .Metadata}}{{$k}}={{$v}} {{end}}</td></tr>
{{else}}<tr><td class="l" colspan="14">no worker</td></tr>
{{end}}</table>
{{if .Next}}<p><a href="{{printf "?%s" .Next}}">more workers</a></p>{{end}}
</body></html>
`))
