package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/majordomo-go/majordomo/internal/curveflags"
	"github.com/majordomo-go/majordomo/internal/curvekey"
	"github.com/majordomo-go/majordomo/internal/mdptest"
)

// mdcli keygen FILE writes the secret key (0600) and FILE.pub (0644),
// prints the public key and both paths, and never overwrites.
func TestCurveKeygen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "me.key")
	code, stdout, stderr := invocation{}.do(t, "keygen", path)
	if code != exitOK {
		t.Fatalf("keygen: exit %d, %q", code, stderr)
	}
	pair, err := curvekey.LoadSecret(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{pair.Public.String(), path, curvekey.PublicPath(path)} {
		if !strings.Contains(stdout, want) {
			t.Errorf("keygen printed %q; want %q in it", stdout, want)
		}
	}
	for file, mode := range map[string]os.FileMode{path: 0o600, curvekey.PublicPath(path): 0o644} {
		if info, err := os.Stat(file); err != nil || info.Mode().Perm() != mode {
			t.Errorf("%s: %v, %v; want mode %04o", file, info.Mode(), err, mode)
		}
	}
	code, _, stderr = invocation{}.do(t, "keygen", path)
	if code == exitOK || !strings.Contains(stderr, "exists") {
		t.Fatalf("keygen over an existing file: exit %d, %q", code, stderr)
	}
	if again, err := curvekey.LoadSecret(path); err != nil || again != pair {
		t.Fatalf("a refused keygen changed the key: %v", err)
	}

	other := filepath.Join(t.TempDir(), "other.key")
	code, stdout, _ = invocation{}.do(t, "--json", "keygen", other)
	var out map[string]string
	if err := json.Unmarshal([]byte(stdout), &out); code != exitOK || err != nil || out["secret_key_file"] != other || len(out["public_key"]) != 40 {
		t.Fatalf("keygen --json: exit %d, %q, %v", code, stdout, err)
	}
	if code, _, stderr := (invocation{}).do(t, "keygen"); code != exitUsage || !strings.Contains(stderr, "FILE") {
		t.Fatalf("keygen without FILE: exit %d, %q", code, stderr)
	}
}

// writePublic writes a public key file for k.
func writePublic(t *testing.T, k mdptest.CurvePair) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "broker.key.pub")
	if err := os.WriteFile(path, []byte(k.Public.String()+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// mdcli --server-key --key calls through a CURVE broker that lets the key
// in, and so do $MAJORDOMO_SERVER_KEY and $MAJORDOMO_KEY; without keys the
// broker is unreachable (a timeout, exit 3).
func TestCurveCall(t *testing.T) {
	key := filepath.Join(t.TempDir(), "me.key")
	pair, err := curvekey.Generate(key)
	if err != nil {
		t.Fatal(err)
	}
	b := mdptest.StartCurve(t, pair.Public)
	brokerPub := writePublic(t, b.Keys)
	code, stdout, stderr := invocation{}.do(t, "--broker", b.Endpoint, "--server-key", brokerPub, "--key", key, "call", "svc", "hi")
	if code != exitOK || stdout != "echo\nhi\n" {
		t.Fatalf("with flags: exit %d, %q, %q", code, stdout, stderr)
	}
	env := invocation{env: map[string]string{brokerEnv: b.Endpoint, curveflags.ServerKeyEnv: brokerPub, curveflags.KeyEnv: key}}
	if code, stdout, stderr := env.do(t, "call", "svc", "env"); code != exitOK || stdout != "echo\nenv\n" {
		t.Fatalf("from the environment: exit %d, %q, %q", code, stdout, stderr)
	}
	if b.From(pair.Public) < 2 {
		t.Fatalf("the broker saw %v", b.Senders())
	}
	if code, _, stderr := (invocation{}).do(t, "--broker", b.Endpoint, "--timeout", "300ms", "call", "svc", "plain"); code != exitTimeout {
		t.Fatalf("without keys: exit %d, %q; want a timeout", code, stderr)
	}
}

// A secret key file open to other users, a key without the broker's, and
// a missing key file are usage errors that say what is wrong; offline
// commands do not read the keys.
func TestCurveKeyFlagsRefused(t *testing.T) {
	key := filepath.Join(t.TempDir(), "me.key")
	if _, err := curvekey.Generate(key); err != nil {
		t.Fatal(err)
	}
	pub := curvekey.PublicPath(key)
	if code, _, stderr := (invocation{}).do(t, "--key", key, "services"); code != exitUsage || !strings.Contains(stderr, "--server-key") {
		t.Fatalf("--key alone: exit %d, %q", code, stderr)
	}
	if code, _, stderr := (invocation{}).do(t, "--server-key", pub, "--key", key+".missing", "services"); code != exitUsage || !strings.Contains(stderr, "no such file") {
		t.Fatalf("missing key file: exit %d, %q", code, stderr)
	}
	if err := os.Chmod(key, 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := invocation{}.do(t, "--server-key", pub, "--key", key, "call", "svc")
	if code != exitUsage || !strings.Contains(stderr, "open to other users") {
		t.Fatalf("exposed secret key: exit %d, %q", code, stderr)
	}
	env := invocation{env: map[string]string{curveflags.ServerKeyEnv: pub, curveflags.KeyEnv: key}}
	if code, _, stderr := env.do(t, "kv", "get", "k"); code != exitUsage || !strings.Contains(stderr, "open to other users") {
		t.Fatalf("exposed secret key from the environment: exit %d, %q", code, stderr)
	}
	if code, stdout, _ := env.do(t, "completion", "bash"); code != exitOK || !strings.Contains(stdout, "--server-key") {
		t.Fatalf("completion with bad keys in the environment: exit %d", code)
	}
}
