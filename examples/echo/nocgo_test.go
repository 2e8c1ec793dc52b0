package echo

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// Using the SDKs without cgo fails to build with a message that names cgo
// and libzmq (internal/zsock/nocgo.go), not only pebbe/zmq4's list of
// undefined names. GOPROXY=off: this needs no network.
func TestBuildWithoutCgoSaysWhy(t *testing.T) {
	gotool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed: %v", err)
	}
	for _, pkg := range []string{"./client", "./worker"} {
		cmd := exec.Command(gotool, "build", "-o", os.DevNull, pkg)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOPROXY=off")
		out, err := cmd.CombinedOutput()
		if err == nil {
			t.Fatalf("%s built without cgo", pkg)
		}
		for _, want := range []string{"majordomo_needs_cgo_and_libzmq_set_CGO_ENABLED_1", "set CGO_ENABLED=1"} {
			if !strings.Contains(string(out), want) {
				t.Errorf("go build %s without cgo does not say %q:\n%s", pkg, want, out)
			}
		}
	}
}
