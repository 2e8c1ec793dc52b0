package titanic_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/majordomo-go/majordomo/broker"
	"github.com/majordomo-go/majordomo/broker/brokertest"
	"github.com/majordomo-go/majordomo/clients"
	"github.com/majordomo-go/majordomo/internal/mdptest"
	"github.com/majordomo-go/majordomo/mdp"
	"github.com/majordomo-go/majordomo/titanic"
	"github.com/majordomo-go/majordomo/workers"
)

// Titanic with CURVE keys behind a CURVE broker whose policy lets its key
// serve titanic.*, call the services it dispatches to and use MMI: a
// request stored through it is dispatched to a CURVE worker and its reply
// fetched by a CURVE client.
func TestCurveTitanicThroughCurveBroker(t *testing.T) {
	bk, tk, wk, ck := mdptest.NewCurvePair(t), mdptest.NewCurvePair(t), mdptest.NewCurvePair(t), mdptest.NewCurvePair(t)
	policy := fmt.Sprintf("key titanic %s\nkey worker %s\nkey client %s\n"+
		"allow titanic serve titanic.*\nallow titanic call echo\nallow titanic mmi\n"+
		"allow worker serve echo\nallow client call titanic.*\n", tk.Public, wk.Public, ck.Public)
	access, err := broker.ParseAccess("policy", []byte(policy), nil)
	if err != nil {
		t.Fatal(err)
	}
	b := brokertest.Start(t, func(c *broker.Config) {
		c.HeartbeatInterval = 50 * time.Millisecond
		c.CurveSecretKey = bk.Secret.String()
		c.Access = access
		c.Logger = zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel))
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	srv, err := titanic.New(titanic.Config{Broker: b.Endpoint, Dir: t.TempDir(), Heartbeat: 50 * time.Millisecond,
		ProbeInterval: 20 * time.Millisecond, BackoffMin: 10 * time.Millisecond, BackoffMax: 100 * time.Millisecond,
		CurveServerKey: bk.Public.String(), CurvePublicKey: tk.Public.String(), CurveSecretKey: tk.Secret.String(),
		Logger: zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel))})
	if err != nil {
		t.Fatal(err)
	}
	tdone := make(chan error, 1)
	go func() { tdone <- srv.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-tdone; err != nil {
			t.Errorf("titanic Run: %v", err)
		}
	}()

	w, err := workers.New([]string{b.Endpoint}, "echo", workers.WithCurve(bk.Public.String(), wk.Public.String(), wk.Secret.String()),
		workers.WithHeartbeat(50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	wdone := make(chan error, 1)
	go func() {
		wdone <- w.Run(ctx, workers.HandlerFunc(func(_ context.Context, r *workers.Request) ([][]byte, error) { return r.Body, nil }))
	}()
	defer func() { cancel(); <-wdone }()

	brokertest.WaitFor(t, "titanic's workers and echo", func() bool {
		return b.Workers(mdp.TitanicRequest) == 1 && b.Workers(mdp.TitanicReply) == 1 && b.Workers("echo") == 1
	})
	c, err := clients.New([]string{b.Endpoint}, clients.WithCurve(bk.Public.String(), ck.Public.String(), ck.Secret.String()))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	rctx, rcancel := context.WithTimeout(ctx, 20*time.Second)
	defer rcancel()
	r, err := c.Request(rctx, mdp.TitanicRequest, []byte("echo"), []byte("hello"))
	if err != nil || len(r) != 2 || string(r[0]) != "200" {
		t.Fatalf("titanic.request: %q, %v", r, err)
	}
	id := r[1]
	for {
		got, err := c.Request(rctx, mdp.TitanicReply, id)
		if err != nil {
			t.Fatalf("titanic.reply: %v", err)
		}
		if string(got[0]) == "200" {
			if len(got) != 2 || string(got[1]) != "hello" {
				t.Fatalf("titanic.reply: %q", got)
			}
			break
		}
		if string(got[0]) != "300" {
			t.Fatalf("titanic.reply: %q", got)
		}
		time.Sleep(5 * time.Millisecond) // a TSP client's poll interval, not a synchronisation
	}
}

// Half the keys, or keys that are not Z85, are configuration errors.
func TestCurveTitanicConfigChecked(t *testing.T) {
	k := mdptest.NewCurvePair(t)
	for name, cfg := range map[string]titanic.Config{
		"server key alone": {CurveServerKey: k.Public.String()},
		"not Z85":          {CurveServerKey: "x", CurvePublicKey: k.Public.String(), CurveSecretKey: k.Secret.String()},
	} {
		cfg.Broker, cfg.Dir = "tcp://127.0.0.1:1", t.TempDir()
		if err := cfg.Validate(); !errors.Is(err, titanic.ErrConfig) {
			t.Errorf("%s: Validate = %v; want ErrConfig", name, err)
		}
	}
}
