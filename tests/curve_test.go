package tests

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
	"github.com/majordomo-go/majordomo/workers"
)

// curveBroker runs our broker with CURVE (key pair keys) and the access
// policy text.
func curveBroker(t *testing.T, keys mdptest.CurvePair, policy string) *brokertest.Broker {
	t.Helper()
	access, err := broker.ParseAccess("policy", []byte(policy), nil)
	if err != nil {
		t.Fatal(err)
	}
	return brokertest.Start(t, func(cfg *broker.Config) {
		cfg.CurveSecretKey = keys.Secret.String()
		cfg.Access = access
		cfg.Logger = zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel))
	})
}

// curveWorker serves service through brokers with the key pair k until the
// test ends.
func curveWorker(t *testing.T, brokers []string, service string, server, k mdptest.CurvePair) {
	t.Helper()
	w, err := workers.New(brokers, service,
		workers.WithCurve(server.Public.String(), k.Public.String(), k.Secret.String()),
		workers.WithHeartbeat(50*time.Millisecond), workers.WithReconnect(10*time.Millisecond, 50*time.Millisecond),
		workers.WithLogger(zaptest.NewLogger(t, zaptest.Level(zap.ErrorLevel))))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = w.Run(ctx, workers.HandlerFunc(func(_ context.Context, r *workers.Request) ([][]byte, error) {
			return [][]byte{[]byte("served"), r.Body[0]}, nil
		}))
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
}

func curveClient(t *testing.T, brokers []string, server, k mdptest.CurvePair, opts ...clients.Option) *clients.Client {
	t.Helper()
	opts = append([]clients.Option{clients.WithCurve(server.Public.String(), k.Public.String(), k.Secret.String())}, opts...)
	c, err := clients.New(brokers, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func counters(t *testing.T, b *brokertest.Broker) broker.Counters {
	t.Helper()
	return b.State().Counters
}

// The SDKs through our broker with CURVE and an access policy: a worker
// and a client whose keys the policy lets in serve and call; a client
// whose key the broker refuses at the handshake gets nothing through (the
// broker's loop never sees it) and fails over to a second broker, with the
// same key pair, whose policy lets it in; a client with the wrong broker
// key gets through nowhere.
func TestCurveSDKThroughOurBroker(t *testing.T) {
	keys := mdptest.NewCurvePair(t)
	wk, ck, rogue := mdptest.NewCurvePair(t), mdptest.NewCurvePair(t), mdptest.NewCurvePair(t)
	strict := curveBroker(t, keys, fmt.Sprintf("key worker %s\nkey client %s\nallow worker serve a.*\nallow client call a.*\n",
		wk.Public, ck.Public))
	lenient := curveBroker(t, keys, fmt.Sprintf("key worker %s\nkey other %s\nallow worker serve a.*\nallow other call a.*\n",
		wk.Public, rogue.Public))
	curveWorker(t, []string{strict.Endpoint, lenient.Endpoint}, "a.echo", keys, wk)
	brokertest.WaitFor(t, "the worker at both brokers", func() bool {
		return strict.Workers("a.echo") == 1 && lenient.Workers("a.echo") == 1
	})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	c := curveClient(t, []string{strict.Endpoint}, keys, ck)
	got, err := c.Request(ctx, "a.echo", []byte("x"))
	if err != nil || len(got) != 2 || string(got[1]) != "x" {
		t.Fatalf("allowed client: %q, %v", got, err)
	}

	before := counters(t, strict)
	r := curveClient(t, []string{strict.Endpoint, lenient.Endpoint}, keys, rogue,
		clients.WithTimeout(300*time.Millisecond), clients.WithRetries(3))
	got, err = r.Request(ctx, "a.echo", []byte("y"))
	if err != nil || len(got) != 2 || string(got[1]) != "y" {
		t.Fatalf("refused at the first broker, allowed at the second: %q, %v", got, err)
	}
	after := counters(t, strict)
	if after.HandshakesRefused == before.HandshakesRefused {
		t.Fatalf("the strict broker refused no handshake: %+v", after)
	}
	if after.Requests != before.Requests || after.AccessRefused != before.AccessRefused {
		t.Fatalf("a message of the refused key reached the strict broker's loop: requests %d → %d, access refused %d → %d",
			before.Requests, after.Requests, before.AccessRefused, after.AccessRefused)
	}

	impostor := mdptest.NewCurvePair(t)
	w := curveClient(t, []string{strict.Endpoint}, impostor, ck, clients.WithTimeout(200*time.Millisecond), clients.WithRetries(1))
	if _, err := w.Request(ctx, "a.echo", []byte("z")); !errors.Is(err, clients.ErrTimeout) {
		t.Fatalf("wrong broker key: %v; want ErrTimeout", err)
	}
	if final := counters(t, strict); final.Requests != after.Requests {
		t.Fatalf("a request with the wrong broker key reached the loop: %d → %d", after.Requests, final.Requests)
	}
}

// A worker key allowed only for a.* cannot register b (the broker refuses
// its READY), and a client key allowed to call a.* only gets 403 for b.
func TestCurveACLThroughTheSDKs(t *testing.T) {
	keys := mdptest.NewCurvePair(t)
	wk, ck := mdptest.NewCurvePair(t), mdptest.NewCurvePair(t)
	b := curveBroker(t, keys, fmt.Sprintf("key worker %s\nkey client %s\nallow worker serve a.*\nallow client call a.*\n",
		wk.Public, ck.Public))
	curveWorker(t, []string{b.Endpoint}, "b.echo", keys, wk)
	brokertest.WaitFor(t, "the READY refused", func() bool { return counters(t, b).ReadyRefused > 0 })
	if n := b.Workers("b.echo"); n != 0 {
		t.Fatalf("b.echo has %d workers", n)
	}
	c := curveClient(t, []string{b.Endpoint}, keys, ck)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, err := c.Request(ctx, "b.echo", []byte("x"))
	var se *clients.ServiceError
	if !errors.As(err, &se) || se.Status != 403 {
		t.Fatalf("call to b.echo: %v; want 403", err)
	}
}
