package clients

import (
	"errors"
	"fmt"
	"time"

	"go.uber.org/zap"

	"github.com/majordomo-go/majordomo/internal/curveclient"
)

// Protocol is the protocol a Client speaks to its brokers; the names and
// values are those of workers.Protocol.
type Protocol uint8

// The protocols. The default, ProtocolExtension, needs a majordomo broker;
// the plain ones are for brokers that do not speak it (see the package
// documentation for what plain mode cannot do).
const (
	// ProtocolExtension is MDP/0.2 with majordomo's extension (request
	// UUIDs, deadlines, error replies). Many requests share one socket per
	// broker.
	ProtocolExtension Protocol = iota
	// ProtocolV02 is plain MDP/0.2 (RFC 18), with PARTIAL and FINAL
	// replies.
	ProtocolV02
	// ProtocolV01 is plain MDP/0.1 (RFC 7), as zguide brokers speak it.
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

// Defaults for the options.
const (
	DefaultTimeout    = 2500 * time.Millisecond // per attempt, as the zguide's lazy pirate
	DefaultRetries    = 2                       // so three attempts in all
	DefaultBackoff    = 10 * time.Millisecond   // before the first retry
	DefaultMaxBackoff = time.Second             // backoff doubles up to this
)

// Option configures a Client; see New. Each option checks its own value,
// as workers' options do, and New reports every bad one at once.
type Option func(*options) error

type options struct {
	timeout    time.Duration
	retries    int
	backoff    time.Duration
	maxBackoff time.Duration
	failFast   bool
	protocol   Protocol
	logger     *zap.Logger
	curve      *curveclient.Keys // nil: no CURVE
	curveSet   int               // how many CURVE options were given
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
func WithTimeout(d time.Duration) Option {
	return func(o *options) error {
		if d <= 0 {
			return fmt.Errorf("timeout %v: must be positive", d)
		}
		o.timeout = d
		return nil
	}
}

// WithRetries sets how many times a request is re-sent after its first
// attempt timed out (0: a single attempt).
func WithRetries(n int) Option {
	return func(o *options) error {
		if n < 0 {
			return fmt.Errorf("retries %d: must not be negative", n)
		}
		o.retries = n
		return nil
	}
}

// WithBackoff sets the pause before the first retry and the most it may
// grow to; it doubles with each further retry. Zero retries at once.
func WithBackoff(initial, max time.Duration) Option {
	return func(o *options) error {
		if initial < 0 || max < initial {
			return fmt.Errorf("backoff %v up to %v: want 0 <= initial <= max", initial, max)
		}
		o.backoff, o.maxBackoff = initial, max
		return nil
	}
}

// WithFailFast asks the broker to answer at once with 404
// (ErrNoSuchService) when a service has no worker, instead of queueing the
// request until its deadline in case one comes. Extension protocol only.
func WithFailFast() Option {
	return func(o *options) error {
		o.failFast = true
		return nil
	}
}

// WithProtocol sets the protocol (default ProtocolExtension).
func WithProtocol(p Protocol) Option {
	return func(o *options) error {
		if p > ProtocolV01 {
			return fmt.Errorf("unknown protocol %v", p)
		}
		o.protocol = p
		return nil
	}
}

// WithLogger sets the logger (default zap.NewNop()).
func WithLogger(l *zap.Logger) Option {
	return func(o *options) error {
		if l == nil {
			return errors.New("logger is nil")
		}
		o.logger = l
		return nil
	}
}

// apply applies opts to the defaults and checks them, each and together:
// the error (wrapping ErrInvalidOption) names every problem.
func applyOptions(opts []Option) (options, error) {
	o := defaultOptions()
	var errs []error
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt(&o); err != nil {
			errs = append(errs, err)
		}
	}
	if o.curveSet > 1 {
		errs = append(errs, errors.New("CURVE keys given more than once (WithCurve, WithCurveKeyFiles)"))
	}
	if o.failFast && o.protocol != ProtocolExtension {
		errs = append(errs, fmt.Errorf("fail-fast needs %v, not %v", ProtocolExtension, o.protocol))
	}
	if err := errors.Join(errs...); err != nil {
		return o, fmt.Errorf("%w: %w", ErrInvalidOption, err)
	}
	return o, nil
}

// backoffFor is the pause before retry n (1 for the first retry).
func (o *options) backoffFor(n int) time.Duration {
	d := o.backoff
	for i := 1; i < n && d < o.maxBackoff; i++ {
		d *= 2
	}
	return min(d, o.maxBackoff)
}
