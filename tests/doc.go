// Package tests holds the tests that cross packages: the broker, the worker
// SDK and the client SDK together over real loopback sockets (every pairing
// of their protocols among them), interop with plain MDP peers speaking raw
// RFC frames, and fault injection (workers that crash holding requests, a
// broker killed with SIGKILL and restarted).
//
// It has no code of its own besides test helpers; run it with
// `go test -race ./tests`.
package tests
