package kv

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/majordomo-go/majordomo/broker"
	"github.com/majordomo-go/majordomo/broker/brokertest"
	"github.com/majordomo-go/majordomo/clients"
	"github.com/majordomo-go/majordomo/mdp"
	"github.com/majordomo-go/majordomo/workers"
)

// The store relies on this behaviour of the SDKs: a 503 from a worker is
// retried by the client SDK with the same request UUID (so a write that
// reached a node that no longer leads goes again, and the same id makes
// its de-duplication exact).
func TestWorker503IsRetriedWithTheSameUUID(t *testing.T) {
	b := brokertest.Start(t, func(c *broker.Config) { c.HeartbeatInterval = 50 * time.Millisecond })
	var mu sync.Mutex
	seen := map[uuid.UUID]int{}
	w, err := workers.New([]string{b.Endpoint}, "kv.write", workers.WithHeartbeat(50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- w.Run(ctx, workers.HandlerFunc(func(_ context.Context, req *workers.Request) ([][]byte, error) {
			mu.Lock()
			defer mu.Unlock()
			seen[req.UUID]++
			if seen[req.UUID] == 1 {
				return nil, notLeader(errors.New("test"))
			}
			return [][]byte{[]byte("done")}, nil
		}))
	}()
	defer func() { cancel(); <-done }()
	brokertest.WaitFor(t, "the worker", func() bool { return b.Workers("kv.write") == 1 })
	c, err := clients.New([]string{b.Endpoint}, clients.WithTimeout(2*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	rctx, rcancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer rcancel()
	reply, err := c.Write(rctx, "kv", []byte("x"))
	if err != nil || string(reply[0]) != "done" {
		t.Fatalf("reply %q, %v: the 503 was not retried", reply, err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != 1 {
		t.Fatalf("%d request UUIDs for one request: the retry did not keep it", len(seen))
	}
}

// A write handed to a node that does not lead gets 503, never an answer.
func TestWriteOnFollowerIs503(t *testing.T) {
	c := startCluster(t, 3)
	ctx := ctxFor(t, 20*time.Second)
	var follower *Node
	var key []byte
	var we *workers.Error
	for attempt := 0; ; attempt++ {
		// Under load an election may make the chosen follower leader in
		// between: then choose again.
		follower = c.nodes[(c.leader()+1)%3]
		key = []byte(fmt.Sprintf("k%d", attempt))
		body := (&Request{Op: OpPut, Key: key, Value: []byte("v")}).Frames()
		_, err := follower.serveWrite(ctx, &workers.Request{Service: "kv.write", Body: body, UUID: uuid.New(), ClientUUID: true})
		if errors.As(err, &we) && we.Status == mdp.StatusOverloaded {
			break
		}
		if !follower.IsLeader() || attempt == 5 {
			t.Fatalf("write on a follower: %v, want 503", err)
		}
	}
	get := (&Request{Op: OpGet, Key: []byte("k")}).Frames()
	if _, err := follower.serveWrite(ctx, &workers.Request{Service: "kv.write", Body: get}); !errors.As(err, &we) || we.Status != mdp.StatusOverloaded {
		t.Fatalf("linearizable read on a follower: %v, want 503", err)
	}
	if g, err := c.kv.Get(ctx, key, Linearizable()); !errors.Is(err, ErrNotFound) {
		t.Fatalf("the refused write took effect: %+v %v", g, err)
	}
}

func TestConfigValidate(t *testing.T) {
	good := DefaultConfig()
	good.Store, good.ID, good.DataDir, good.RaftAddr, good.Brokers = "kv", "a", "/tmp/x", "127.0.0.1:1", []string{"tcp://127.0.0.1:2"}
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	for name, change := range map[string]func(c *Config){
		"no store":       func(c *Config) { c.Store = "" },
		"id with comma":  func(c *Config) { c.ID = "a,b" },
		"no data":        func(c *Config) { c.DataDir = "" },
		"bad raft addr":  func(c *Config) { c.RaftAddr = "nowhere" },
		"no broker":      func(c *Config) { c.Brokers = nil },
		"role mismatch":  func(c *Config) { c.Peers = []Peer{{ID: "a", Addr: "127.0.0.1:3", Replica: true}} },
		"unknown role":   func(c *Config) { c.Role = "observer" },
		"group spaces":   func(c *Config) { c.Group = "a b" },
		"no group":       func(c *Config) { c.Group = "" },
		"peer twice":     func(c *Config) { c.Peers = []Peer{{ID: "a", Addr: "x:1"}, {ID: "a", Addr: "x:2"}} },
		"zero heartbeat": func(c *Config) { c.HeartbeatTimeout = 0 },
		"lease > beat":   func(c *Config) { c.LeaderLeaseTimeout = 2 * c.HeartbeatTimeout },
		"no concurrency": func(c *Config) { c.WriteConcurrency = 0 },
	} {
		c := good
		change(&c)
		if err := c.Validate(); !errors.Is(err, ErrConfig) {
			t.Errorf("%s: %v, want ErrConfig", name, err)
		}
	}
	if _, err := ParsePeers("a=127.0.0.1:1,b"); !errors.Is(err, ErrConfig) {
		t.Errorf("bad peers: %v", err)
	}
	if p, err := ParsePeers("a=127.0.0.1:1, b=127.0.0.1:2/replica"); err != nil || len(p) != 2 || p[1] != (Peer{ID: "b", Addr: "127.0.0.1:2", Replica: true}) || p[0].Replica {
		t.Errorf("peers: %v %v", p, err)
	}
	notMe := good
	notMe.Peers = []Peer{{ID: "b", Addr: "127.0.0.1:3"}}
	if err := notMe.Validate(); err != nil {
		t.Errorf("peers without this node (it waits to be added): %v", err)
	}
}
