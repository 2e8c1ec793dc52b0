package kv

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/majordomo-go/majordomo/internal/mdptest"
)

func httpGet(t *testing.T, url string) (int, string) {
	t.Helper()
	c := &http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// Every node serves /metrics, /livez and /readyz on its admin address;
// /readyz is 503 until the node has caught up and registered STORE.read.
func TestAdminEndpoint(t *testing.T) {
	c := startCluster(t, 3)
	for i := range c.nodes {
		c.stop(i)
		c.cfgs[i].AdminAddr = "127.0.0.1:0"
	}
	for i := range c.nodes {
		c.start(i)
	}
	c.waitReady()
	ctx := ctxFor(t, 20*time.Second)
	if _, err := c.kv.Put(ctx, []byte("k"), []byte("v")); err != nil {
		t.Fatal(err)
	}
	if _, err := c.kv.Get(ctx, []byte("absent")); err == nil {
		t.Fatal("get of an absent key succeeded")
	}
	lead := c.nodes[c.leader()]
	base := "http://" + lead.AdminAddr()
	if code, body := httpGet(t, base+"/livez"); code != 200 || body != "ok\n" {
		t.Fatalf("/livez: %d %q", code, body)
	}
	if code, _ := httpGet(t, base+"/readyz"); code != 200 {
		t.Fatalf("/readyz on a ready leader: %d", code)
	}
	code, body := httpGet(t, base+"/metrics")
	if code != 200 {
		t.Fatalf("/metrics: %d", code)
	}
	for _, want := range []string{"mdkv_raft_state 2", "mdkv_leader 1", "mdkv_ready 1", "mdkv_raft_term ",
		"mdkv_commit_index ", "mdkv_applied_index ", "mdkv_lag_entries ", "mdkv_snapshot_age_seconds ",
		"mdkv_last_contact_seconds 0", `mdkv_ops_total{op="put",outcome="ok"} 1`, `mdkv_op_duration_seconds_bucket{op="put",le=`} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	total := 0
	for _, n := range c.nodes {
		_, body := httpGet(t, "http://"+n.AdminAddr()+"/metrics")
		if strings.Contains(body, `mdkv_ops_total{op="get",outcome="not-found"} 1`) {
			total++
		}
	}
	if total != 1 {
		t.Errorf("the not-found get counted on %d nodes, want 1", total)
	}

	// A node waiting to be added: live, not ready.
	cfg := testConfig(t, "n9", t.TempDir(), mdptest.UnusedAddr(t), c.broker.Endpoint, c.cfgs[0].Peers)
	cfg.AdminAddr = "127.0.0.1:0"
	c.cfgs, c.nodes = append(c.cfgs, cfg), append(c.nodes, nil)
	c.start(len(c.nodes) - 1)
	n9 := c.nodes[len(c.nodes)-1]
	if code, _ := httpGet(t, "http://"+n9.AdminAddr()+"/livez"); code != 200 {
		t.Fatalf("/livez on a waiting node: %d", code)
	}
	if code, _ := httpGet(t, "http://"+n9.AdminAddr()+"/readyz"); code != 503 {
		t.Fatalf("/readyz on a node not yet added: %d, want 503", code)
	}
}
