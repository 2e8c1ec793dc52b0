package curveflags

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/majordomo-go/majordomo/internal/curvekey"
)

func TestCurveFlagsFallBackToEnvEachOnItsOwn(t *testing.T) {
	env := map[string]string{ServerKeyEnv: "env.pub", KeyEnv: "env.key"}
	getenv := func(k string) string { return env[k] }
	var f Files
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	f.Register(fs)
	if err := fs.Parse([]string{"--key", "flag.key"}); err != nil {
		t.Fatal(err)
	}
	if got := f.WithEnv(getenv); got != (Files{ServerKey: "env.pub", Key: "flag.key"}) {
		t.Fatalf("WithEnv = %+v", got)
	}
	if got := (Files{}).WithEnv(func(string) string { return "" }); got.Enabled() || got.Check() != nil || got.ClientOptions() != nil || got.WorkerOptions() != nil {
		t.Fatalf("no flags, no env: %+v enabled", got)
	}
}

func TestCurveFlagsCheck(t *testing.T) {
	dir := t.TempDir()
	key := filepath.Join(dir, "me.key")
	if _, err := curvekey.Generate(key); err != nil {
		t.Fatal(err)
	}
	good := Files{ServerKey: curvekey.PublicPath(key), Key: key}
	if err := good.Check(); err != nil || len(good.ClientOptions()) != 1 || len(good.WorkerOptions()) != 1 {
		t.Fatalf("Check = %v", err)
	}
	server, public, secret, err := good.Z85()
	if err != nil || server != public || len(secret) != 40 || secret == public {
		t.Fatalf("Z85 = %q %q %q, %v", server, public, secret, err)
	}
	if err := (Files{Key: key}).Check(); err == nil || !strings.Contains(err.Error(), "--server-key") {
		t.Fatalf("key alone: %v", err)
	}
	if err := (Files{ServerKey: key + ".pub"}).Check(); err == nil || !strings.Contains(err.Error(), "--key") {
		t.Fatalf("server key alone: %v", err)
	}
	if err := os.Chmod(key, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := good.Check(); !errors.Is(err, curvekey.ErrExposed) {
		t.Fatalf("exposed secret: %v", err)
	}
}
