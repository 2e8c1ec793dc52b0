package clients

import (
	"encoding/json"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/majordomo-go/majordomo/broker/brokertest"
	"github.com/majordomo-go/majordomo/mdp"
)

// servicesBroker answers mmi.services from names (sorted) in pages of
// pageSize after the request's first body frame; with ignoreAfter it
// answers every request with the whole list, as a broker without paging
// does. It counts the requests.
func servicesBroker(t *testing.T, names []string, pageSize int, ignoreAfter bool, asked *atomic.Int64) string {
	return brokertest.FakeRouter(t, func(m mdp.Message, err error) [][]byte {
		if err != nil || m.Service != mdp.MMIServices {
			return nil
		}
		asked.Add(1)
		after := ""
		if len(m.Body) > 0 && !ignoreAfter {
			after = string(m.Body[0])
		}
		var page []map[string]any
		for _, n := range names {
			if n > after && len(page) < pageSize {
				page = append(page, map[string]any{"name": n, "workers": 1})
			}
		}
		js, _ := json.Marshal(page)
		out := mdp.Message{Version: mdp.V02, Ext: true, Kind: mdp.ClientFinal, Service: m.Service, UUID: m.UUID,
			Body: [][]byte{[]byte("200"), js}}
		frames, _ := out.Frames()
		return frames
	})
}

func TestServicesFollowsThePages(t *testing.T) {
	var names []string
	for i := range 2500 {
		names = append(names, fmt.Sprintf("svc.%05d", i))
	}
	cases := []struct {
		name        string
		pageSize    int
		ignoreAfter bool
		requests    int64
	}{
		{"pages of 1000", 1000, false, 4},        // 1000, 1000, 500, then an empty page
		{"one page", len(names), false, 2},       // everything, then an empty page
		{"broker without paging", 1000, true, 2}, // the same first page twice: nothing new
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var asked atomic.Int64
			ep := servicesBroker(t, names, tc.pageSize, tc.ignoreAfter, &asked)
			c := newClient(t, []string{ep})
			list, err := c.Services(testContext(t, 10*time.Second))
			if err != nil {
				t.Fatal(err)
			}
			want := names
			if tc.ignoreAfter {
				want = names[:tc.pageSize]
			}
			got := make([]string, len(list))
			for i, s := range list {
				got[i] = s.Name
				if s.Workers != 1 {
					t.Fatalf("%s: workers %d, want 1", s.Name, s.Workers)
				}
			}
			if !slices.Equal(got, want) {
				t.Fatalf("Services listed %d names (first %q), want %d", len(got), got[:min(3, len(got))], len(want))
			}
			if n := asked.Load(); n != tc.requests {
				t.Fatalf("%d mmi.services requests, want %d", n, tc.requests)
			}
		})
	}
}
