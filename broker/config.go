package broker

import (
	"errors"
	"fmt"
	"math"
	"time"

	"go.uber.org/zap"

	"github.com/majordomo-go/majordomo/internal/zsock"
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
	// WorkerHeartbeatMin and WorkerHeartbeatMax clamp the interval an
	// extension worker declares (defaults 10ms and 1m): below the minimum
	// the broker heartbeats and expires it as if it had declared the
	// minimum, above the maximum as if the maximum. Interval × liveness
	// must stay within MaxExpiry for both.
	WorkerHeartbeatMin time.Duration
	WorkerHeartbeatMax time.Duration
	// RequestTimeout is the deadline of a request that carries none (plain
	// clients) and the longest a client may ask for.
	RequestTimeout time.Duration
	// MaxAttempts is how many times a request is delivered to a worker
	// before the client gets 502 instead.
	MaxAttempts int
	// QueueBytes bounds each service's queue and GlobalQueueBytes the queues
	// of all services that have workers, in bytes as queueCost counts them
	// (the body plus 256 per request and 32 per frame). QueueLimit and
	// GlobalQueueLimit add a cap in requests; zero (the default) means none.
	// Only requests that must wait count: one a free worker takes at once
	// is never refused by them.
	QueueLimit       int
	QueueBytes       int64
	GlobalQueueLimit int
	GlobalQueueBytes int64
	// UnservedQueueBytes bounds, in all, the requests queued for services
	// that have no worker (any client can make up names), and
	// UnservedPerClient how many of them one client identity may have.
	// They do not count against GlobalQueueBytes.
	UnservedQueueBytes int64
	UnservedPerClient  int
	// MaxMessageSize bounds one message as received, all frames together,
	// the sender's identity included. The receive path stops copying a
	// larger one and drops it (counted as TooLarge; an extension request
	// gets 413). libzmq closes the connection of a peer whose message is
	// grossly larger (ZMQ_MAXMSGSIZE is set to 2 × MaxMessageSize + 32 KiB
	// × MaxFrames; see libzmqMessageBound).
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
	// Services pins the policy of named services: mode, max tier, queue
	// bounds and deadline (see ServicePolicy). It wins over what workers
	// declare.
	Services map[string]ServicePolicy
	// CurveSecretKey is the broker's CURVE secret key in Z85 (40
	// characters). Set, every endpoint is a CURVE server: clients and
	// workers must know the matching public key, every message is
	// encrypted, and a ZAP handler in the broker checks each peer's key
	// against Access. Empty, the endpoints are plain; one bound beyond
	// loopback is logged at warn.
	CurveSecretKey string
	// Access is the access policy (ParseAccess, LoadAccess): the keys that
	// may connect and what each may do. It needs CurveSecretKey. Nil with
	// CURVE lets every key connect and do everything (logged at warn);
	// Broker.SetAccess swaps it at run time.
	Access *Access
	// ClientMaxInFlight bounds the requests one client connection (ROUTER
	// identity) may have queued or held at once, and ClientRate the
	// requests per second it may send, with bursts of ClientBurst (default:
	// the rate, at least 1). Over either, an extension client gets 429 and
	// a plain client's request is dropped and counted. Zero (the default)
	// means no limit.
	ClientMaxInFlight int
	ClientRate        float64
	ClientBurst       int
	// Logger receives the broker's logs; nil means none.
	Logger *zap.Logger
}

// MaxExpiry bounds heartbeat interval × liveness, the silence that expires
// a worker, so that it can neither overflow nor switch expiry off.
const MaxExpiry = 24 * time.Hour

// MaxFrames is the most frames of one message the broker takes, as its
// ROUTER delivers it: the sender's identity frame counts. A longer message
// is cut short on receipt and dropped (an extension request gets 413).
const MaxFrames = zsock.MaxFrames

// MaxBodyFrames is the most body frames a request may have: what still
// fits in MaxFrames once the broker has added the frames of a worker
// REQUEST (identity, delimiter or header, command, address, empty frame,
// meta: at most six). A request with more gets 413.
const MaxBodyFrames = MaxFrames - 6

