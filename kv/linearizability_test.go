package kv

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"

	"github.com/majordomo-go/majordomo/broker/brokertest"
)

// The history check: put, linearizable get and cas on a few keys from
// concurrent clients, while the leader is killed (-9) and restarted again
// and again; porcupine must find the history linearizable.

type regInput struct {
	Op     string // get, put, cas
	Key    string
	Value  string // put, cas: the new value
	Expect string // cas: the expected value
}

type regOutput struct {
	Unknown bool // the write's outcome is unknown (it failed): it may or may not have happened
	Found   bool // get: the key exists
	Value   string
	OK      bool // cas: it held
}

type regState struct {
	Present bool
	Value   string
}

var registerModel = porcupine.NondeterministicModel{
	Partition: func(h []porcupine.Operation) [][]porcupine.Operation {
		byKey := map[string][]porcupine.Operation{}
		for _, op := range h {
			k := op.Input.(regInput).Key
			byKey[k] = append(byKey[k], op)
		}
		var out [][]porcupine.Operation
		for _, ops := range byKey {
			out = append(out, ops)
		}
		return out
	},
	Init: func() []any { return []any{regState{}} },
	Step: func(state, input, output any) []any {
		s, in, out := state.(regState), input.(regInput), output.(regOutput)
		switch in.Op {
		case "get":
			if out.Found == s.Present && (!s.Present || out.Value == s.Value) {
				return []any{s}
			}
			return nil
		case "put":
			return []any{regState{true, in.Value}}
		default: // cas on the value
			holds := s.Present && s.Value == in.Expect
			next := s
			if holds {
				next = regState{true, in.Value}
			}
			switch {
			case out.Unknown:
				return []any{next}
			case out.OK == holds:
				return []any{next}
			}
			return nil
		}
	},
}

// The model must be able to say no: a read of a value never written, or a
// stale read after a completed write.
func TestRegisterModelRejects(t *testing.T) {
	bad := []porcupine.Operation{
		{Input: regInput{Op: "put", Key: "a", Value: "1"}, Call: 0, Output: regOutput{}, Return: 10},
		{Input: regInput{Op: "get", Key: "a"}, Call: 20, Output: regOutput{Found: false}, Return: 30},
	}
	if porcupine.CheckOperations(registerModel.ToModel(), bad) {
		t.Fatal("a read that misses a completed write passed")
	}
	good := append(bad[:1:1], porcupine.Operation{Input: regInput{Op: "get", Key: "a"}, Call: 5, Output: regOutput{Found: false}, Return: 30})
	if !porcupine.CheckOperations(registerModel.ToModel(), good) {
		t.Fatal("a concurrent read that misses the write failed")
	}
}

func TestLinearizableUnderLeaderKills(t *testing.T) {
	pc := startProcCluster(t, 3)
	keys := []string{"x", "y", "z"}
	var (
		mu      sync.Mutex
		history []porcupine.Operation
		failed  int
	)
	record := func(op porcupine.Operation) {
		mu.Lock()
		history = append(history, op)
		mu.Unlock()
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for client := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(client), 7))
			seen := map[string]string{} // the last value this client read per key: cas expects it
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				in := regInput{Key: keys[rng.IntN(len(keys))], Value: fmt.Sprintf("%d-%d", client, i)}
				switch r := rng.IntN(10); {
				case r < 4:
					in.Op = "get"
				case r < 7:
					in.Op = "put"
				default:
					in.Op, in.Expect = "cas", seen[in.Key]
				}
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				call := time.Now().UnixNano()
				out, err := doRegisterOp(ctx, pc.kv, in)
				ret := time.Now().UnixNano()
				cancel()
				if err != nil {
					mu.Lock()
					failed++
					mu.Unlock()
					if in.Op == "get" {
						continue // a failed read changed nothing
					}
					out, ret = regOutput{Unknown: true}, math.MaxInt64
				}
				if in.Op == "get" && out.Found {
					seen[in.Key] = out.Value
				}
				record(porcupine.Operation{ClientId: client, Input: in, Call: call, Output: out, Return: ret})
			}
		}()
	}
	for round := range 3 {
		old := pc.leader()
		pc.kill9(old)
		mu.Lock()
		n := len(history)
		mu.Unlock()
		brokertest.WaitFor(t, "operations after the kill", func() bool {
			mu.Lock()
			defer mu.Unlock()
			return len(history) >= n+100
		})
		pc.start(old)
		pc.waitWorkers(3)
		t.Logf("round %d: killed and restarted %s", round+1, old)
	}
	close(stop)
	wg.Wait()
	casOK := 0
	for _, op := range history {
		if op.Input.(regInput).Op == "cas" && op.Output.(regOutput).OK {
			casOK++
		}
	}
	t.Logf("%d operations (%d successful cas), %d failed", len(history), casOK, failed)
	if casOK == 0 {
		t.Error("no cas succeeded: the history does not exercise cas")
	}
	if failed > len(history)/10 {
		t.Errorf("%d of %d operations failed", failed, len(history))
	}
	res, _ := porcupine.CheckOperationsVerbose(registerModel.ToModel(), history, time.Minute)
	if res != porcupine.Ok {
		t.Fatalf("history of %d operations: %s, want linearizable", len(history), res)
	}
}

func doRegisterOp(ctx context.Context, kc *Client, in regInput) (regOutput, error) {
	switch in.Op {
	case "get":
		g, err := kc.Get(ctx, []byte(in.Key), Linearizable())
		if errors.Is(err, ErrNotFound) {
			return regOutput{}, nil
		}
		if err != nil {
			return regOutput{}, err
		}
		return regOutput{Found: true, Value: string(g.Value)}, nil
	case "put":
		_, err := kc.Put(ctx, []byte(in.Key), []byte(in.Value))
		return regOutput{OK: err == nil}, err
	default:
		_, err := kc.CAS(ctx, []byte(in.Key), IfValue([]byte(in.Expect)), []byte(in.Value))
		if errors.Is(err, ErrCASFailed) {
			return regOutput{}, nil
		}
		return regOutput{OK: err == nil}, err
	}
}
