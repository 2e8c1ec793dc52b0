// Package echo holds the quick-start example: worker/ serves the "echo"
// service with the worker SDK, client/ calls it with the client SDK. Start
// a broker (make run), then in two more terminals:
//
//	go run ./examples/echo/worker
//	go run ./examples/echo/client hello world
//
// TestQuickStart runs exactly this, with the two commands built and run as
// processes against an in-process broker, and checks Ctrl-C's drain.
package echo
