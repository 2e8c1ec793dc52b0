// Package curveflags is the --server-key and --key flags that every
// command talking to a broker takes (mdcli, mdkv, titanic, mdbench), with
// their environment variables, turned into the SDKs' CURVE options.
//
//	--server-key FILE   the broker's public key file (as "mdcli keygen"
//	                    writes it: BROKER.pub); else $MAJORDOMO_SERVER_KEY
//	--key FILE          the command's own secret key file (mode 0600; its
//	                    public key is FILE.pub); else $MAJORDOMO_KEY
//
// Each flag falls back to its variable on its own (a flag wins over its
// variable). Both or neither must end up set: with neither, connections
// are plain, as before.
package curveflags

import (
	"flag"
	"fmt"

	"github.com/majordomo-go/majordomo/clients"
	"github.com/majordomo-go/majordomo/internal/curveclient"
	"github.com/majordomo-go/majordomo/workers"
)

// The environment variables read when the flags are absent.
const (
	ServerKeyEnv = "MAJORDOMO_SERVER_KEY"
	KeyEnv       = "MAJORDOMO_KEY"
)

// Files are the two key file paths.
type Files struct {
	ServerKey string // the broker's public key file
	Key       string // the own secret key file
}

// Register defines --server-key and --key on fs, into f.
func (f *Files) Register(fs *flag.FlagSet) {
	fs.StringVar(&f.ServerKey, "server-key", "", "the broker's CURVE public key `file` (BROKER.pub, from mdcli keygen); default $"+ServerKeyEnv+"; with --key, connections to brokers use CURVE")
	fs.StringVar(&f.Key, "key", "", "this program's CURVE secret key `file` (mode 0600, from mdcli keygen FILE); default $"+KeyEnv)
}

// WithEnv fills what the flags left empty from the environment.
func (f Files) WithEnv(getenv func(string) string) Files {
	if f.ServerKey == "" {
		f.ServerKey = getenv(ServerKeyEnv)
	}
	if f.Key == "" {
		f.Key = getenv(KeyEnv)
	}
	return f
}

// Enabled reports whether CURVE was asked for.
func (f Files) Enabled() bool { return f.ServerKey != "" || f.Key != "" }

// Check says what is wrong with f: one file without the other, or a file
// that cannot be read, is not a key, or (the secret key) is open to other
// users. Nil when both are good or neither is set.
func (f Files) Check() error {
	if !f.Enabled() {
		return nil
	}
	switch {
	case f.ServerKey == "":
		return fmt.Errorf("--key needs --server-key (the broker's public key file; or $%s)", ServerKeyEnv)
	case f.Key == "":
		return fmt.Errorf("--server-key needs --key (this program's secret key file, from mdcli keygen; or $%s)", KeyEnv)
	}
	_, err := curveclient.FromFiles(f.ServerKey, f.Key)
	return err
}

// ClientOptions are the clients options for f (none without CURVE).
func (f Files) ClientOptions() []clients.Option {
	if !f.Enabled() {
		return nil
	}
	return []clients.Option{clients.WithCurveKeyFiles(f.ServerKey, f.Key)}
}

// WorkerOptions are the workers options for f (none without CURVE).
func (f Files) WorkerOptions() []workers.Option {
	if !f.Enabled() {
		return nil
	}
	return []workers.Option{workers.WithCurveKeyFiles(f.ServerKey, f.Key)}
}

// Z85 reads the key files and returns the three keys in Z85: the
// broker's public key and this program's key pair, for configs that take
// keys as text (titanic.Config). Empty strings without CURVE.
func (f Files) Z85() (server, public, secret string, err error) {
	if !f.Enabled() {
		return "", "", "", nil
	}
	if err := f.Check(); err != nil {
		return "", "", "", err
	}
	k, err := curveclient.FromFiles(f.ServerKey, f.Key)
	if err != nil {
		return "", "", "", err
	}
	return k.Server.String(), k.Public.String(), k.Secret.String(), nil
}
