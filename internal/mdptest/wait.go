package mdptest

import (
	"testing"
	"time"
)

// Timeout bounds every wait here: generous, for a loaded CI machine;
// passing tests never come near it.
const Timeout = 20 * time.Second

// WaitFor polls cond every few milliseconds until it holds, and fails the
// test when it does not within Timeout. Call it from the test's goroutine.
func WaitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	WaitWithin(t, Timeout, what, cond)
}

// WaitWithin is WaitFor with a deadline of d, for a test whose deadline is
// part of what it checks.
func WaitWithin(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	if !Eventually(d, cond) {
		t.Fatalf("timed out after %v waiting for %s", d, what)
	}
}

// Eventually polls cond until it holds (true) or d has passed (false). For
// goroutines other than the test's, which must not call t.Fatal.
func Eventually(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(2 * time.Millisecond)
	}
	return true
}

// Receive takes a value from ch, failing the test after Timeout.
func Receive[T any](t testing.TB, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(Timeout):
		t.Fatalf("timed out after %v waiting for %s", Timeout, what)
		panic("unreachable")
	}
}
