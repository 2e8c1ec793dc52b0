// Package workers is the worker SDK: it serves one service through a
// majordomo broker (or any MDP/0.1 or MDP/0.2 broker) with handlers written
// like net/http ones.
//
//	w, err := workers.New([]string{"tcp://127.0.0.1:5555"}, "echo",
//		workers.WithConcurrency(8), workers.WithLogger(logger))
//	if err != nil {
//		return err
//	}
//	return w.Run(ctx, workers.HandlerFunc(func(ctx context.Context, req *workers.Request) ([][]byte, error) {
//		return req.Body, nil
//	}))
//
// # Replies and errors
//
// A handler returns the body frames of its FINAL reply, or an error. Before
// that it may stream PARTIAL replies with Request.Partial (MDP/0.2 only:
// under MDP/0.1 Partial returns ErrStreamingUnsupported). Errors map to
// status codes as follows:
//
//   - an *Error (see Errorf), found with errors.As, sends its Status
//     (400–599; anything else becomes 500) and its Text;
//   - an error that is context.DeadlineExceeded (errors.Is), as ctx.Err()
//     is once the request's deadline passes, sends 504 (deadline expired);
//   - any other error sends 500 with the error's text;
//   - a panic sends 500 "handler panicked"; it is logged with its stack and
//     the worker keeps serving;
//   - a request larger than WithMaxMessageSize gets 413 without running the
//     handler; a reply larger than it is replaced by 500 "reply too large".
//
// With the extension (the default protocol) an error is an XERROR reply
// carrying the code, which the client SDK returns as an error. Plain MDP has
// no error reply: under ProtocolV02 and ProtocolV01 the worker sends an
// ordinary FINAL reply whose single body frame is the status line ("500" or
// "500 text"), the same form as MMI and Titanic status frames.
//
// # Reliability
//
// One goroutine per connection owns the DEALER socket (internal/zsock: a
// whole message crosses cgo in one call); handlers run in their own
// goroutines and hand their replies back through a channel and a wake-up
// pipe (internal/wakeup) polled beside the socket, so heartbeats keep
// flowing however slow a handler is. With
// the extension the worker declares its heartbeat interval in XREADY and the
// broker expires it on that interval, so the two sides never disagree. A
// broker silent for interval × liveness, or one that sends DISCONNECT, is
// replaced: the worker closes the socket, opens a new one and registers
// again after an exponential backoff with jitter. Replies of requests
// received on a lost connection are not sent (the broker has handed those
// requests to another worker); a re-delivery of one still running here,
// when its client chose the UUID, is attached to it rather than run twice,
// and the reply goes to the latest delivery. A broker that reads slowly
// loses no reply: messages wait, in order, until its socket has room, and
// meanwhile Request.Partial and the handlers' returns wait too
// (backpressure). Messages dropped (malformed, for a lost connection, or
// beyond the bounds below) are logged.
//
// # Several brokers
//
// A worker may serve through several brokers at once, all active (the
// README's "Several brokers" section): it keeps its own connections to
// each, with their own heartbeats and reconnect backoff, so a broker that
// dies or restarts is reconnected to while the others keep serving. Its
// capacity (WithConcurrency) is one, shared by all: every broker is offered
// the whole capacity (with the extension, XREADY declares k on one
// connection per broker; with a plain protocol, k connections of capacity
// one per broker), because the clients of a healthy system mostly send to
// one broker and it should be able to use all of the worker. A request
// that finds all k handlers busy with requests from other brokers waits in
// the worker, in arrival order, and runs when a slot frees, or is answered
// 504 unrun if its deadline passes first. So k handlers never run at once
// more than k, and a worker on N brokers holds at most (N−1)×k requests
// waiting in the worker beyond the k it runs; the broker that sent them
// sees them in flight. The reply cache is the worker's, not a connection's:
// a client's retry through another broker (same UUID) is answered from it.
// A retry that arrives through another broker while the first delivery is
// still running here runs again (at-least-once); a durable Deduper covers
// that case as it covers retries that reach another worker process. Our
// clients withdraw an attempt they give up (XCANCEL), so one still queued
// at the broker it left never reaches a worker; one a worker already holds
// is not withdrawn, which is what these caches are for.
//
// The worker logs at info when it has registered with a broker (the broker
// has answered its READY) and when it loses one; Ready is closed at its
// first registration. When no broker has had it for WithUnreachableTimeout
// (default 10 s) it logs an error, once per outage; with
// WithExitWhenUnreachable, Run then stops and returns ErrUnreachable.
//
// # Stale requests
//
// A worker that stops reading for a while (stopped with SIGSTOP, swapped
// out, starved of CPU) finds a backlog in its socket when it resumes, and
// the broker may have given up on the requests in it. The worker reads the
// whole backlog (up to 256 messages) before acting on it, and drops unrun a
// request that the broker followed with DISCONNECT (it expired the worker
// and handed the request on), and a request followed by k HEARTBEATs where
// k × the heartbeat interval reaches the request's timeout: the broker
// heartbeats only after an interval in which it sent nothing else, so the
// request's deadline had passed before the worker read it (the broker
// answers the client 504). A request whose deadline passes while it waits
// for a busy slot is answered 504 without running. Such drops are logged
// and counted in Stats().Stale. The rule needs the broker to heartbeat at
// least as far apart as the worker's interval (or a minute, if that is
// shorter), as a majordomo broker does with the extension and as a plain
// broker must.
//
// # De-duplication
//
// De-duplication is on by default. When the client chose the request UUID
// (Request.ClientUUID, extension only: the SDK's clients always do), a
// request answered recently is answered again without running the handler,
// from an in-memory cache bounded in replies, bytes and age (by default
// 1024 replies, 16 MiB and one minute: WithDedupCache,
// WithDedupCacheBytes), and a request already pending or running in this
// worker is not started again. This covers a client's retries and a
// re-delivery after the broker lost a worker; a retry older than the
// cache's minute, or one that reaches another worker process, runs again
// unless a durable store (WithDeduper) knows it. Requests of plain clients
// carry no stable UUID and are never de-duplicated.
// Successful and 4xx replies are cached; 5xx replies are not, so a retry
// runs again. WithDeduper adds a durable store consulted after the cache.
// Partial replies are never replayed.
//
// # Concurrency and shutdown
//
// WithConcurrency(k) runs up to k handlers at once: with the extension on
// one connection per broker whose capacity the broker honours, with a plain
// protocol on k connections per broker. The bound holds across reconnects: handlers of a lost
// connection still count, and a request that finds all k slots busy (which
// only happens after a reconnect) waits for one; a request beyond k
// waiting (a broker ignoring our capacity) gets 503 at once.
//
// Cancelling Run's context, or calling Shutdown, drains: the worker sends
// XDRAIN (extension) so the broker sends nothing more, waits for the
// requests in flight, sends DISCONNECT and closes. A plain MDP
// broker has no drain command, so it may still hand the worker a request in
// the moment between its last reply and its DISCONNECT; a majordomo broker
// re-queues such a request. Run returns after every goroutine it started
// has ended.
//
// # CURVE
//
// WithCurve (keys in Z85) or WithCurveKeyFiles (the files "mdcli keygen"
// writes) makes every connection to the brokers, reconnections included, a
// CURVE connection: encrypted, and authenticated by the worker's key, which
// the broker's access policy must allow to serve the service. A broker that
// refuses the key, or whose key is another, never completes the
// connection, and to the worker it is an unreachable broker: it warns that
// the broker is silent (with a hint naming CURVE and its public key),
// reconnects with backoff, and WithUnreachableTimeout and
// WithExitWhenUnreachable apply. A broker that lets the key in but whose
// policy does not allow the service answers READY with DISCONNECT, and the
// worker reconnects with backoff.
//
// Worker's methods are safe for concurrent use; Request.Partial is safe for
// one goroutine at a time.
package workers