// DefaultConfig is the configuration mdbroker runs with when told nothing.
func DefaultConfig() Config {
	return Config{
		Endpoints:          []string{"tcp://127.0.0.1:5555"},
		HeartbeatInterval:  2500 * time.Millisecond,
		HeartbeatLiveness:  3,
		WorkerHeartbeatMin: 10 * time.Millisecond,
		WorkerHeartbeatMax: time.Minute,
		RequestTimeout:     30 * time.Second,
		MaxAttempts:        3,
		QueueBytes:         64 << 20,
		GlobalQueueBytes:   512 << 20,
		UnservedQueueBytes: 64 << 20,
		UnservedPerClient:  10000,
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
	setDur(&c.WorkerHeartbeatMin, d.WorkerHeartbeatMin)
	setDur(&c.WorkerHeartbeatMax, d.WorkerHeartbeatMax)
	setDur(&c.RequestTimeout, d.RequestTimeout)
	setInt(&c.MaxAttempts, d.MaxAttempts)
	setInt(&c.QueueLimit, d.QueueLimit)
	setInt64(&c.QueueBytes, d.QueueBytes)
	setInt(&c.GlobalQueueLimit, d.GlobalQueueLimit)
	setInt64(&c.GlobalQueueBytes, d.GlobalQueueBytes)
	setInt64(&c.UnservedQueueBytes, d.UnservedQueueBytes)
	setInt(&c.UnservedPerClient, d.UnservedPerClient)
	setInt64(&c.MaxMessageSize, d.MaxMessageSize)
	setDur(&c.ServiceIdleTimeout, d.ServiceIdleTimeout)
	setInt(&c.ReplyCacheSize, d.ReplyCacheSize)
	setInt64(&c.ReplyCacheBytes, d.ReplyCacheBytes)
	setDur(&c.ReplyCacheTTL, d.ReplyCacheTTL)
	setDur(&c.DrainTimeout, d.DrainTimeout)
	if c.ClientRate > 0 && c.ClientBurst == 0 {
		c.ClientBurst = max(1, int(math.Ceil(c.ClientRate)))
	}
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
	if c.WorkerHeartbeatMin < time.Millisecond || c.WorkerHeartbeatMax < c.WorkerHeartbeatMin {
		bad("worker heartbeat bounds %v..%v: the minimum must be at least 1ms and the maximum no less", c.WorkerHeartbeatMin, c.WorkerHeartbeatMax)
	}
	if c.HeartbeatLiveness >= 1 {
		longest := max(c.HeartbeatInterval, c.WorkerHeartbeatMax)
		if longest > MaxExpiry/time.Duration(c.HeartbeatLiveness) {
			bad("heartbeat interval %v × liveness %d is more than %v", longest, c.HeartbeatLiveness, MaxExpiry)
		}
	}
	if c.RequestTimeout < time.Millisecond {
		bad("request timeout %v is below 1ms", c.RequestTimeout)
	}
	if c.MaxAttempts < 1 {
		bad("max attempts %d is below 1", c.MaxAttempts)
	}
	if c.QueueLimit < 0 || c.GlobalQueueLimit < 0 {
		bad("queue count caps must not be negative (0: none)")
	}
	if c.QueueBytes < 1 || c.GlobalQueueBytes < 1 || c.UnservedQueueBytes < 1 || c.UnservedPerClient < 1 {
		bad("queue byte bounds and the per-client bound must be positive")
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
	if c.CurveSecretKey != "" {
		if _, err := zsock.ParseKey(c.CurveSecretKey); err != nil {
			bad("curve secret key: %v", err)
		}
	} else if c.Access != nil {
		bad("an access policy needs CURVE (a curve secret key): without it no peer has a key")
	}
	if c.ClientMaxInFlight < 0 || c.ClientBurst < 0 || c.ClientRate < 0 || math.IsNaN(c.ClientRate) || math.IsInf(c.ClientRate, 0) {
		bad("client limits must not be negative (0: none)")
	}
	for name, p := range c.Services {
		if err := p.validate(name); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
