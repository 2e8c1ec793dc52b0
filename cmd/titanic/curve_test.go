package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/majordomo-go/majordomo/internal/curvekey"
)

// --server-key and --key (else $MAJORDOMO_SERVER_KEY and $MAJORDOMO_KEY)
// fill the config's CURVE keys; an exposed secret key file, or one key
// without the other, is a usage error (exit 2); so is an admin address
// beyond loopback without a token or TLS.
func TestCurveFlags(t *testing.T) {
	dir := t.TempDir()
	key := filepath.Join(dir, "titanic.key")
	pair, err := curvekey.Generate(key)
	if err != nil {
		t.Fatal(err)
	}
	brokerKey := filepath.Join(dir, "broker.key")
	broker, err := curvekey.Generate(brokerKey)
	if err != nil {
		t.Fatal(err)
	}
	o, err := parseOptions([]string{"--data", "d", "--server-key", curvekey.PublicPath(brokerKey), "--key", key}, nil, &bytes.Buffer{})
	if err != nil || o.cfg.CurveServerKey != broker.Public.String() || o.cfg.CurvePublicKey != pair.Public.String() || o.cfg.CurveSecretKey != pair.Secret.String() {
		t.Fatalf("flags: %+v, %v", o.cfg, err)
	}
	o, err = parseOptions([]string{"--data", "d"}, []string{"MAJORDOMO_SERVER_KEY=" + curvekey.PublicPath(brokerKey), "MAJORDOMO_KEY=" + key}, &bytes.Buffer{})
	if err != nil || o.cfg.CurvePublicKey != pair.Public.String() {
		t.Fatalf("environment: %+v, %v", o.cfg, err)
	}
	if o, err := parseOptions([]string{"--data", "d"}, nil, &bytes.Buffer{}); err != nil || o.cfg.CurveSecretKey != "" {
		t.Fatalf("no keys: %v", err)
	}
	if err := os.Chmod(key, 0o640); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--data", "d", "--server-key", curvekey.PublicPath(brokerKey), "--key", key}, "open to other users"},
		{[]string{"--data", "d", "--key", key}, "--server-key"},
		{[]string{"--data", "d", "--admin", "0.0.0.0:9556"}, "--admin-token-file"},
	} {
		var stderr bytes.Buffer
		if code := run(context.Background(), tc.args, nil, &stderr); code != 2 || !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("%q: exit %d, %q; want 2 and %q", tc.args, code, stderr.String(), tc.want)
		}
	}
}
