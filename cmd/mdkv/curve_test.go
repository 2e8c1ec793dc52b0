package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/majordomo-go/majordomo/internal/curvekey"
)

// Each node takes its own key: --server-key and --key, else
// $MAJORDOMO_SERVER_KEY and $MAJORDOMO_KEY; an exposed secret key file or
// one key without the other is refused; an admin address beyond loopback
// needs a token (then the config carries the guard) or TLS.
func TestCurveFlags(t *testing.T) {
	dir := t.TempDir()
	node, broker := filepath.Join(dir, "a.key"), filepath.Join(dir, "broker.key")
	pair, err := curvekey.Generate(node)
	if err != nil {
		t.Fatal(err)
	}
	bp, err := curvekey.Generate(broker)
	if err != nil {
		t.Fatal(err)
	}
	withKeys := append(append([]string(nil), required...), "--server-key", curvekey.PublicPath(broker), "--key", node)
	o, _, err := parseOptions(withKeys, nil)
	if err != nil || o.cfg.CurveServerKey != bp.Public.String() || o.cfg.CurvePublicKey != pair.Public.String() || o.cfg.CurveSecretKey != pair.Secret.String() {
		t.Fatalf("flags: %v", err)
	}
	env := map[string]string{"MAJORDOMO_SERVER_KEY": curvekey.PublicPath(broker), "MAJORDOMO_KEY": node}
	if o, _, err := parseOptions(required, env); err != nil || o.cfg.CurvePublicKey != pair.Public.String() {
		t.Fatalf("environment: %v", err)
	}
	if o, _, err := parseOptions(required, nil); err != nil || o.cfg.CurveSecretKey != "" || o.cfg.AdminAuth != nil {
		t.Fatalf("no keys: %v", err)
	}
	token := filepath.Join(dir, "token")
	if err := os.WriteFile(token, []byte("t\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if o, _, err := parseOptions(append(append([]string(nil), required...), "--admin", "0.0.0.0:9560", "--admin-token-file", token), nil); err != nil || o.cfg.AdminAuth == nil {
		t.Fatalf("admin beyond loopback with a token: %v", err)
	}
	if err := os.Chmod(node, 0o604); err != nil {
		t.Fatal(err)
	}
	for want, args := range map[string][]string{
		"open to other users": withKeys,
		"--server-key":        append(append([]string(nil), required...), "--key", node),
		"--admin-token-file":  append(append([]string(nil), required...), "--admin", "0.0.0.0:9560"),
	} {
		if _, _, err := parseOptions(args, nil); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v; want an error with %q", args, err, want)
		}
	}
}
