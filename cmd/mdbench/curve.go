package main

import (
	"fmt"

	"github.com/majordomo-go/majordomo/internal/curveclient"
)

// loadCurve reads the CURVE key files (--server-key and --key, else
// $MAJORDOMO_SERVER_KEY and $MAJORDOMO_KEY): with them every client and
// worker socket mdbench makes is a CURVE client of the broker (one key
// pair for all), so a run measures what CURVE costs.
func (c *config) loadCurve(getenv func(string) string) error {
	c.curve = c.curve.WithEnv(getenv)
	if !c.curve.Enabled() {
		return nil
	}
	if err := c.curve.Check(); err != nil {
		return fmt.Errorf("mdbench: %w", err)
	}
	k, err := curveclient.FromFiles(c.curve.ServerKey, c.curve.Key)
	if err != nil {
		return fmt.Errorf("mdbench: %w", err)
	}
	c.curveKeys = k
	return nil
}
