package kv

import (
	"github.com/majordomo-go/majordomo/clients"
	"github.com/majordomo-go/majordomo/internal/curveclient"
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

// clientCurve are the clients options of the CURVE keys (none without).
func (c *Config) clientCurve() []clients.Option {
	if !c.curve() {
		return nil
	}
	return []clients.Option{clients.WithCurve(c.CurveServerKey, c.CurvePublicKey, c.CurveSecretKey)}
}

// workerCurve are the workers options of the CURVE keys (none without).
func (c *Config) workerCurve() []workers.Option {
	if !c.curve() {
		return nil
	}
	return []workers.Option{workers.WithCurve(c.CurveServerKey, c.CurvePublicKey, c.CurveSecretKey)}
}
