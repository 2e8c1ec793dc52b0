package broker

import (
	"errors"
	"fmt"
	"time"

	"go.uber.org/zap"
)

// Config is everything the broker can be told. A zero field means its
// default (see DefaultConfig); Validate says what is wrong with the rest.
type Config struct {
	// Endpoints to bind, e.g. "tcp://127.0.0.1:5555". A "*" port binds an
	// ephemeral port; Broker.Endpoints reports the one chosen.
	Endpoints []string
	// HeartbeatInterval is how often the broker heartbeats a worker it has
	// sent nothing else to; HeartbeatLiveness is how many intervals of
	// silence expire a worker. An extension worker may declare its own
	// interval; the broker then uses that one for it.
	HeartbeatInterval time.Duration
	HeartbeatLiveness int
	// RequestTimeout is the deadline of a request that carries none (plain
	// clients) and the longest a client may ask for.
	RequestTimeout time.Duration
	// MaxAttempts is how many times a request is delivered to a worker
	// before the client gets 502 instead.
	MaxAttempts int
	// QueueLimit and QueueBytes bound each service's queue; GlobalQueueLimit
	// and GlobalQueueBytes bound all queues together.
	QueueLimit       int
	QueueBytes       int64
	GlobalQueueLimit int
	GlobalQueueBytes int64
	// MaxMessageSize bounds one message (all frames); it is also set as
	// ZMQ_MAXMSGSIZE, so libzmq disconnects a peer sending a larger frame.
	MaxMessageSize int64
	// ServiceIdleTimeout: a service with no workers and no requests is
	// forgotten after this long.
	ServiceIdleTimeout time.Duration
	// ReplyCacheSize, ReplyCacheBytes and ReplyCacheTTL bound the cache of
	// final replies that answers a retry of a request already answered.
	ReplyCacheSize  int
	ReplyCacheBytes int64
	ReplyCacheTTL   time.Duration
	// DrainTimeout bounds graceful shutdown: how long requests already taken
	// may still be answered after Run's context is cancelled.
	DrainTimeout time.Duration
	// Logger receives the broker's logs; nil means none.
	Logger *zap.Logger
}

// DefaultConfig is the configuration mdbroker runs with when told nothing.
func DefaultConfig() Config {
	return Config{
		Endpoints:          []string{"tcp://127.0.0.1:5555"},
		HeartbeatInterval:  2500 * time.Millisecond,
		HeartbeatLiveness:  3,
		RequestTimeout:     30 * time.Second,
		MaxAttempts:        3,
		QueueLimit:         10000,
		QueueBytes:         64 << 20,
		GlobalQueueLimit:   100000,
		GlobalQueueBytes:   512 << 20,
		MaxMessageSize:     16 << 20,
		ServiceIdleTimeout: time.Minute,
		ReplyCacheSize:     10000,
		ReplyCacheBytes:    64 << 20,
		ReplyCacheTTL:      time.Minute,
		DrainTimeout:       5 * time.Second,
	}
}

// withDefaults fills zero fields from DefaultConfig.
func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if len(c.Endpoints) == 0 {
		c.Endpoints = d.Endpoints
	}
	setDur(&c.HeartbeatInterval, d.HeartbeatInterval)
	setInt(&c.HeartbeatLiveness, d.HeartbeatLiveness)
	setDur(&c.RequestTimeout, d.RequestTimeout)
	setInt(&c.MaxAttempts, d.MaxAttempts)
	setInt(&c.QueueLimit, d.QueueLimit)
	setInt64(&c.QueueBytes, d.QueueBytes)
	setInt(&c.GlobalQueueLimit, d.GlobalQueueLimit)
	setInt64(&c.GlobalQueueBytes, d.GlobalQueueBytes)
	setInt64(&c.MaxMessageSize, d.MaxMessageSize)
	setDur(&c.ServiceIdleTimeout, d.ServiceIdleTimeout)
	setInt(&c.ReplyCacheSize, d.ReplyCacheSize)
	setInt64(&c.ReplyCacheBytes, d.ReplyCacheBytes)
	setDur(&c.ReplyCacheTTL, d.ReplyCacheTTL)
	setDur(&c.DrainTimeout, d.DrainTimeout)
	if c.Logger == nil {
		c.Logger = zap.NewNop()
	}
	return c
}

func setDur(p *time.Duration, d time.Duration) {
	if *p == 0 {
		*p = d
	}
}

func setInt(p *int, d int) {
	if *p == 0 {
		*p = d
	}
}

func setInt64(p *int64, d int64) {
	if *p == 0 {
		*p = d
	}
}

// Validate reports every field that is out of range, after defaults.
func (c Config) Validate() error {
	c = c.withDefaults()
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf("broker: config: "+format, args...)) }
	for _, e := range c.Endpoints {
		if e == "" {
			bad("empty endpoint")
		}
	}
	if c.HeartbeatInterval < time.Millisecond {
		bad("heartbeat interval %v is below 1ms", c.HeartbeatInterval)
	}
	if c.HeartbeatLiveness < 1 {
		bad("heartbeat liveness %d is below 1", c.HeartbeatLiveness)
	}
	if c.RequestTimeout < time.Millisecond {
		bad("request timeout %v is below 1ms", c.RequestTimeout)
	}
	if c.MaxAttempts < 1 {
		bad("max attempts %d is below 1", c.MaxAttempts)
	}
	if c.QueueLimit < 1 || c.QueueBytes < 1 || c.GlobalQueueLimit < 1 || c.GlobalQueueBytes < 1 {
		bad("queue limits must be positive")
	}
	if c.MaxMessageSize < 1 {
		bad("max message size %d must be positive", c.MaxMessageSize)
	}
	if c.ReplyCacheSize < 0 || c.ReplyCacheBytes < 0 || c.ReplyCacheTTL < 0 {
		bad("reply cache bounds must not be negative")
	}
	if c.ServiceIdleTimeout < 0 || c.DrainTimeout < 0 {
		bad("timeouts must not be negative")
	}
	return errors.Join(errs...)
}
