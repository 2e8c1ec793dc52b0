package workers

import (
	"errors"
	"fmt"
	"math"
	"time"

	"go.uber.org/zap"

	"github.com/majordomo-go/majordomo/internal/curveclient"
)

// Protocol is the protocol a worker speaks to its broker.
type Protocol uint8

// The protocols. The default, ProtocolExtension, needs a majordomo broker;
// the other two work with any broker of that MDP version.
const (
	// ProtocolExtension is MDP/0.2 with majordomo's extension: request UUIDs
	// and deadlines, error replies with a status code, tiers, capacity (K
	// requests on one connection) and drain on shutdown.
	ProtocolExtension Protocol = iota
	// ProtocolV02 is plain MDP/0.2 (RFC 18): streaming, no extension.
	ProtocolV02
	// ProtocolV01 is plain MDP/0.1 (RFC 7): one reply per request, no
	// streaming, no extension.
	ProtocolV01
)

func (p Protocol) String() string {
	switch p {
	case ProtocolExtension:
		return "MDP/0.2+ext"
	case ProtocolV02:
		return "MDP/0.2"
	case ProtocolV01:
		return "MDP/0.1"
	}
	return fmt.Sprintf("Protocol(%d)", uint8(p))
}

// Defaults of the options.
const (
	DefaultHeartbeat    = 2500 * time.Millisecond
	DefaultLiveness     = 3
	DefaultReconnectMin = 100 * time.Millisecond
	DefaultReconnectMax = 10 * time.Second
	DefaultDedupSize    = 1024
	DefaultDedupBytes   = 16 << 20
	DefaultDedupTTL     = time.Minute
	DefaultDrainTimeout = 10 * time.Second

	DefaultUnreachableTimeout = 10 * time.Second
)

// Option configures a Worker; see New.
type Option func(*config) error

type config struct {
	heartbeat      time.Duration
	liveness       int
	reconnectMin   time.Duration
	reconnectMax   time.Duration
	protocol       Protocol
	concurrency    int
	tier           int
	info           readyInfo
	logger         *zap.Logger
	maxMessageSize int
	dedupSize      int
	dedupBytes     int
	dedupTTL       time.Duration
	deduper        Deduper
	drainTimeout   time.Duration

	unreachableTimeout time.Duration
	exitUnreachable    bool

	curve    *curveclient.Keys // nil: no CURVE
	curveSet int               // how many CURVE options were given
}

func defaultConfig() config {
	return config{
		heartbeat:    DefaultHeartbeat,
		liveness:     DefaultLiveness,
		reconnectMin: DefaultReconnectMin,
		reconnectMax: DefaultReconnectMax,
		protocol:     ProtocolExtension,
		concurrency:  1,
		tier:         1,
		logger:       zap.NewNop(),
		dedupSize:    DefaultDedupSize,
		dedupBytes:   DefaultDedupBytes,
		dedupTTL:     DefaultDedupTTL,
		drainTimeout: DefaultDrainTimeout,

		unreachableTimeout: DefaultUnreachableTimeout,
	}
}

// WithHeartbeat sets the heartbeat interval (default 2.5 s, at least 1 ms).
// With the extension the worker declares it in XREADY and the broker uses
// it for this worker; against a plain broker it must match the broker's
// interval, or the worker flaps.
func WithHeartbeat(interval time.Duration) Option {
	return func(c *config) error {
		if interval < time.Millisecond || interval > time.Duration(math.MaxUint32)*time.Millisecond {
			return fmt.Errorf("heartbeat interval %v: must be between 1ms and %v", interval, time.Duration(math.MaxUint32)*time.Millisecond)
		}
		c.heartbeat = interval
		return nil
	}
}

// WithLiveness sets how many heartbeat intervals of silence from the broker
// make the worker reconnect (default 3, at least 1).
func WithLiveness(n int) Option {
	return func(c *config) error {
		if n < 1 {
			return fmt.Errorf("liveness %d: must be at least 1", n)
		}
		c.liveness = n
		return nil
	}
}

