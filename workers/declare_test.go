package workers

import (
	"strings"
	"testing"

	"github.com/majordomo-go/majordomo/mdp"
)

// The declaration options are checked when the worker is made: they need
// the extension and must fit the ready info frame.
func TestDeclarationOptionsAreChecked(t *testing.T) {
	big := map[string]string{"k": strings.Repeat("v", mdp.MaxReadyInfo)}
	for _, tc := range []struct {
		name string
		opts []Option
		want string
	}{
		{"mode needs ext", []Option{WithMode(mdp.ModeStrict), WithProtocol(ProtocolV02)}, "need MDP/0.2+ext"},
		{"name needs ext", []Option{WithName("w"), WithProtocol(ProtocolV01)}, "need MDP/0.2+ext"},
		{"unknown mode", []Option{WithMode(mdp.Mode(9))}, "unknown"},
		{"long name", []Option{WithName(strings.Repeat("n", 256))}, "at most 255 bytes"},
		{"empty key", []Option{WithMetadata(map[string]string{"": "v"})}, "metadata key"},
		{"too big", []Option{WithMetadata(big)}, "over 4096"},
		{"not UTF-8", []Option{WithVersion("\xff")}, "UTF-8"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New([]string{"tcp://127.0.0.1:1"}, "svc", tc.opts...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("New: %v, want %q", err, tc.want)
			}
		})
	}
	md := map[string]string{"dc": "par1"}
	w, err := New([]string{"tcp://127.0.0.1:1"}, "svc", WithMode(mdp.ModeExclusive), WithName("w1"), WithVersion("1.0"), WithMetadata(md))
	if err != nil {
		t.Fatal(err)
	}
	md["dc"] = "changed"
	m := mdp.Message{Version: mdp.V02, Kind: mdp.WorkerReady, Ext: true, Service: "svc", Tier: 1, Capacity: 1}
	w.cfg.info.apply(&m)
	if m.Mode != mdp.ModeExclusive || m.WorkerName != "w1" || m.WorkerVersion != "1.0" || m.Metadata["dc"] != "par1" {
		t.Fatalf("declared %+v", m)
	}
}
