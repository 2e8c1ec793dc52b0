package workers

import (
	"context"
	"time"

	"github.com/google/uuid"
)

// Handler serves requests. Serve returns the body frames of the FINAL reply,
// or an error that becomes an error reply (see the package documentation for
// the mapping). Serve may stream PARTIAL replies first with req.Partial.
//
// Handlers run in their own goroutines, up to the worker's concurrency at
// once. ctx is cancelled when the request's deadline passes or when the
// worker gives up draining at shutdown; a handler should return soon after.
type Handler interface {
	Serve(ctx context.Context, req *Request) ([][]byte, error)
}

// HandlerFunc adapts a function to the Handler interface.
type HandlerFunc func(ctx context.Context, req *Request) ([][]byte, error)

// Serve calls f(ctx, req).
func (f HandlerFunc) Serve(ctx context.Context, req *Request) ([][]byte, error) {
	return f(ctx, req)
}

// Request is one request delivered to a handler. Its fields must not be
// changed; Partial is safe for use by one goroutine at a time.
type Request struct {
	// Service is the service the worker registered.
	Service string
	// Body holds the request's body frames. The handler owns them.
	Body [][]byte
	// UUID identifies the request (extension only; zero otherwise).
	// ClientUUID says the client chose it and keeps it across retries, so
	// it may serve to de-duplicate; otherwise the broker made it up for a
	// plain client and it names this delivery only.
	UUID       uuid.UUID
	ClientUUID bool
	// Deadline is when the client stops waiting (extension only; zero when
	// the request has none). ctx carries it too.
	Deadline time.Time

	job *job
}

// Partial sends a PARTIAL reply with the given body frames ahead of the
// FINAL one. Partials reach the client in the order sent; when the broker
// reads more slowly than the handler streams, Partial waits for room
// rather than dropping anything. It fails with ErrStreamingUnsupported
// under MDP/0.1, with ErrTooLarge when the body exceeds WithMaxMessageSize,
// with ErrReplied once the handler has returned, and with the context's
// error when the request's context is done. Partials are not stored for de-duplication: a repeated request
// answered from the cache gets the FINAL reply only.
func (r *Request) Partial(body ...[]byte) error {
	return r.job.partial(body)
}