// WithReconnect sets the reconnect backoff: the first delay is min, each
// failure doubles it up to max, and every delay is drawn at random from its
// upper half (jitter). Defaults 100 ms and 10 s.
func WithReconnect(min, max time.Duration) Option {
	return func(c *config) error {
		if min <= 0 || max < min {
			return fmt.Errorf("reconnect backoff %v..%v: need 0 < min <= max", min, max)
		}
		c.reconnectMin, c.reconnectMax = min, max
		return nil
	}
}

// WithProtocol chooses the protocol (default ProtocolExtension).
func WithProtocol(p Protocol) Option {
	return func(c *config) error {
		if p > ProtocolV01 {
			return fmt.Errorf("unknown protocol %v", p)
		}
		c.protocol = p
		return nil
	}
}

// WithConcurrency lets up to k handlers run at once (default 1, at most
// 65535). With the extension the worker declares capacity k on one
// connection; with a plain protocol it opens k connections, each a worker of
// capacity one in the broker's eyes.
func WithConcurrency(k int) Option {
	return func(c *config) error {
		if k < 1 || k > math.MaxUint16 {
			return fmt.Errorf("concurrency %d: must be between 1 and %d", k, math.MaxUint16)
		}
		c.concurrency = k
		return nil
	}
}

// WithTier sets the worker's priority tier (default 1, the best; 1..255).
// Tiers need the extension.
func WithTier(t int) Option {
	return func(c *config) error {
		if t < 1 || t > math.MaxUint8 {
			return fmt.Errorf("tier %d: must be between 1 and %d", t, math.MaxUint8)
		}
		c.tier = t
		return nil
	}
}

// WithLogger sets the logger (default zap.NewNop()).
func WithLogger(l *zap.Logger) Option {
	return func(c *config) error {
		if l == nil {
			return errors.New("logger is nil")
		}
		c.logger = l
		return nil
	}
}

// WithMaxMessageSize bounds the body of requests and replies, in bytes
// summed over the frames (default: no bound). A larger request is answered
// with status 413 without running the handler; a larger reply is replaced by
// status 500.
func WithMaxMessageSize(n int) Option {
	return func(c *config) error {
		if n < 1 {
			return fmt.Errorf("maximum message size %d: must be at least 1", n)
		}
		c.maxMessageSize = n
		return nil
	}
}

// WithDedupCache sizes the in-memory cache of recent replies by request
// UUID (default DefaultDedupSize replies for DefaultDedupTTL, one minute,
// within WithDedupCacheBytes); size 0 turns it off. A retry that comes
// after its reply has left the cache runs the handler again.
func WithDedupCache(size int, ttl time.Duration) Option {
	return func(c *config) error {
		if size < 0 || size > 0 && ttl <= 0 {
			return fmt.Errorf("dedup cache of %d for %v: need size >= 0 and, when size > 0, ttl > 0", size, ttl)
		}
		c.dedupSize, c.dedupTTL = size, ttl
		return nil
	}
}

// WithDedupCacheBytes bounds the memory of the reply cache: the replies'
// bytes plus about 128 bytes per entry (default DefaultDedupBytes, 16 MiB).
// The oldest replies leave first; a reply larger than n is not kept.
func WithDedupCacheBytes(n int) Option {
	return func(c *config) error {
		if n < 1 {
			return fmt.Errorf("dedup cache bytes %d: must be at least 1", n)
		}
		c.dedupBytes = n
		return nil
	}
}

// WithDeduper adds a durable de-duplication store, consulted after the
// in-memory cache; see Deduper.
func WithDeduper(d Deduper) Option {
	return func(c *config) error {
		if d == nil {
			return errors.New("deduper is nil")
		}
		c.deduper = d
		return nil
	}
}

// WithDrainTimeout bounds how long Run, once its context is cancelled,
// waits for in-flight handlers before cancelling their contexts (default
// 10 s). Shutdown takes its bound from its own context instead.
func WithDrainTimeout(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return fmt.Errorf("drain timeout %v: must be positive", d)
		}
		c.drainTimeout = d
		return nil
	}
}

// check validates the combination of options.
func (c *config) check() error {
	if c.curveSet > 1 {
		return errors.New("CURVE keys given more than once (WithCurve, WithCurveKeyFiles)")
	}
	if c.protocol != ProtocolExtension && c.tier != 1 {
		return fmt.Errorf("tier %d needs %v, not %v", c.tier, ProtocolExtension, c.protocol)
	}
	return c.info.check(c.protocol)
}
