package main

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/majordomo-go/majordomo/internal/mdptest"
)

func TestDialAddress(t *testing.T) {
	for _, tc := range []struct {
		endpoint, network, addr string
		ok                      bool
	}{
		{"tcp://127.0.0.1:5555", "tcp", "127.0.0.1:5555", true},
		{"tcp://localhost:5555", "tcp", "localhost:5555", true},
		{"tcp://127.0.0.1:0;127.0.0.1:5555", "tcp", "127.0.0.1:5555", true},
		{"tcp://[::1]:5555", "tcp", "[::1]:5555", true},
		{"ipc:///tmp/md.sock", "unix", "/tmp/md.sock", true},
		{"ipc://@md", "unix", "@md", true},
		{"inproc://md", "", "", false},
		{"nonsense", "", "", false},
	} {
		network, addr, ok := dialAddress(tc.endpoint)
		if network != tc.network || addr != tc.addr || ok != tc.ok {
			t.Errorf("%s: %q %q %v, want %q %q %v", tc.endpoint, network, addr, ok, tc.network, tc.addr, tc.ok)
		}
	}
}

// A broker that is not there is an error before the run, naming the
// endpoint, not a run that counts every request lost.
func TestUnreachableBroker(t *testing.T) {
	for _, ep := range []string{
		"tcp://" + mdptest.UnusedAddr(t),
		"ipc://" + filepath.Join(t.TempDir(), "no-broker.sock"),
	} {
		cfg := testConfig(ep)
		start := time.Now()
		r, err := run(context.Background(), cfg, &bytes.Buffer{})
		if !errors.Is(err, errUnreachable) || !strings.Contains(err.Error(), ep) {
			t.Errorf("%s: run = %+v, %v; want errUnreachable naming the endpoint", ep, r, err)
		}
		if d := time.Since(start); d > 20*time.Second { // a hang check, not a speed claim
			t.Errorf("%s: took %v", ep, d)
		}
	}
	if err := probeBroker(startBroker(t), probeTimeout); err != nil {
		t.Errorf("our running broker: %v", err)
	}
}

// A port that accepts connections but is not a ZeroMQ peer (silent, or
// speaking something else) is refused too, within the probe's bound.
func TestNotAZeroMQPeer(t *testing.T) {
	for _, tc := range []struct {
		name  string
		greet []byte // sent on accept; nil: nothing
	}{
		{"silent", nil},
		{"http", []byte("HTTP/1.1 400 Bad Request\r\n\r\n")},
		{"short", []byte{0xFF, 0, 0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			done := make(chan struct{})
			go func() {
				defer close(done)
				for {
					c, err := l.Accept()
					if err != nil {
						return
					}
					c.Write(tc.greet)
					if tc.greet != nil {
						c.Close()
					} else {
						defer c.Close() // silent until the listener goes
					}
				}
			}()
			t.Cleanup(func() {
				l.Close()
				<-done
			})
			err = probeBroker("tcp://"+l.Addr().String(), 200*time.Millisecond)
			if !errors.Is(err, errUnreachable) || !strings.Contains(err.Error(), "did not greet as a ZeroMQ peer") {
				t.Fatalf("probe = %v", err)
			}
		})
	}
}

// The binary: --version names the build, and an unreachable broker exits
// 3 with a message that says so.
func TestBinary(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "mdbench")
	// Outside a git checkout (a source tarball, or a git worktree, whose
	// .git is a file the go command does not stamp from) there is no
	// commit to name.
	inGit := gitCheckout(t)
	vcs := "-buildvcs=false"
	if inGit {
		vcs = "-buildvcs=true"
	}
	build := exec.Command("go", "build", vcs, "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "--version").Output()
	if err != nil || !regexp.MustCompile(`^mdbench \S.* go1\.\S+ \S+/\S+\n$`).Match(out) {
		t.Fatalf("--version: %v, %q", err, out)
	}
	if inGit {
		checkRevision(t, out)
	}

	cmd := exec.Command(bin, "--broker", "tcp://"+mdptest.UnusedAddr(t), "--duration", "1s")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err = cmd.Run()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 3 || !strings.Contains(stderr.String(), "broker unreachable") {
		t.Fatalf("unreachable broker: %v, stderr %q", err, stderr.String())
	}
}

// checkRevision: a binary built with -buildvcs=true in this checkout names
// a commit of it (HEAD may have moved since: others commit too).
func checkRevision(t *testing.T, versionLine []byte) {
	t.Helper()
	m := regexp.MustCompile(`(?:rev |-)([0-9a-f]{12})\b`).FindSubmatch(versionLine)
	if m == nil {
		t.Fatalf("--version %q names no commit", versionLine)
	}
	rev := string(m[1])
	cmd := exec.Command("git", "cat-file", "-e", rev+"^{commit}")
	cmd.Env = append(os.Environ(), "GIT_OPTIONAL_LOCKS=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("--version names %s, not a commit: %v %s", rev, err, out)
	}
}

// gitCheckout reports whether the go command stamps builds here with the
// commit: a .git directory above the working directory, and git.
func gitCheckout(t *testing.T) bool {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		return false
	}
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if fi, err := os.Stat(filepath.Join(dir, ".git")); err == nil {
			return fi.IsDir()
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return false
		}
		dir = parent
	}
}
