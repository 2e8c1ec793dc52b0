package kv

import (
	"encoding/json"
	"fmt"

	"github.com/google/uuid"
)

// command is a write as it travels in the Raft log: the parsed request,
// its idempotency key and the leader's clock when it was proposed. Every
// replica applies the same bytes, so everything Apply decides (including
// which de-duplication entries to prune) depends on these fields only.
type command struct {
	Op      string    `json:"op"`
	RID     uuid.UUID `json:"rid"`
	Key     []byte    `json:"key"`
	Value   []byte    `json:"value,omitempty"`
	Mode    string    `json:"mode,omitempty"`
	Expect  []byte    `json:"expect,omitempty"`
	Version uint64    `json:"version,omitempty"`
	Delta   int64     `json:"delta,omitempty"`
	Stamp   int64     `json:"stamp"` // leader's Unix time in ns at proposal
}

// opBarrier is the command a new leader applies before it serves: no
// effect, no reply; it never comes from the wire.
const opBarrier = "barrier"

func newCommand(r *Request, rid uuid.UUID, stamp int64) *command {
	return &command{Op: r.Op, RID: rid, Key: r.Key, Value: r.Value, Mode: r.Mode,
		Expect: r.Expect, Version: r.Version, Delta: r.Delta, Stamp: stamp}
}

func (c *command) encode() ([]byte, error) { return json.Marshal(c) }

func decodeCommand(b []byte) (*command, error) {
	var c command
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("kv: undecodable log entry: %w", err)
	}
	return &c, nil
}
