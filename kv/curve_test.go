package kv_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/majordomo-go/majordomo/broker"
	"github.com/majordomo-go/majordomo/broker/brokertest"
	"github.com/majordomo-go/majordomo/clients"
	"github.com/majordomo-go/majordomo/internal/adminauth"
	"github.com/majordomo-go/majordomo/internal/mdptest"
	"github.com/majordomo-go/majordomo/kv"
)

// A one-node store with CURVE keys behind a CURVE broker whose policy lets
// the node's key serve and call kv.*: a CURVE client writes and reads
// through it. Its admin endpoint, behind a token, answers 401 without it.
func TestCurveKVNodeThroughCurveBroker(t *testing.T) {
	bk, nk, ck := mdptest.NewCurvePair(t), mdptest.NewCurvePair(t), mdptest.NewCurvePair(t)
	policy := fmt.Sprintf("key node %s\nkey client %s\nallow node serve kv.*\nallow node call kv.*\nallow node mmi\nallow client call kv.*\n",
		nk.Public, ck.Public)
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
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	raftAddr := l.Addr().String()
	l.Close()
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte("tok\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// A token configured on loopback is enforced as beyond loopback.
	guard, err := adminauth.New("127.0.0.1:0", adminauth.Config{TokenFile: tokenFile})
	if err != nil {
		t.Fatal(err)
	}

	cfg := kv.DefaultConfig()
	cfg.Store, cfg.ID, cfg.DataDir, cfg.RaftAddr = "kv", "n1", t.TempDir(), raftAddr
	cfg.Brokers, cfg.Peers = []string{b.Endpoint}, []kv.Peer{{ID: "n1", Addr: raftAddr}}
	cfg.HeartbeatTimeout, cfg.ElectionTimeout, cfg.LeaderLeaseTimeout = 250*time.Millisecond, 250*time.Millisecond, 200*time.Millisecond
	cfg.CommitTimeout, cfg.WorkerHeartbeat, cfg.DrainTimeout = 5*time.Millisecond, 50*time.Millisecond, time.Second
	cfg.CurveServerKey, cfg.CurvePublicKey, cfg.CurveSecretKey = bk.Public.String(), nk.Public.String(), nk.Secret.String()
	cfg.AdminAddr, cfg.AdminAuth = "127.0.0.1:0", guard.Handler
	cfg.Logger = zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel))
	n, err := kv.Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := n.Close(ctx); err != nil {
			t.Errorf("close: %v", err)
		}
	}()
	brokertest.WaitFor(t, "kv.write and kv.read registered", func() bool {
		return b.Workers("kv.write") == 1 && b.Workers("kv.read") == 1
	})

	cl, err := clients.New([]string{b.Endpoint}, clients.WithCurve(bk.Public.String(), ck.Public.String(), ck.Secret.String()),
		clients.WithTimeout(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	store := kv.NewClient(cl, "kv")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	w, err := store.Put(ctx, []byte("k"), []byte("v"))
	if err != nil {
		t.Fatalf("Put: %v", err)
	}
	got, err := store.Get(ctx, []byte("k"), kv.MinIndex(w.Index))
	if err != nil || string(got.Value) != "v" {
		t.Fatalf("Get: %+v, %v", got, err)
	}

	for token, want := range map[string]int{"": 401, "Bearer nope": 401, "Bearer tok": 200} {
		req, _ := http.NewRequest(http.MethodGet, "http://"+n.AdminAddr()+"/livez", nil)
		if token != "" {
			req.Header.Set("Authorization", token)
		}
		resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("/livez with %q: %d, want %d", token, resp.StatusCode, want)
		}
	}
}
