package kv

import (
	"testing"

	"github.com/hashicorp/go-hclog"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

func TestHclogToZap(t *testing.T) {
	core, logs := observer.New(zapcore.InfoLevel)
	h := newHclog(zap.New(core)).Named("raft").With("node", "a")
	h.Debug("hidden")
	h.Warn("failed to contact", "server-id", "b", "time", 3, "servers", hclog.Fmt("%d servers", 3))
	h.Error("odd", "dangling")
	h.StandardLogger(nil).Print("from the standard logger")
	if h.IsDebug() || !h.IsInfo() || h.GetLevel() != hclog.Info || h.Name() != "raft" {
		t.Fatalf("levels or name wrong: %v %q", h.GetLevel(), h.Name())
	}
	all := logs.All()
	if len(all) != 3 {
		t.Fatalf("%d entries, want 3 (debug filtered): %+v", len(all), all)
	}
	w := all[0]
	if w.Level != zapcore.WarnLevel || w.Message != "failed to contact" || w.LoggerName != "raft" {
		t.Fatalf("entry %+v", w)
	}
	f := w.ContextMap()
	if f["node"] != "a" || f["server-id"] != "b" || f["servers"] != "3 servers" || f["time"] != int64(3) && f["time"] != 3 {
		t.Fatalf("fields %v", f)
	}
	if all[1].ContextMap()["extra"] != "dangling" || all[2].Message != "from the standard logger" {
		t.Fatalf("entries %+v", all[1:])
	}
}
