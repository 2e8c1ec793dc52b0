package titanic

import (
	"fmt"

	zmq "github.com/pebbe/zmq4"

	"github.com/majordomo-go/majordomo/internal/curveclient"
	"github.com/majordomo-go/majordomo/workers"
)

// curve reports whether the config asks for CURVE.
func (c *Config) curve() bool {
	return c.CurveServerKey != "" || c.CurvePublicKey != "" || c.CurveSecretKey != ""
}

// checkCurve says what is wrong with the CURVE keys: a missing one, text
// that is not Z85, or a public key that is not the secret key's.
func (c *Config) checkCurve() error {
	if !c.curve() {
		return nil
	}
	_, err := curveclient.FromZ85(c.CurveServerKey, c.CurvePublicKey, c.CurveSecretKey)
	return err
}

// workerCurve are the workers options of the CURVE keys (none without).
func (c *Config) workerCurve() []workers.Option {
	if !c.curve() {
		return nil
	}
	return []workers.Option{workers.WithCurve(c.CurveServerKey, c.CurvePublicKey, c.CurveSecretKey)}
}

// openDealer opens the dispatcher's DEALER to the broker, a CURVE client
// when the config has keys.
func openDealer(cfg *Config) (*zmq.Socket, error) {
	s, err := zmq.NewSocket(zmq.DEALER)
	if err != nil {
		return nil, fmt.Errorf("titanic: socket: %w", err)
	}
	s.SetLinger(0)
	if cfg.curve() {
		// libzmq takes the 40-character Z85 form of each key as well.
		err = s.SetCurveServerkey(cfg.CurveServerKey)
		if err == nil {
			err = s.SetCurvePublickey(cfg.CurvePublicKey)
		}
		if err == nil {
			err = s.SetCurveSecretkey(cfg.CurveSecretKey)
		}
	}
	if err == nil {
		err = s.Connect(cfg.Broker)
	}
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("titanic: %s: %w", cfg.Broker, err)
	}
	return s, nil
}
