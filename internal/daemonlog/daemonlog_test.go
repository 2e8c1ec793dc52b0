package daemonlog

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestCheck(t *testing.T) {
	if err := Check("warn", "json"); err != nil {
		t.Fatal(err)
	}
	err := Check("loud", "xml")
	if err == nil || !strings.Contains(err.Error(), `log level "loud"`) || !strings.Contains(err.Error(), `log format "xml"`) {
		t.Fatalf("got %v, want both settings named", err)
	}
}

func TestNew(t *testing.T) {
	var b bytes.Buffer
	log := New("warn", "json", &b)
	log.Info("dropped")
	log.Warn("kept")
	var line map[string]any
	if err := json.Unmarshal(bytes.TrimSpace(b.Bytes()), &line); err != nil {
		t.Fatalf("want one JSON line, got %q: %v", b.String(), err)
	}
	if line["msg"] != "kept" || line["level"] != "warn" {
		t.Fatalf("got %v", line)
	}
	b.Reset()
	New("info", "console", &b).Info("hello")
	if !strings.Contains(b.String(), "INFO\thello") {
		t.Fatalf("console line %q", b.String())
	}
}
