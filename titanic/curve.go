package titanic

import (
	"fmt"

	"github.com/majordomo-go/majordomo/internal/curveclient"
	"github.com/majordomo-go/majordomo/internal/zsock"
	"github.com/majordomo-go/majordomo/workers"
)

// curve reports whether the config asks for CURVE.
func (c *Config) curve() bool {
	return curveclient.Configured(c.CurveServerKey, c.CurvePublicKey, c.CurveSecretKey)
}

// checkCurve says what is wrong with the CURVE keys: a missing one, text
// that is not Z85, or a public key that is not the secret key's.
func (c *Config) checkCurve() error {
	return curveclient.Check(c.CurveServerKey, c.CurvePublicKey, c.CurveSecretKey)
}

// workerCurve are the workers options of the CURVE keys (none without).
func (c *Config) workerCurve() []workers.Option {
	if !c.curve() {
		return nil
	}
	return []workers.Option{workers.WithCurve(c.CurveServerKey, c.CurvePublicKey, c.CurveSecretKey)}
}

// openDealer opens the dispatcher's DEALER to the broker on zctx, a CURVE
// client when the config has keys (zsock sockets have no linger).
func openDealer(zctx *zsock.Context, cfg *Config) (*zsock.Socket, error) {
	var keys *curveclient.Keys // nil: no CURVE
	if cfg.curve() {
		var err error
		if keys, err = curveclient.FromZ85(cfg.CurveServerKey, cfg.CurvePublicKey, cfg.CurveSecretKey); err != nil {
			return nil, fmt.Errorf("titanic: %w", err)
		}
	}
	s, err := zctx.NewSocket(zsock.DEALER)
	if err != nil {
		return nil, fmt.Errorf("titanic: socket: %w", err)
	}
	err = keys.Apply(s)
	if err == nil {
		err = s.Connect(cfg.Broker)
	}
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("titanic: %s: %w", cfg.Broker, err)
	}
	return s, nil
}
