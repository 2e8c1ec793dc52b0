package broker

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/majordomo-go/majordomo/mdp"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

func TestCurveLoopbackEndpoints(t *testing.T) {
	for ep, want := range map[string]bool{
		"tcp://127.0.0.1:5555": true, "tcp://127.3.2.1:1": true, "tcp://[::1]:5555": true, "tcp://localhost:5555": true,
		"ipc:///tmp/md.sock": true, "inproc://md": true, "tcp://0.0.0.0:5555": false, "tcp://*:5555": false,
		"tcp://eth0:5555": false, "tcp://10.0.0.1:5555": false, "tcp://[::]:5555": false, "udp://127.0.0.1:1": false,
	} {
		if got := loopbackEndpoint(ep); got != want {
			t.Errorf("loopbackEndpoint(%q) = %v", ep, got)
		}
	}
}

// A plain endpoint beyond loopback is bound with a warning naming it; a
// loopback one and a CURVE one are not warned about.
func TestCurvePlainEndpointWarned(t *testing.T) {
	obs, logs := observer.New(zap.WarnLevel)
	startBroker(t, func(cfg *Config) {
		cfg.Endpoints = []string{"tcp://127.0.0.1:*", "tcp://0.0.0.0:*"}
		cfg.Logger = zap.New(obs)
	})
	warned := logs.FilterMessageSnippet("PLAIN ENDPOINT BEYOND LOOPBACK").All()
	if len(warned) != 1 || warned[0].ContextMap()["endpoint"] != "tcp://0.0.0.0:*" {
		t.Fatalf("warnings: %+v", logs.All())
	}
	obs2, logs2 := observer.New(zap.WarnLevel)
	server := newKeyPair(t)
	curveBroker(t, server, "key a "+newKeyPair(t).pub.String()+"\n", func(cfg *Config) {
		cfg.Endpoints = []string{"tcp://0.0.0.0:*"}
		cfg.Logger = zap.New(obs2)
	})
	if n := logs2.FilterMessageSnippet("PLAIN").Len(); n != 0 {
		t.Fatalf("a CURVE endpoint warned about: %+v", logs2.All())
	}
}

// The worker registration line names the worker's address and key; the
// status page and /api/status show the clients seen and the refusals.
func TestCurveWorkerLogAndStatus(t *testing.T) {
	obs, logs := observer.New(zap.InfoLevel)
	server, ck, wk := newKeyPair(t), newKeyPair(t), newKeyPair(t)
	tb := curveBroker(t, server, "key c "+ck.pub.String()+"\nkey w "+wk.pub.String()+"\nallow w serve echo\n",
		func(cfg *Config) { cfg.Logger = zap.New(obs) })
	w := curveDial(t, tb.ep, server.pub, wk)
	w.send(readyExt("echo", 1, 1))
	waitFor(t, "worker registered", func() bool { return tb.snapshot(t).Counters.WorkersRegistered == 1 })
	line := logs.FilterMessage("worker registered").All()
	if len(line) != 1 || line[0].ContextMap()["address"] != "127.0.0.1" || line[0].ContextMap()["key"] != wk.pub.String() {
		t.Fatalf("registration line: %+v", line)
	}
	c := curveDial(t, tb.ep, server.pub, ck)
	c.send(requestExt(uuid.New(), "echo", 0, 0, "x"))
	if m := c.expect(mdp.ClientError); m.Status != mdp.StatusForbidden {
		t.Fatalf("status %d", m.Status)
	}
	srv := httptest.NewServer(AdminHandler(tb.Broker))
	defer srv.Close()
	get := func(path string) string {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	st := decodeStatus(t, get("/api/status"))
	if st.ClientsSeen != 1 || st.ClientsSeenS != 60 || st.Counters.AccessRefused != 1 || !st.Security.Curve ||
		st.Security.AccessKeys != 2 || st.Security.AccessRules != 1 {
		t.Fatalf("/api/status: clients %d/%ds, refused %d, security %+v", st.ClientsSeen, st.ClientsSeenS,
			st.Counters.AccessRefused, st.Security)
	}
	page := get("/")
	for _, want := range []string{"1 connections sent a request in the last 1m", "access policy of 2 keys and 1 rules", "1 requests"} {
		if !strings.Contains(page, want) {
			t.Errorf("status page lacks %q", want)
		}
	}
}
