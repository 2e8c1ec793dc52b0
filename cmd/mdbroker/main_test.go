package main

import (
	"os"
	"testing"

	"go.uber.org/goleak"
)

// execEnv, set in a child's environment, makes the test binary run main:
// the signal tests run mdbroker as a real process without building it.
const execEnv = "MAJORDOMO_TEST_EXEC_MDBROKER"

func TestMain(m *testing.M) {
	if os.Getenv(execEnv) == "1" {
		main()
		return
	}
	goleak.VerifyTestMain(m)
}
