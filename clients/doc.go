// Package clients is the majordomo client SDK: it sends requests to named
// services through one or more Majordomo brokers and matches the replies to
// them, with automatic retries (the zguide's "lazy pirate") that never make
// a request run twice where the broker and workers drop duplicates.
//
//	c, err := clients.New([]string{"tcp://127.0.0.1:5555"}, clients.WithTimeout(time.Second))
//	if err != nil { ... }
//	defer c.Close()
//	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
//	defer cancel()
//	reply, err := c.Request(ctx, "echo", []byte("hello"))
//
// A Client is safe for use by many goroutines at once. One goroutine inside
// owns its ZeroMQ sockets; Request, Go, Stream and the rest hand their work
// to it through a queue and a wake-up pipe (internal/wakeup, written by any
// goroutine; no socket is shared between goroutines), and the goroutine
// waits for the pipe and its sockets in Go's netpoller (internal/zready).
// Its sockets are internal/zsock's: a whole message crosses into or out of
// libzmq in one cgo call, and all Clients of a process share one libzmq
// context (one I/O thread).
//
// # Requests, attempts and retries
//
// Every logical request gets a random UUID that stays the same across all of
// its attempts; the broker keeps at most one copy of a UUID queued or in
// flight, answers a repeat of a request it has just answered from a reply
// cache, and workers drop duplicates by UUID, so a retried write is applied
// once. Replies are matched to requests by UUID; a reply for a request that
// is no longer pending (late, or a duplicate) is dropped and counted in
// Stats().Stale.
//
// An attempt waits WithTimeout for its reply (default 2.5 s). When it times
// out, or its broker answers 503 (overloaded or shutting down: it did not
// take the request; a 503 for an earlier attempt, from another broker, is
// dropped as stale), the request is sent again after a backoff
// (WithBackoff, doubling) to the next broker in the list, up to
// WithRetries more times (default 2); new requests also go to the next
// broker from then on, and a broker that answers becomes the current one
// again, so a broker that comes back is used again. An attempt never
// outlives its timeout inside the Client: one made while the Client has no
// connection to its broker waits for the connection until it times out,
// and is then dropped, not left queued in the socket to reach that broker
// whenever it comes back (where it would run again after being answered
// elsewhere).
//
// The context bounds the whole request: its deadline cuts the attempts
// short, travels to the broker as the request's deadline (the time left),
// and ends the request with an error that matches both ErrTimeout and
// context.DeadlineExceeded. Without a deadline the broker is told the time
// the remaining attempts may take. Cancelling the context ends the request
// at once and releases everything it held.
//
// # Withdrawn attempts, and what still runs twice
//
// An attempt the Client gives up is withdrawn at its broker: when it times
// out and the request moves on to another broker (a retry at the same
// broker is absorbed there as a duplicate and keeps its place in the
// queue), when the request runs out of attempts or
// time, when ctx is cancelled, and when another broker's answer ends the
// request first, the Client sends that broker XCANCEL (request UUID and
// service; spec/extensions.md). A broker that still has the request queued
// drops it, so it never runs there later. Stats().Cancels counts them; one
// the socket cannot take at once (no connection) is not sent, counted in
// CancelsDropped.
//
// A request a worker already holds is not withdrawn: it finishes, and its
// answer is taken if the request still waits (the first answer wins) or
// dropped as stale. So a request can still run more than once: its
// abandoned attempt had reached a worker, or the XCANCEL came too late, or
// the broker died after dispatching it. Within one worker process the
// workers package's reply cache, shared by its connections to every
// broker, answers the second delivery without running it again. Across
// workers only the service can tell: mdkv stores each write's request id
// with its effect in the same Raft transaction, so a retry reaching any
// node is answered, not applied again. A service with several workers
// that must not run a request twice must do the same.
//
// # Errors
//
// ErrTimeout: every attempt timed out. ErrClosed: the Client was closed.
// *ServiceError: the broker or a worker answered with an error status
// (404 ErrNoSuchService for a fail-fast request with no worker, 503
// ErrOverloaded once no retry is left, 504 ErrExpired, 502
// ErrWorkerFailed, or a worker's own status, 500 ErrInternal by default);
// errors.Is compares status codes, and a 504 also matches ErrTimeout.
//
// # Streaming
//
// A worker may send PARTIAL replies before its FINAL one. Stream returns
// them one by one; Request and Go return only the FINAL reply.
//
// # Plain brokers
//
// WithProtocol(ProtocolV01) or WithProtocol(ProtocolV02) talks to a broker that does
// not know majordomo's extension, such as the zguide's. Plain replies carry
// no UUID, so each socket has one request in flight and a retry goes out
// on a new socket, whose new identity keeps a late reply to the old attempt
// from reaching it. Plain mode cannot do the rest: the broker gets no
// deadline and no fail-fast flag and sends no error replies (a failure is a
// timeout), and without a UUID nobody can drop duplicates, so a retried
// request may run twice: retry only requests that are safe to repeat. A
// streamed request is not retried once it has had a PARTIAL reply.
//
// # CURVE
//
// WithCurve (keys in Z85) or WithCurveKeyFiles (the files "mdcli keygen"
// writes) makes every connection to the brokers a CURVE connection:
// encrypted, and authenticated by the client's key, which the broker's
// access policy names. All the brokers of a Client share one broker key.
// A broker that refuses the client's key, or whose key is another, never
// completes the connection; libzmq retries the handshake without telling
// anyone, so to the Client it is an unreachable broker: attempts time out
// there and requests move on to the next broker. With the extension
// protocol the Client logs a warning about it at most once a minute per
// broker (plain-mode sockets cannot tell it from a slow broker).
package clients
