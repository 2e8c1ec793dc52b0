package workers

import (
	"time"

	"go.uber.org/zap"

	"github.com/majordomo-go/majordomo/internal/curveclient"
)

// WithCurve makes every connection to a broker, reconnections included, a
// CURVE connection (encrypted, and authenticated by the worker's key):
// serverPublicKey is the broker's public key, publicKey and secretKey the
// worker's own key pair, each in ZeroMQ's Z85 text (40 characters). New
// reports a key that is not Z85, or a public key that does not belong to
// the secret key.
//
// A broker that refuses the worker's key, or whose key is not
// serverPublicKey, never completes the connection: the worker sees an
// unreachable broker (it reconnects with backoff, warns "broker silent"
// with a hint that says so, and WithUnreachableTimeout and
// WithExitWhenUnreachable apply).
func WithCurve(serverPublicKey, publicKey, secretKey string) Option {
	return func(c *config) error {
		c.curveSet++
		k, err := curveclient.FromZ85(serverPublicKey, publicKey, secretKey)
		if err != nil {
			return err
		}
		c.curve = k
		return nil
	}
}

// WithCurveKeyFiles is WithCurve with the keys read from files (as
// "mdcli keygen FILE" writes them): the broker's public key from
// serverPublicKeyFile (its FILE.pub), the worker's key pair from its
// secret key file secretKeyFile. New refuses a secret key file that users
// other than its owner may read or write.
func WithCurveKeyFiles(serverPublicKeyFile, secretKeyFile string) Option {
	return func(c *config) error {
		c.curveSet++
		k, err := curveclient.FromFiles(serverPublicKeyFile, secretKeyFile)
		if err != nil {
			return err
		}
		c.curve = k
		return nil
	}
}

// silenceFields describe a broker that went silent. A CURVE connection
// that never heard from its broker may have been refused (our key not
// allowed, or the broker's key not the one we were given): libzmq retries
// such a handshake without telling us, so the warning says it may be so.
func (c *conn) silenceFields(now time.Time) []zap.Field {
	f := []zap.Field{zap.Duration("silence", now.Sub(c.lastRecv))}
	if c.cfg.curve != nil && !c.joined {
		f = append(f, zap.String("hint", "no answer on this CURVE connection: the broker may be down, or refuse our key, or have another key than the one we were given"),
			zap.Stringer("public_key", c.cfg.curve.Public))
	}
	return f
}
