// Package mdptest holds the test doubles that the tests of several packages
// share, each on a real socket over 127.0.0.1:
//
//   - Scripted: a broker whose every move the test scripts (a ROUTER that
//     hands each message to a function running in the socket's goroutine);
//   - MiniBroker: a small working broker (plain MDP/0.1 and MDP/0.2 and the
//     extension, de-duplication, heartbeats, a log of what it got) whose
//     faults a test can switch on;
//   - CurveBroker: an extension broker over CURVE with a ZAP allow-list,
//     which records the key of every message it gets;
//   - Peer: a raw DEALER (or REQ, ROUTER...) that sends and receives exact
//     protocol frames from the test's goroutine;
//   - Proxy: a TCP proxy whose connections a test can reset, or cut and
//     restore (a partition);
//   - WaitFor, Eventually and Receive: polling with a generous deadline.
//
// Every double owns its socket in exactly one goroutine, stops when the test
// ends (t.Cleanup) and waits for its goroutines, so goleak passes.
//
// It lives in internal/ and imports neither broker nor the SDKs, so that the
// broker's own tests (package broker), the SDKs' and kv's can all use it;
// broker/brokertest, which runs our real broker, builds on it.
package mdptest
