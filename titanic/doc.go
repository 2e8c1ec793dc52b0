// Package titanic is majordomo's disk-backed reliable queueing: the Titanic
// Service Protocol (9/TSP, https://rfc.zeromq.org/spec/9/) served through a
// majordomo broker as the services titanic.request, titanic.reply and
// titanic.close, with every accepted request on disk (fsynced) before its
// client is told 200. spec/titanic.md is the wire contract.
//
//	srv, err := titanic.New(titanic.Config{Broker: "tcp://127.0.0.1:5555", Dir: "/var/lib/titanic"})
//	if err != nil { ... } // ErrCorrupt, ErrLocked: the store is not opened
//	err = srv.Run(ctx)    // until ctx is cancelled; closes the store
//
// mdbroker --titanic DIR runs a Server inside the broker's process, and
// cmd/titanic runs one as a process of its own.
//
// # What it is made of
//
// Three workers (the worker SDK) answer the 9/TSP services; every answer,
// errors included, is an ordinary reply whose first frame is a bare status
// code, so plain MDP/0.1 clients such as the zguide's ticlient work
// unchanged. The Store is bbolt in Dir/titanic.db. The dispatcher owns one
// extension DEALER socket to the broker: each stored request goes to its
// service with its stored UUID (the client SDK makes up its own UUIDs, so it
// cannot be used here), so that after a restart a request sent again is a
// duplicate that the broker's reply cache or the worker's de-duplication
// answers without running it again.
//
// # Guarantees
//
//   - Accepted means durable: titanic.request answers 200 only after the
//     request is committed and fsynced. Commits are shared by the requests
//     stored at the same time (group commit through bbolt's DB.Batch), so
//     the disk does one fsync per batch, not per request.
//   - Nothing accepted is lost by a crash (kill -9): on start the Server
//     dispatches every stored request without a result again, with its UUID.
//   - A titanic.request retried by an extension client (same request UUID)
//     is stored once: its Titanic UUID is derived from the client's, and a
//     retry is answered with the UUID already stored, across restarts too.
//   - A service is sent at most MaxInFlight requests at once; a slow or absent
//     service never delays another's requests. A service with no worker
//     (mmi.service says 404) is not sent anything; it is asked again every
//     ProbeInterval.
//   - An attempt that fails with a 5xx, or is not answered within its
//     timeout, is tried again after a doubling backoff until the request's
//     TTL (DefaultTTL, or the TTL the request names; at most MaxTTL); then
//     the request is answered as failed, "400" with the reason "expired". A
//     4xx from the service ends it as failed at once.
//   - titanic.reply never deletes; titanic.close deletes and answers 200
//     even for an unknown UUID. A finished request nobody closes is removed
//     after Retention.
//   - Disk is bounded: titanic.request answers "503" ("store full") rather
//     than accept a request that would take the live bytes (keys and values)
//     past MaxBytes. bbolt reuses the pages freed by closes and garbage
//     collection but never shrinks its file, so the file stays near its
//     high-water mark: up to about twice MaxBytes plus the replies of
//     pending requests (which are always stored) and bbolt's page overhead.
//     A file larger than twice MaxBytes plus 1 MiB (the bound was lowered,
//     or large replies came and went) is compacted when the store opens.
//   - A damaged store (bbolt's consistency check, a checksum per record, a
//     truncated or empty file) is ErrCorrupt: New refuses to open it rather
//     than serve wrong data.
//
// A Server and a Store are safe for use by many goroutines at once.
package titanic
