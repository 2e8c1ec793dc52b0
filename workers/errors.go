package workers

import (
	"context"
	"errors"
	"fmt"

	"github.com/majordomo-go/majordomo/mdp"
)

// Sentinel errors; test them with errors.Is.
var (
	// ErrClosed: Run on a worker that has already run or been shut down.
	ErrClosed = errors.New("workers: worker closed")
	// ErrStreamingUnsupported: Request.Partial on a worker configured for
	// MDP/0.1, which has no PARTIAL replies.
	ErrStreamingUnsupported = errors.New("workers: MDP/0.1 cannot stream partial replies")
	// ErrReplied: Request.Partial after the handler has returned.
	ErrReplied = errors.New("workers: request already answered")
	// ErrTooLarge: Request.Partial with a body larger than
	// WithMaxMessageSize allows.
	ErrTooLarge = errors.New("workers: message larger than the maximum size")
	// ErrDrainTimeout: Run stopped with handlers still running when the drain
	// deadline passed; their contexts were cancelled and their replies lost.
	ErrDrainTimeout = errors.New("workers: drain deadline passed with requests in flight")
	// ErrNoBrokers: New without a broker endpoint.
	ErrNoBrokers = errors.New("workers: no broker endpoints")
	// ErrInvalidOption: New was given an option with a bad value, or
	// options that do not go together; the error names each.
	ErrInvalidOption = errors.New("workers: invalid option")
	// ErrUnreachable: Run stopped because no broker had the worker
	// registered for the unreachable timeout (WithExitWhenUnreachable).
	ErrUnreachable = errors.New("workers: no broker reachable")
)

// Error is a handler error that chooses the status code of the error reply.
// Status should be 400–499 (the request is wrong: do not retry it as is) or
// 500–599 (the service failed: a retry may succeed); other values are sent
// as 500. Text is sent to the client with the code.
type Error struct {
	Status mdp.Status
	Text   string
}

// Errorf returns an *Error with the status and formatted text.
func Errorf(status mdp.Status, format string, args ...any) *Error {
	return &Error{Status: status, Text: fmt.Sprintf(format, args...)}
}

func (e *Error) Error() string {
	if e.Text == "" {
		return fmt.Sprintf("workers: status %d", e.Status)
	}
	return fmt.Sprintf("workers: status %d: %s", e.Status, e.Text)
}

// statusError maps whatever a handler returned to the error it sends: an
// *Error (found with errors.As) keeps its code when the code is 400–599;
// context.DeadlineExceeded (found with errors.Is: the request's deadline,
// or one the handler set itself, passed) is 504; anything else is 500 with
// the error's text.
func statusError(err error) *Error {
	var e *Error
	switch {
	case errors.As(err, &e):
		if e.Status >= 400 && e.Status <= 599 {
			return &Error{Status: e.Status, Text: e.Text}
		}
		return &Error{Status: mdp.StatusInternal, Text: e.Text}
	case errors.Is(err, context.DeadlineExceeded):
		return &Error{Status: mdp.StatusExpired, Text: err.Error()}
	}
	return &Error{Status: mdp.StatusInternal, Text: err.Error()}
}

// frame is the status frame of the error: "500" or "500 text". It is the
// extension's XERROR status frame, and the body of the plain reply that
// stands for an error under a plain protocol.
func (e *Error) frame() []byte { return mdp.FormatStatus(e.Status, e.Text) }
