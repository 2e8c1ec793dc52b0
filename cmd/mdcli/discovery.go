package main

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/majordomo-go/majordomo/broker"
	"github.com/majordomo-go/majordomo/mdp"
)

// maxPages bounds how many pages mdcli follows: a broker that keeps
// answering never makes it loop forever.
const maxPages = 10000

// fetchPages asks service page after page (the query's frames, then the
// last key of the previous page) until a page adds nothing new, and
// returns every entry as the broker sent it. key is an entry's paging key
// (a service name, a worker id); pages must come in increasing key order.
func fetchPages(ctx context.Context, request requestFunc, service string, query []string,
	key func(json.RawMessage) string) ([]json.RawMessage, [][]byte, error) {
	var all []json.RawMessage
	after := ""
	for range maxPages {
		body := make([][]byte, 0, len(query)+1)
		for _, q := range query {
			body = append(body, []byte(q))
		}
		if after != "" {
			body = append(body, []byte(after))
		}
		reply, err := request(ctx, service, body...)
		if err != nil {
			return nil, nil, err
		}
		if len(reply) != 2 || string(reply[0]) != "200" {
			return nil, reply, nil
		}
		var page []json.RawMessage
		if err := json.Unmarshal(reply[1], &page); err != nil {
			return nil, nil, fmt.Errorf("%s: reply is not a JSON array: %w", service, err)
		}
		added := false
		for _, e := range page {
			if k := key(e); k > after {
				all, after, added = append(all, e), k, true
			}
		}
		if !added {
			break
		}
	}
	return all, nil, nil
}

func nameOf(e json.RawMessage) string {
	var v struct {
		Name string `json:"name"`
	}
	json.Unmarshal(e, &v)
	return v.Name
}

func idOf(e json.RawMessage) string {
	var v struct {
		ID string `json:"id"`
	}
	json.Unmarshal(e, &v)
	return v.ID
}

// services lists every service, following mmi.services' pages: a table, or
// with --json the broker's entries as they are (every field).
func (o *output) services(ctx context.Context, request requestFunc) int {
	all, refused, err := fetchPages(ctx, request, mdp.MMIServices, nil, nameOf)
	if err != nil {
		return o.failMMI(err)
	}
	if refused != nil {
		return o.mmiStatus(mdp.MMIServices, refused, exitOK)
	}
	if o.json {
		return o.printJSON(nonNil(all))
	}
	tw := tabwriter.NewWriter(o.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SERVICE\tMODE\tWORKERS\tQUEUED\tIN-FLIGHT\tTIERS\tREQUESTS\tERRORS\tP50\tP99")
	for _, e := range all {
		var s broker.MMIService
		json.Unmarshal(e, &s)
		st := s.Stats
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%s\t%d\t%d\t%s\t%s\n", s.Name, dash(s.Mode), s.Workers, s.Queued,
			s.InFlight, tiersText(s.Tiers), st.Requests, st.Errors+st.Expired+st.Failed+st.Rejected,
			msText(st.P50Ms, st.Samples), msText(st.P99Ms, st.Samples))
	}
	tw.Flush()
	return exitOK
}

// workers lists a service's workers, following mmi.workers' pages.
func (o *output) workers(ctx context.Context, request requestFunc, service string) int {
	all, refused, err := fetchPages(ctx, request, mdp.MMIWorkers, []string{service}, idOf)
	if err != nil {
		return o.failMMI(err)
	}
	if refused != nil {
		if string(refused[0]) == "404" {
			fmt.Fprintf(o.stderr, "mdcli: %s has no workers\n", service)
			return exitServiceError
		}
		return o.mmiStatus(mdp.MMIWorkers, refused, exitOK)
	}
	if o.json {
		return o.printJSON(nonNil(all))
	}
	tw := tabwriter.NewWriter(o.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tTIER\tSTATE\tCAPACITY\tIN-FLIGHT\tSERVED\tERRORS\tUPTIME\tNAME\tVERSION\tMETADATA")
	for _, e := range all {
		var w broker.MMIWorker
		json.Unmarshal(e, &w)
		uptime := (time.Duration(w.UptimeMs) * time.Millisecond).Round(time.Second)
		fmt.Fprintf(tw, "%s\t%d\t%s\t%d\t%d\t%d\t%d\t%s\t%s\t%s\t%s\n", w.ID, w.Tier, w.State, w.Capacity, w.InFlight,
			w.Served, w.Errors, uptime, dash(w.Name), dash(w.Version), metadataText(w.Metadata))
	}
	tw.Flush()
	return exitOK
}

func nonNil(all []json.RawMessage) []json.RawMessage {
	if all == nil {
		return []json.RawMessage{}
	}
	return all
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// tiersText shows each tier's workers by state: "1:active=1 2:standby=2".
func tiersText(tiers []broker.MMITier) string {
	var parts []string
	for _, t := range tiers {
		var states []string
		for _, st := range []struct {
			name string
			n    int
		}{{"active", t.Active}, {"standby", t.Standby}, {"idle", t.Idle}, {"busy", t.Busy}, {"draining", t.Draining}} {
			if st.n > 0 {
				states = append(states, st.name+"="+strconv.Itoa(st.n))
			}
		}
		parts = append(parts, strconv.Itoa(int(t.Tier))+":"+strings.Join(states, ","))
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, " ")
}

func msText(ms float64, samples uint64) string {
	if samples == 0 {
		return "-"
	}
	return strconv.FormatFloat(ms, 'g', 4, 64) + "ms"
}

func metadataText(md map[string]string) string {
	if len(md) == 0 {
		return "-"
	}
	keys := make([]string, 0, len(md))
	for k := range md {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for i, k := range keys {
		keys[i] = k + "=" + md[k]
	}
	return strings.Join(keys, ",")
}
