package broker

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/majordomo-go/majordomo/mdp"
	zmq "github.com/pebbe/zmq4"
)

func TestMMI(t *testing.T) {
	tb := startBroker(t, nil)
	tb.readyWorker(t, ready(mdp.V01, "echo"))
	c := dial(t, tb.ep, zmq.DEALER)

	ask := func(v mdp.Version, service string, body ...string) mdp.Message {
		t.Helper()
		c.send(plainRequest(v, service, body...))
		m := c.expect(mdp.ClientFinal)
		if m.Version != v || m.Service != service {
			t.Fatalf("MMI reply %+v, want version %v service %q", m, v, service)
		}
		return m
	}
	for _, v := range []mdp.Version{mdp.V01, mdp.V02} {
		if got := bodyString(ask(v, mdp.MMIService, "echo")); got != "200" {
			t.Errorf("%v mmi.service echo = %q, want 200", v, got)
		}
		if got := bodyString(ask(v, mdp.MMIService, "nobody")); got != "404" {
			t.Errorf("%v mmi.service nobody = %q, want 404", v, got)
		}
		if got := bodyString(ask(v, "mmi.unknown")); got != "501" {
			t.Errorf("%v mmi.unknown = %q, want 501", v, got)
		}
	}
	m := ask(mdp.V02, mdp.MMIServices)
	var list []MMIService
	if len(m.Body) != 2 || string(m.Body[0]) != "200" || json.Unmarshal(m.Body[1], &list) != nil {
		t.Fatalf("mmi.services reply %q", m.Body)
	}
	if len(list) != 1 || list[0].Name != "echo" || list[0].Workers != 1 || list[0].Queued != 0 || list[0].Mode != "overflow" {
		t.Fatalf("mmi.services = %+v", list)
	}
	m = ask(mdp.V02, mdp.MMIBroker)
	var info MMIBrokerInfo
	if len(m.Body) != 2 || json.Unmarshal(m.Body[1], &info) != nil || info.Version != Version ||
		info.HeartbeatIntervalMs != 20 || info.HeartbeatLiveness != 3 {
		t.Fatalf("mmi.broker reply %q", m.Body)
	}

	id := uuid.New()
	c.send(requestExt(id, mdp.MMIService, time.Second, 0, "echo"))
	m = c.expect(mdp.ClientFinal)
	if !m.Ext || m.UUID != id || bodyString(m) != "200" {
		t.Fatalf("extension mmi.service reply %+v", m)
	}
	// A service with only queued requests and no worker is not "known".
	c.send(plainRequest(mdp.V02, "queued-only", "x"))
	if got := bodyString(ask(mdp.V02, mdp.MMIService, "queued-only")); got != "404" {
		t.Errorf("mmi.service for a service without workers = %q, want 404", got)
	}
}

// A worker may not register a name in mmi.*: it is disconnected, and the
// name stays the broker's.
func TestWorkerCannotRegisterMMI(t *testing.T) {
	tb := startBroker(t, nil)
	w := dial(t, tb.ep, zmq.DEALER)
	w.raw([]byte(mdp.HeaderWorker02), []byte{0x01}, []byte("mmi.service"))
	if m := w.expect(mdp.WorkerDisconnect); m.Version != mdp.V02 {
		t.Fatalf("got %+v", m)
	}
	w1 := dial(t, tb.ep, zmq.DEALER)
	w1.raw([]byte{}, []byte(mdp.HeaderWorker01), []byte{0x01}, []byte("mmi.broker"))
	if m := w1.expect(mdp.WorkerDisconnect); m.Version != mdp.V01 {
		t.Fatalf("got %+v", m)
	}
	if s := tb.snapshot(t); len(s.Services) != 0 || s.Counters.WorkersRegistered != 0 {
		t.Fatalf("mmi.* worker registered: %+v", s)
	}
}
