package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/majordomo-go/majordomo/broker/brokertest"
	"github.com/majordomo-go/majordomo/clients"
	"github.com/majordomo-go/majordomo/internal/curvekey"
	"github.com/majordomo-go/majordomo/mdp"
	"github.com/majordomo-go/majordomo/workers"
)

// mdbroker --curve-key --policy --titanic: the embedded Titanic connects
// with the broker's own key pair, which the policy lets serve titanic.*,
// call echo and use MMI; a CURVE client stores a request, a CURVE worker
// answers it, and the client fetches the reply.
func TestCurveTitanicInsideBroker(t *testing.T) {
	dir := t.TempDir()
	gen := func(name string) (string, curvekey.Pair) {
		path := filepath.Join(dir, name+".key")
		pair, err := curvekey.Generate(path)
		if err != nil {
			t.Fatal(err)
		}
		return path, pair
	}
	brokerKey, bk := gen("broker")
	_, wk := gen("worker")
	_, ck := gen("client")
	policy := filepath.Join(dir, "policy")
	text := fmt.Sprintf("key broker %s\nkey worker %s\nkey client %s\n"+
		"allow broker serve titanic.*\nallow broker call echo\nallow broker mmi\n"+
		"allow worker serve echo\nallow client call titanic.*\n", bk.Public, wk.Public, ck.Public)
	if err := os.WriteFile(policy, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	var logs logBuffer
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	args := append(append([]string{}, testArgs...), "--titanic", filepath.Join(dir, "titanic"),
		"--curve-key", brokerKey, "--policy", policy)
	code := make(chan int, 1)
	go func() { code <- run(ctx, args, nil, io.Discard, &logs) }()
	ep, _ := logs.started(t)

	w, err := workers.New([]string{ep}, "echo", workers.WithHeartbeat(100*time.Millisecond),
		workers.WithCurve(bk.Public.String(), wk.Public.String(), wk.Secret.String()))
	if err != nil {
		t.Fatal(err)
	}
	wctx, wcancel := context.WithCancel(context.Background())
	wdone := make(chan error, 1)
	go func() {
		wdone <- w.Run(wctx, workers.HandlerFunc(func(_ context.Context, r *workers.Request) ([][]byte, error) { return r.Body, nil }))
	}()
	defer func() { wcancel(); <-wdone }()

	c, err := clients.New([]string{ep}, clients.WithCurve(bk.Public.String(), ck.Public.String(), ck.Secret.String()))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	rctx, rcancel := context.WithTimeout(ctx, waitLong)
	defer rcancel()
	r, err := c.Request(rctx, mdp.TitanicRequest, []byte("echo"), []byte("hello"))
	if err != nil || len(r) != 2 || string(r[0]) != "200" {
		t.Fatalf("titanic.request: %q, %v", r, err)
	}
	var got [][]byte
	brokertest.WaitFor(t, "the reply stored", func() bool {
		got, err = c.Request(rctx, mdp.TitanicReply, r[1])
		return err != nil || string(got[0]) != "300"
	})
	if err != nil || len(got) != 2 || string(got[0]) != "200" || string(got[1]) != "hello" {
		t.Fatalf("titanic.reply: %q, %v", got, err)
	}
	cancel()
	select {
	case c := <-code:
		if c != 0 {
			t.Fatalf("exit %d; logs:\n%s", c, logs.String())
		}
	case <-time.After(waitLong):
		t.Fatal("run did not return")
	}
}
