package main

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/majordomo-go/majordomo/broker/brokertest"
	"github.com/majordomo-go/majordomo/mdp"
)

// mdbroker with --service: the pinned mode wins over a worker's declaration
// (refused with DISCONNECT, logged and counted), plain workers join the
// pinned exclusive service, and the loopback admin endpoint hands it over.
func TestExclusivePinnedByFlagAndAdminHandover(t *testing.T) {
	var logs logBuffer
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	code := make(chan int, 1)
	args := append(append([]string(nil), testArgs...), "--service", "db:mode=exclusive")
	go func() { code <- run(ctx, args, nil, io.Discard, &logs) }()
	ep, admin := logs.started(t)

	strict := dial(t, ep)
	strict.send(mdp.Message{Version: mdp.V02, Kind: mdp.WorkerReady, Ext: true, Service: "db", Tier: 1, Capacity: 1,
		Mode: mdp.ModeStrict})
	strict.expect(mdp.WorkerDisconnect)
	brokertest.WaitFor(t, "conflict counted", func() bool {
		return metricIs(t, admin, 1, "mdbroker_mode_conflicts_total")
	})
	if !strings.Contains(logs.String(), "pinned by the broker's configuration") {
		t.Fatalf("no refusal in the log:\n%s", logs.String())
	}
	for range 2 {
		dial(t, ep).send(mdp.Message{Version: mdp.V01, Kind: mdp.WorkerReady, Service: "db"})
	}
	brokertest.WaitFor(t, "active and standby", func() bool {
		return metricIs(t, admin, 1, "mdbroker_tier_workers", "service", "db", "tier", "1", "state", "active") &&
			metricIs(t, admin, 1, "mdbroker_tier_workers", "service", "db", "tier", "1", "state", "standby")
	})
	client := http.Client{Timeout: waitLong}
	resp, err := client.Post("http://"+admin+"/handover?service=db", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /handover: %d", resp.StatusCode)
	}
	brokertest.WaitFor(t, "hand-over done", func() bool {
		return metricIs(t, admin, 2, "mdbroker_service_activations_total", "service", "db")
	})
	cancel()
	select {
	case got := <-code:
		if got != 0 {
			t.Fatalf("exit code %d", got)
		}
	case <-time.After(waitLong):
		t.Fatal("run did not return")
	}
}
