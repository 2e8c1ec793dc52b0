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
//     goroutines ask it for a Snapshot through a channel and a wake-up, and
//     it copies services a chunk per turn, never all of them at once.
//   - Workers, idle or busy, are heartbeated and expired (and sent
//     DISCONNECT) after HeartbeatInterval × HeartbeatLiveness of silence (an
//     extension worker's own declared interval, clamped to
//     WorkerHeartbeatMin..Max, replaces HeartbeatInterval for it); a worker
//     the socket cannot send to is removed at once.
//   - A request held by a worker that dies, leaves or is expired goes back to
//     the head of its queue and is delivered again, at most MaxAttempts times;
//     then the client gets 502.
//   - Workers see an opaque 16-byte address per request, never a client's
//     ROUTER identity; a reply must name a request that worker holds, by
//     address and UUID, or the worker is disconnected.
//   - Every request has a deadline, queued or held by a worker (504 either
//     way). Every message is bounded as a whole on receipt (MaxMessageSize,
//     zsock.MaxFrames), and a request the broker accepts fits in a REQUEST
//     to a worker (413 otherwise). Queues are bounded in bytes (counts are an
//     optional cap); requests for services with no worker have bounds of
//     their own, in all and per client; a request a free worker can take at
//     once is never refused by a queue bound.
//   - Extension clients never wait in silence: they get an error reply
//     (404, 413, 500, 502, 503, 504 or the worker's own) where plain MDP has
//     none; a retry with the same service and request UUID is never queued
//     twice, even while draining, and a retry of one answered recently is
//     answered from a bounded reply cache.
//   - A service's mode decides how its workers' tiers share requests:
//     overflow (the best tier with a free worker), strict (only the best
//     tier with a live worker; requests wait for it) or exclusive (one
//     active worker holds requests, the others are standbys; the next one
//     takes over when it dies, with no automatic fail-back; mmi.handover or
//     Broker.Handover hands over explicitly, never with two workers holding
//     requests). The first worker's XREADY decides, unless Config.Services
//     pins it; a worker declaring another mode is refused (DISCONNECT,
//     counted as ModeConflicts).
//   - mmi.service, mmi.services (in pages of MMIServicesPage), mmi.workers
//     (in pages of MMIWorkersPage), mmi.handover and mmi.broker are answered
//     by the broker.
//   - Operators see it through AdminHandler: a status page at / (and one
//     per service), the same as JSON at /api/status, probes and POST
//     /handover; package broker/brokermetrics exports a Snapshot to
//     Prometheus, so that the broker itself does not link client_golang.
//     Workers' arrivals and departures are logged at info, at most a few
//     lines per service per ten seconds, with a count of those suppressed.
//   - Security (spec/security.md): with Config.CurveSecretKey every endpoint
//     is a CURVE server and a ZAP handler in the broker lets in the keys of
//     Config.Access (all keys without one); each message is judged by its
//     sender's key: READY needs the serve right (else DISCONNECT), a
//     request the call right (else 403, or dropped for plain MDP), MMI the
//     mmi or admin right. De-duplication and the reply cache are keyed by
//     the caller's key too. Broker.SetAccess and ReloadAccess swap the
//     policy without dropping connections. Config.ClientMaxInFlight,
//     ClientRate and ClientBurst limit each client connection (429).
//
// Decisions live in a socket-free core (core.go and its neighbours): handle
// and tick change state and queue outgoing messages, which the loop sends.
// Per-message cost does not depend on the number of workers, services or
// queued requests: maps, intrusive lists and a timer heap, no scans.
//
// The wire formats are in spec/ (mdp.md, extensions.md, mmi.md,
// security.md).
package broker
