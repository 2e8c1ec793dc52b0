package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The built command, as a shell runs it: the broker list from
// $MAJORDOMO_BROKER, a frame from a pipe on stdin, and a --version that
// names the commit it was built from.
func TestBinary(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "mdcli")
	// Outside a git checkout (a source tarball, or a git worktree, whose
	// .git is a file the go command does not stamp from) there is no
	// commit to name.
	inGit := gitCheckout(t)
	vcs := "-buildvcs=false"
	if inGit {
		vcs = "-buildvcs=true"
	}
	if out, err := exec.Command("go", "build", vcs, "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	ep := scriptedBroker(t)
	cmd := exec.Command(bin, "call", "echo", "-", "two")
	cmd.Env = append(os.Environ(), brokerEnv+"="+ep)
	cmd.Stdin = strings.NewReader("from a pipe")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil || string(out) != "from a pipe\ntwo\n" {
		t.Fatalf("call: %v, stdout %q, stderr %q", err, out, stderr.String())
	}

	out, err = exec.Command(bin, "--version").Output()
	if err != nil || !regexp.MustCompile(`^mdcli \S.* go1\.\S+ \S+/\S+\n$`).Match(out) {
		t.Fatalf("--version: %v, %q", err, out)
	}
	if !inGit {
		t.Log("not in a git checkout: the commit in --version is not checked")
		return
	}
	m := regexp.MustCompile(`(?:rev |-)([0-9a-f]{12})\b`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("--version %q names no commit", out)
	}
	// HEAD may have moved since the build (others commit too): the commit
	// need only be one of this repository's.
	git := exec.Command("git", "cat-file", "-e", string(m[1])+"^{commit}")
	git.Env = append(os.Environ(), "GIT_OPTIONAL_LOCKS=0")
	if out, err := git.CombinedOutput(); err != nil {
		t.Fatalf("--version names %s, not a commit here: %v %s", m[1], err, out)
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
