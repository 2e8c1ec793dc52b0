package broker

import (
	"fmt"
	"time"

	"github.com/majordomo-go/majordomo/mdp"
)

// ServicePolicy pins what the broker's operator decides for one service
// (mdbroker's --service NAME:key=value,... and the config file). A zero
// field pins nothing: the worker's declaration or the broker-wide default
// applies.
type ServicePolicy struct {
	// Mode pins the service's mode. A worker that declares another one in
	// its XREADY is refused (DISCONNECT, counted as ModeConflicts).
	Mode mdp.Mode
	// MaxTier refuses workers that register with a worse (higher) tier.
	MaxTier uint8
	// QueueLimit and QueueBytes replace Config.QueueLimit and QueueBytes
	// for this service's queue.
	QueueLimit int
	QueueBytes int64
	// RequestTimeout replaces Config.RequestTimeout for this service: the
	// deadline of a request that carries none and the longest one allowed.
	RequestTimeout time.Duration
}

func (p ServicePolicy) validate(name string) error {
	switch {
	case mdp.ValidateWorkerService(name) != nil:
		return fmt.Errorf("broker: config: service policy for %q: not a name a worker can register", name)
	case p.Mode > mdp.ModeExclusive:
		return fmt.Errorf("broker: config: service %q: unknown %s", name, p.Mode)
	case p.QueueLimit < 0 || p.QueueBytes < 0:
		return fmt.Errorf("broker: config: service %q: queue bounds must not be negative", name)
	case p.RequestTimeout != 0 && p.RequestTimeout < time.Millisecond:
		return fmt.Errorf("broker: config: service %q: request timeout %v is below 1ms", name, p.RequestTimeout)
	}
	return nil
}

// queueLimit, queueBytes and requestTimeout are s's bounds: its policy's
// where pinned, else the broker's.
func (s *service) queueLimit(cfg *Config) int {
	if s.policy != nil && s.policy.QueueLimit > 0 {
		return s.policy.QueueLimit
	}
	return cfg.QueueLimit
}

func (s *service) queueBytes(cfg *Config) int64 {
	if s.policy != nil && s.policy.QueueBytes > 0 {
		return s.policy.QueueBytes
	}
	return cfg.QueueBytes
}

func (s *service) requestTimeout(cfg *Config) time.Duration {
	if s.policy != nil && s.policy.RequestTimeout > 0 {
		return s.policy.RequestTimeout
	}
	return cfg.RequestTimeout
}

// admission decides whether a worker that declared mode and tier may join
// s, and the mode s has once it does. A service's mode is fixed when its
// first worker registers (the pinned one, else that worker's declaration,
// else overflow) and stays while it has workers; a declaration of another
// mode, or a tier over a pinned MaxTier, is refused with a reason.
func (s *service) admission(declared mdp.Mode, level uint8) (mdp.Mode, string) {
	mode := s.mode
	if s.workers == 0 {
		mode = mdp.ModeOverflow
		switch {
		case s.policy != nil && s.policy.Mode != mdp.ModeUnset:
			mode = s.policy.Mode
		case declared != mdp.ModeUnset:
			mode = declared
		}
	}
	if declared != mdp.ModeUnset && declared != mode {
		pinned := ""
		if s.policy != nil && s.policy.Mode != mdp.ModeUnset {
			pinned = " (pinned by the broker's configuration)"
		}
		return mode, fmt.Sprintf("declared mode %s, the service is %s%s", declared, mode, pinned)
	}
	if s.policy != nil && s.policy.MaxTier > 0 && level > s.policy.MaxTier {
		return mode, fmt.Sprintf("tier %d is over the service's max tier %d", level, s.policy.MaxTier)
	}
	return mode, ""
}
