package workers

import (
	"fmt"
	"time"
)

// WithUnreachableTimeout sets how long the worker may be registered with
// no broker before it says so: an error log, once per outage (default
// 10 s). The worker keeps reconnecting unless WithExitWhenUnreachable.
func WithUnreachableTimeout(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return fmt.Errorf("unreachable timeout %v: must be positive", d)
		}
		c.unreachableTimeout = d
		return nil
	}
}

// WithExitWhenUnreachable makes Run stop, and return an error wrapping
// ErrUnreachable, once no broker has had the worker registered for the
// unreachable timeout (from Run's start, or from the loss of the last
// broker): for a supervisor that would rather restart the process, or a
// deployment that wants a wrong endpoint to fail fast.
func WithExitWhenUnreachable() Option {
	return func(c *config) error {
		c.exitUnreachable = true
		return nil
	}
}
