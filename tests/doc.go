// Package tests holds the tests whose subject is several packages at once,
// over real loopback sockets and, where a crash or a signal matters, real
// processes:
//
//   - the two SDKs together, through our broker and through the mini
//     broker of internal/mdptest (sdks_test.go), and the table of their
//     protocol pairings (plain 0.1, plain 0.2, extension) through our
//     broker and through the zguide's Go broker, built from pebbe/zmq4's
//     examples (pairings_test.go, zguidebroker_test.go);
//   - the SDKs over CURVE with an access policy (curve_test.go);
//   - every kind of plain MDP peer, in raw RFC frames, on one broker with
//     the SDKs (interop_test.go);
//   - faults: workers that crash holding requests, a worker killed with
//     SIGKILL, a broker shut down mid-call, one of two broker processes
//     killed with SIGKILL under load and restarted (faults_test.go,
//     hardening_crash_test.go, hardening_test.go, twobrokers_test.go);
//   - a broker process under hostile input: oversize and gross multipart
//     messages from raw ZMTP peers, routing-identity attacks
//     (hardening_test.go, multipart_bound_test.go, zmtp_peer_test.go,
//     identity_attack_test.go).
//
// It has no code besides test helpers (harness_test.go, and
// brokerprocess_test.go for mdbroker processes); the test doubles are
// internal/mdptest's. Run it with `go test -race ./tests`.
package tests
