package clients

import (
	"fmt"
	"time"

	"go.uber.org/zap"
)

// Protocol is the protocol a Client speaks to its brokers.
type Protocol uint8

// The protocols. Extension is majordomo's own and the default; the plain
// ones are for brokers that do not speak it (see the package documentation
// for what plain mode cannot do).
const (
	// Extension: MDP/0.2 with the majordomo extension (request UUIDs,
	// deadlines, error replies). Many requests share one socket per broker.
	Extension Protocol = iota
	// MDP01: plain MDP/0.1 (RFC 7), as zguide brokers speak it.
	MDP01
	// MDP02: plain MDP/0.2 (RFC 18), with PARTIAL and FINAL replies.
	MDP02
)

func (p Protocol) String() string {
	switch p {
	case Extension:
		return "extension"
	case MDP01:
		return "MDP/0.1"
	case MDP02:
		return "MDP/0.2"
	}
	return fmt.Sprintf("Protocol(%d)", uint8(p))
}

// Defaults for the options.
const (
	DefaultTimeout    = 2500 * time.Millisecond // per attempt, as the zguide's lazy pirate
	DefaultRetries    = 2                       // so three attempts in all
	DefaultBackoff    = 10 * time.Millisecond   // before the first retry
	DefaultMaxBackoff = time.Second             // backoff doubles up to this
)

// Option configures a Client.
type Option func(*options)

type options struct {
	timeout    time.Duration
	retries    int
	backoff    time.Duration
	maxBackoff time.Duration
	failFast   bool
	protocol   Protocol
	logger     *zap.Logger
}

func defaultOptions() options {
	return options{
		timeout:    DefaultTimeout,
		retries:    DefaultRetries,
		backoff:    DefaultBackoff,
		maxBackoff: DefaultMaxBackoff,
		logger:     zap.NewNop(),
	}
}

// WithTimeout sets how long one attempt waits for its reply before the
// request is retried (on the next broker). A context deadline that comes
// sooner cuts an attempt short.
func WithTimeout(d time.Duration) Option { return func(o *options) { o.timeout = d } }

// WithRetries sets how many times a request is re-sent after its first
// attempt timed out (0: a single attempt).
func WithRetries(n int) Option { return func(o *options) { o.retries = n } }

// WithBackoff sets the pause before the first retry and the most it may
// grow to; it doubles with each further retry. Zero retries at once.
func WithBackoff(initial, max time.Duration) Option {
	return func(o *options) { o.backoff, o.maxBackoff = initial, max }
}

// WithFailFast asks the broker to answer at once with 404
// (ErrNoSuchService) when a service has no worker, instead of queueing the
// request until its deadline in case one comes. Extension protocol only.
func WithFailFast() Option { return func(o *options) { o.failFast = true } }

// WithProtocol sets the protocol (default Extension).
func WithProtocol(p Protocol) Option { return func(o *options) { o.protocol = p } }

// WithLogger sets the logger (default zap.NewNop()).
func WithLogger(l *zap.Logger) Option { return func(o *options) { o.logger = l } }

func (o *options) validate() error {
	switch {
	case o.timeout <= 0:
		return fmt.Errorf("clients: timeout %v must be positive", o.timeout)
	case o.retries < 0:
		return fmt.Errorf("clients: retries %d must not be negative", o.retries)
	case o.backoff < 0 || o.maxBackoff < o.backoff:
		return fmt.Errorf("clients: backoff %v up to %v: want 0 <= initial <= max", o.backoff, o.maxBackoff)
	case o.protocol > MDP02:
		return fmt.Errorf("clients: unknown protocol %v", o.protocol)
	case o.failFast && o.protocol != Extension:
		return fmt.Errorf("clients: fail-fast needs the extension protocol, not %v", o.protocol)
	case o.logger == nil:
		return fmt.Errorf("clients: nil logger")
	}
	return nil
}

// backoffFor is the pause before retry n (1 for the first retry).
func (o *options) backoffFor(n int) time.Duration {
	d := o.backoff
	for i := 1; i < n && d < o.maxBackoff; i++ {
		d *= 2
	}
	return min(d, o.maxBackoff)
}
