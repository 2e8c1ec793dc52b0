package clients

import (
	"context"
	"errors"
	"fmt"

	"github.com/majordomo-go/majordomo/mdp"
)

// Sentinel errors, tested with errors.Is.
var (
	// ErrTimeout: every attempt of a request timed out, or its context's
	// deadline passed first (the error then also matches
	// context.DeadlineExceeded), or the broker said 504 (a *ServiceError
	// that matches ErrExpired and ErrTimeout).
	ErrTimeout = errors.New("clients: request timed out")
	// ErrClosed: the Client was closed before the request finished, or
	// before it was made.
	ErrClosed = errors.New("clients: client closed")
	// ErrNoBrokers: New was given no broker endpoints.
	ErrNoBrokers = errors.New("clients: no broker endpoints")
	// ErrInvalidOption: New was given an option with a bad value, or
	// options that do not go together; the error names each.
	ErrInvalidOption = errors.New("clients: invalid option")
)

// ServiceError is an error reply from the broker or from a worker (an
// extension XERROR): the request reached the broker and was refused or
// failed there. Status is the three-digit code, Text the optional text.
//
// errors.Is(err, target) with a *ServiceError target compares status codes
// only, so the values below work as sentinels:
//
//	if errors.Is(err, clients.ErrNoSuchService) { ... }
//	var se *clients.ServiceError
//	if errors.As(err, &se) && se.Status >= 500 { ... }
type ServiceError struct {
	Service string
	Status  mdp.Status
	Text    string
}

// ServiceError values to use as errors.Is targets.
var (
	ErrNoSuchService = &ServiceError{Status: mdp.StatusNotFound}     // 404: fail-fast request, no worker
	ErrTooLarge      = &ServiceError{Status: mdp.StatusTooLarge}     // 413: request larger than the broker accepts
	ErrInternal      = &ServiceError{Status: mdp.StatusInternal}     // 500: the handler failed
	ErrWorkerFailed  = &ServiceError{Status: mdp.StatusWorkerFailed} // 502: the request's workers died or left
	ErrOverloaded    = &ServiceError{Status: mdp.StatusOverloaded}   // 503: queue full, not queued
	ErrExpired       = &ServiceError{Status: mdp.StatusExpired}      // 504: deadline passed in the broker
)

func (e *ServiceError) Error() string {
	msg := fmt.Sprintf("clients: service %q: %s", e.Service, e.Status)
	if e.Service == "" {
		msg = fmt.Sprintf("clients: %s", e.Status)
	}
	if e.Text != "" && e.Text != e.Status.Text() {
		msg += ": " + e.Text
	}
	return msg
}

// Is reports whether target is a *ServiceError with the same Status. A 504
// (the deadline passed in the broker) is also ErrTimeout: the request ran
// out of time, whichever side noticed first.
func (e *ServiceError) Is(target error) bool {
	if target == ErrTimeout {
		return e.Status == mdp.StatusExpired
	}
	t, ok := target.(*ServiceError)
	return ok && t.Status == e.Status
}

// Temporary reports whether a retry later may succeed (a 5xx status).
func (e *ServiceError) Temporary() bool { return e.Status >= 500 }

// contextError is the error of a request ended by its context: a deadline
// is a timeout (ErrTimeout and context.DeadlineExceeded), a cancellation
// wraps context.Canceled.
func contextError(err error) error {
	if errors.Is(err, context.DeadlineExceeded) {
		return errDeadline
	}
	return fmt.Errorf("clients: request cancelled: %w", err)
}

var errDeadline = fmt.Errorf("%w: %w", ErrTimeout, context.DeadlineExceeded)
