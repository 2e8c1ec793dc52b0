package main

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func tokenFile(t *testing.T, token string, mode os.FileMode) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "admin.token")
	if err := os.WriteFile(path, []byte(token+"\n"), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
	return path
}

// --admin beyond loopback without a token or TLS is a startup error that
// says what to add; with a token file (flag or environment) it starts; a
// token file open to others is refused. Nothing is bound here.
func TestAdminAuthOptions(t *testing.T) {
	_, _, err := parseOptions([]string{"--admin", "0.0.0.0:9555"}, nil, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "--admin-token-file") {
		t.Fatalf("--admin 0.0.0.0:9555 alone: %v", err)
	}
	good := tokenFile(t, "tok", 0o600)
	o, _, err := parseOptions([]string{"--admin", "0.0.0.0:9555", "--admin-token-file", good}, nil, io.Discard)
	if err != nil || o.adminGuard == nil || !o.adminGuard.Enabled() {
		t.Fatalf("with a token file: %v", err)
	}
	o, _, err = parseOptions([]string{"--admin", "[::]:9555"}, map[string]string{"MDBROKER_ADMIN_TOKEN_FILE": good}, io.Discard)
	if err != nil || o.adminGuard == nil || !o.adminGuard.Enabled() {
		t.Fatalf("with MDBROKER_ADMIN_TOKEN_FILE: %v", err)
	}
	_, _, err = parseOptions([]string{"--admin", "0.0.0.0:9555", "--admin-token-file", tokenFile(t, "tok", 0o644)}, nil, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "open to other users") {
		t.Fatalf("token file 0644: %v", err)
	}
	if _, _, err := parseOptions([]string{"--admin", "off"}, nil, io.Discard); err != nil {
		t.Fatalf("--admin off: %v", err)
	}
	if o, _, err := parseOptions(nil, nil, io.Discard); err != nil || o.adminGuard.Enabled() {
		t.Fatalf("default loopback admin: %v", err)
	}
}

func getWithToken(t *testing.T, url, token string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := (&http.Client{Timeout: waitLong}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// A token configured on a loopback admin address is enforced there too
// (the path an address beyond loopback takes): 401 without it or with a
// wrong one, 200 with it; --admin-metrics-open leaves /metrics and /livez
// open and the status API guarded.
func TestAdminAuthDaemon(t *testing.T) {
	var logs logBuffer
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	args := append(append([]string(nil), testArgs...), "--admin-token-file", tokenFile(t, "s3cret", 0o600), "--admin-metrics-open")
	code := make(chan int, 1)
	go func() { code <- run(ctx, args, nil, io.Discard, &logs) }()
	_, admin := logs.started(t)
	base := "http://" + admin
	for _, tc := range []struct {
		path, token string
		want        int
	}{
		{"/api/status", "", 401}, {"/api/status", "wrong", 401}, {"/api/status", "s3cret", 200},
		{"/", "", 401}, {"/metrics", "", 200}, {"/livez", "", 200},
	} {
		if got := getWithToken(t, base+tc.path, tc.token); got != tc.want {
			t.Errorf("GET %s with %q: %d, want %d", tc.path, tc.token, got, tc.want)
		}
	}
	cancel()
	select {
	case got := <-code:
		if got != 0 {
			t.Fatalf("exit code %d; logs:\n%s", got, logs.String())
		}
	case <-time.After(waitLong):
		t.Fatal("run did not return")
	}
}
