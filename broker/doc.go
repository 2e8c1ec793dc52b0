// Package broker is a Majordomo broker: it routes client requests to
// workers by service name over one ZeroMQ ROUTER socket, for MDP/0.1,
// MDP/0.2 and majordomo's extension at once.
//
//	cfg := broker.DefaultConfig()
//	b, err := broker.New(cfg) // binds tcp://127.0.0.1:5555
//	if err != nil { ... }
//	err = b.Run(ctx)          // until ctx is cancelled, then drains
//
// What it guarantees:
//   - One goroutine (Run's) owns the socket and every piece of state; other
//     goroutines ask it for a Snapshot through a channel and a wake-up.
//   - Workers, idle or busy, are heartbeated and expired after
//     HeartbeatInterval × HeartbeatLiveness of silence (an extension worker's
//     own declared interval replaces HeartbeatInterval for it).
//   - A request held by a worker that dies, leaves or is expired goes back to
//     the head of its queue and is delivered again, at most MaxAttempts times;
//     then the client gets 502.
//   - Every request has a deadline; every queue is bounded in count and
//     bytes; a reply from a worker that does not hold the request is dropped.
//   - Extension clients never wait in silence: they get an error reply
//     (404, 413, 502, 503, 504 or the worker's own) where plain MDP has none;
//     a retry with the same request UUID is never queued twice, and a retry
//     of one answered recently is answered from a bounded reply cache.
//   - mmi.service, mmi.services and mmi.broker are answered by the broker.
//
// Decisions live in a socket-free core (core.go and its neighbours): handle
// and tick change state and queue outgoing messages, which the loop sends.
// Per-message cost does not depend on the number of workers, services or
// queued requests: maps, intrusive lists and a timer heap, no scans.
//
// The wire formats are in spec/ (mdp.md, extensions.md, mmi.md).
package broker
