package clients

import (
	"time"

	"go.uber.org/zap"

	"github.com/majordomo-go/majordomo/internal/curveclient"
)

// WithCurve makes every connection to a broker a CURVE connection
// (encrypted, and authenticated by the client's key): serverPublicKey is
// the broker's public key, publicKey and secretKey the client's own key
// pair, each in ZeroMQ's Z85 text (40 characters). New reports a key that
// is not Z85, or a public key that does not belong to the secret key.
//
// A broker that refuses the client's key, or whose key is not
// serverPublicKey, never completes the connection: to the Client it is an
// unreachable broker (attempts time out there and the request moves on to
// the next broker), and with the extension protocol a warning is logged at
// most once a minute per broker while requests cannot reach it.
func WithCurve(serverPublicKey, publicKey, secretKey string) Option {
	return func(o *options) error {
		o.curveSet++
		k, err := curveclient.FromZ85(serverPublicKey, publicKey, secretKey)
		if err != nil {
			return err
		}
		o.curve = k
		return nil
	}
}

// WithCurveKeyFiles is WithCurve with the keys read from files (as
// "mdcli keygen FILE" writes them): the broker's public key from
// serverPublicKeyFile (its FILE.pub), the client's key pair from its
// secret key file secretKeyFile. New refuses a secret key file that users
// other than its owner may read or write.
func WithCurveKeyFiles(serverPublicKeyFile, secretKeyFile string) Option {
	return func(o *options) error {
		o.curveSet++
		k, err := curveclient.FromFiles(serverPublicKeyFile, secretKeyFile)
		if err != nil {
			return err
		}
		o.curve = k
		return nil
	}
}

// curveWarnEvery is how often, at most, the Client warns that a broker
// has no CURVE connection.
const curveWarnEvery = time.Minute

// warnNoConnection is called when an attempt timed out before broker b's
// socket would take it (extension sockets refuse messages while they have
// no connection). Without CURVE that is an unreachable (or overloaded)
// broker and the Client stays quiet, as before; with CURVE it is also what
// a refused key or a wrong broker key looks like, which the operator
// should hear about.
func (l *loop) warnNoConnection(b int, now time.Time) {
	if l.o.curve == nil {
		return
	}
	if last := l.curveWarned[b]; !last.IsZero() && now.Sub(last) < curveWarnEvery {
		return
	}
	l.curveWarned[b] = now
	l.log.Warn("clients: no CURVE connection to the broker: it is unreachable, or it refused our key, or its key is not the one we were given",
		zap.String("broker", l.c.brokers[b]), zap.Stringer("public_key", l.o.curve.Public))
}
