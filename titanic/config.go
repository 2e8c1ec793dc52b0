package titanic

import (
	"errors"
	"fmt"
	"time"

	"go.uber.org/zap"
)

// Config is everything a Server can be told. A zero field means its default
// (see DefaultConfig); Validate says what is wrong with the rest.
type Config struct {
	// Broker is the endpoint of the broker Titanic serves through and
	// dispatches through, e.g. "tcp://127.0.0.1:5555".
	Broker string
	// Dir is the data directory; the store is Dir/titanic.db.
	Dir string
	// MaxBytes bounds the store's live bytes; a titanic.request that would
	// pass it is answered "503 store full".
	MaxBytes int64
	// DefaultTTL is how long a request is tried when its titanic.request
	// names no TTL; MaxTTL caps the TTL a request may name. A request not
	// answered by then is answered as failed ("400 expired").
	DefaultTTL time.Duration
	MaxTTL     time.Duration
	// Retention is how long a finished request (replied or failed) that its
	// client never closed is kept before garbage collection removes it;
	// SweepInterval is how often that collection runs.
	Retention     time.Duration
	SweepInterval time.Duration
	// MaxInFlight bounds the requests of one service dispatched and not yet
	// answered, so that no service can hold more of the broker's queue.
	MaxInFlight int
	// AttemptTimeout bounds one dispatch attempt; BackoffMin and BackoffMax
	// bound the pause before the next, which doubles per attempt.
	AttemptTimeout time.Duration
	BackoffMin     time.Duration
	BackoffMax     time.Duration
	// ProbeInterval is how often a service with queued requests and no
	// worker is asked about again (mmi.service).
	ProbeInterval time.Duration
	// Heartbeat is the heartbeat interval of Titanic's three workers.
	Heartbeat time.Duration
	// CurveServerKey is the broker's CURVE public key, and CurvePublicKey
	// and CurveSecretKey are Titanic's own key pair, each in Z85 (40
	// characters): set, every connection Titanic makes to the broker (its
	// three workers and its dispatcher) is a CURVE client. All three or
	// none.
	CurveServerKey, CurvePublicKey, CurveSecretKey string
	// Concurrency is how many titanic.request calls are stored at once;
	// they share group commits.
	Concurrency int
	// BatchDelay is the group-commit window (see StoreOptions).
	BatchDelay time.Duration
	// NoGroupCommit turns group commit off (measurements only).
	NoGroupCommit bool
	// Logger receives the logs; nil means none.
	Logger *zap.Logger
}

// MinMaxBytes is the smallest bound a store may have.
const MinMaxBytes = 4096

// DefaultConfig is the configuration of a Server told nothing but Broker and Dir.
func DefaultConfig() Config {
	return Config{
		MaxBytes:       DefaultMaxBytes,
		DefaultTTL:     24 * time.Hour,
		MaxTTL:         7 * 24 * time.Hour,
		Retention:      24 * time.Hour,
		SweepInterval:  time.Minute,
		MaxInFlight:    16,
		AttemptTimeout: 30 * time.Second,
		BackoffMin:     100 * time.Millisecond,
		BackoffMax:     10 * time.Second,
		ProbeInterval:  time.Second,
		Heartbeat:      2500 * time.Millisecond,
		Concurrency:    64,
		BatchDelay:     DefaultBatchDelay,
	}
}

// withDefaults fills zero fields from DefaultConfig.
func (c Config) withDefaults() Config {
	d := DefaultConfig()
	setDuration := func(p *time.Duration, v time.Duration) {
		if *p == 0 {
			*p = v
		}
	}
	if c.MaxBytes == 0 {
		c.MaxBytes = d.MaxBytes
	}
	if c.MaxInFlight == 0 {
		c.MaxInFlight = d.MaxInFlight
	}
	if c.Concurrency == 0 {
		c.Concurrency = d.Concurrency
	}
	for _, f := range []struct {
		p *time.Duration
		v time.Duration
	}{
		{&c.DefaultTTL, d.DefaultTTL}, {&c.MaxTTL, d.MaxTTL}, {&c.Retention, d.Retention},
		{&c.SweepInterval, d.SweepInterval}, {&c.AttemptTimeout, d.AttemptTimeout}, {&c.BackoffMin, d.BackoffMin},
		{&c.BackoffMax, d.BackoffMax}, {&c.ProbeInterval, d.ProbeInterval}, {&c.Heartbeat, d.Heartbeat},
		{&c.BatchDelay, d.BatchDelay},
	} {
		setDuration(f.p, f.v)
	}
	if c.Logger == nil {
		c.Logger = zap.NewNop()
	}
	return c
}

// Validate reports every field that is out of range, after defaults.
func (c Config) Validate() error {
	c = c.withDefaults()
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: "+format, append([]any{ErrConfig}, args...)...))
	}
	if c.Broker == "" {
		bad("Broker is empty")
	}
	if c.Dir == "" {
		bad("Dir is empty")
	}
	if c.MaxBytes < MinMaxBytes {
		bad("MaxBytes %d is under %d", c.MaxBytes, MinMaxBytes)
	}
	if c.MaxInFlight < 1 || c.Concurrency < 1 || c.Concurrency > 65535 {
		bad("MaxInFlight %d and Concurrency %d must be at least 1 (Concurrency at most 65535)", c.MaxInFlight, c.Concurrency)
	}
	for name, d := range map[string]time.Duration{"DefaultTTL": c.DefaultTTL, "MaxTTL": c.MaxTTL,
		"Retention": c.Retention, "SweepInterval": c.SweepInterval, "AttemptTimeout": c.AttemptTimeout,
		"BackoffMin": c.BackoffMin, "BackoffMax": c.BackoffMax, "ProbeInterval": c.ProbeInterval,
		"Heartbeat": c.Heartbeat, "BatchDelay": c.BatchDelay} {
		if d < time.Millisecond {
			bad("%s %v is under 1ms", name, d)
		}
	}
	if c.DefaultTTL > c.MaxTTL {
		bad("DefaultTTL %v is over MaxTTL %v", c.DefaultTTL, c.MaxTTL)
	}
	if c.BackoffMin > c.BackoffMax {
		bad("BackoffMin %v is over BackoffMax %v", c.BackoffMin, c.BackoffMax)
	}
	if err := c.checkCurve(); err != nil {
		bad("%v", err)
	}
	return errors.Join(errs...)
}
