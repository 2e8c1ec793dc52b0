package kv

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/hashicorp/raft"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/majordomo-go/majordomo/workers"
)

// metrics are the node's Prometheus metrics, in a registry of its own
// (served on Config.AdminAddr at /metrics).
type metrics struct {
	reg      *prometheus.Registry
	ops      *prometheus.CounterVec   // op, outcome
	duration *prometheus.HistogramVec // op
}

// knownOps bounds the op label: anything else counts as "invalid".
var knownOps = map[string]bool{OpGet: true, OpScan: true, OpStatus: true, OpPut: true, OpDelete: true,
	OpCAS: true, OpIncr: true, OpTransfer: true, OpAdd: true, OpRemove: true}

func (n *Node) newMetrics() *metrics {
	m := &metrics{reg: prometheus.NewRegistry()}
	m.ops = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "mdkv_ops_total",
		Help: "Requests served, by op and outcome (a reply status word, or the error's status code)."}, []string{"op", "outcome"})
	m.duration = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "mdkv_op_duration_seconds",
		Help: "Time to serve a request, by op.", Buckets: prometheus.ExponentialBuckets(0.0001, 4, 10)}, []string{"op"})
	stats := func(k string) func() float64 {
		return func() float64 { v, _ := strconv.ParseFloat(n.raft.Stats()[k], 64); return v }
	}
	gauge := func(name, help string, f func() float64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, f)
	}
	m.reg.MustRegister(m.ops, m.duration,
		gauge("mdkv_raft_state", "Raft state: 0 follower, 1 candidate, 2 leader, 3 shutdown.", func() float64 { return float64(n.raft.State()) }),
		gauge("mdkv_raft_term", "Current Raft term.", stats("term")),
		gauge("mdkv_commit_index", "Commit index as this node knows it.", stats("commit_index")),
		gauge("mdkv_applied_index", "Last index applied to the state machine.", func() float64 { return float64(n.Applied()) }),
		gauge("mdkv_lag_entries", "Commit index minus applied index on this node.", func() float64 {
			c, _ := strconv.ParseUint(n.raft.Stats()["commit_index"], 10, 64)
			return float64(c) - float64(n.Applied())
		}),
		gauge("mdkv_last_contact_seconds", "Time since the leader was last heard from (0 on the leader, -1 never).", func() float64 {
			if lc := n.lastContact(); lc >= 0 {
				return lc.Seconds()
			}
			return -1
		}),
		gauge("mdkv_snapshot_age_seconds", "Time since this process last took or restored a snapshot (-1: none).", func() float64 {
			if t := n.fsm.lastSnapshot.Load(); t > 0 {
				return time.Since(time.Unix(0, t)).Seconds()
			}
			return -1
		}),
		gauge("mdkv_last_snapshot_index", "Index of the latest snapshot.", stats("last_snapshot_index")),
		gauge("mdkv_ready", "1 once caught up and STORE.read is registered.", func() float64 { return boolFloat(n.Ready()) }),
		gauge("mdkv_leader", "1 while this node leads.", func() float64 { return boolFloat(n.raft.State() == raft.Leader) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "mdkv_stale_refused_total",
			Help: "Reads refused because of --max-staleness."}, func() float64 { return float64(n.staleRefused.Load()) }),
	)
	return m
}

func boolFloat(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// instrument counts and times every request h serves.
func (n *Node) instrument(h workers.HandlerFunc) workers.HandlerFunc {
	return func(ctx context.Context, req *workers.Request) ([][]byte, error) {
		op := "invalid"
		if len(req.Body) > 0 && knownOps[string(req.Body[0])] {
			op = string(req.Body[0])
		}
		start := time.Now()
		reply, err := h(ctx, req)
		n.metrics.duration.WithLabelValues(op).Observe(time.Since(start).Seconds())
		n.metrics.ops.WithLabelValues(op, outcome(reply, err)).Inc()
		return reply, err
	}
}

func outcome(reply [][]byte, err error) string {
	var werr *workers.Error
	switch {
	case err == nil && len(reply) > 0 && len(reply[0]) <= 16:
		return string(reply[0])
	case errors.As(err, &werr):
		return strconv.Itoa(int(werr.Status))
	case errors.Is(err, context.DeadlineExceeded):
		return "504"
	}
	return "500"
}
