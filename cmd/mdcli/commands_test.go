package main

import (
	"context"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/majordomo-go/majordomo/workers"
)

// A call to an mmi.* service whose reply is an error status prints the
// reply and exits 1; 200 exits 0.
func TestMMIErrorStatusExitsNonZero(t *testing.T) {
	ep := realBroker(t, map[string]workers.HandlerFunc{
		"echo": func(_ context.Context, req *workers.Request) ([][]byte, error) { return req.Body, nil },
	})
	for _, tc := range []struct {
		args     []string
		code     int
		stdout   string
		stderrIn string
	}{
		{[]string{"call", "mmi.nope"}, exitServiceError, "501\n", "mmi.nope answered 501 not implemented"},
		{[]string{"stream", "mmi.nope"}, exitServiceError, "501\n", "501"},
		{[]string{"call", "mmi.service", "nobody"}, exitServiceError, "404\n", "404 not found"},
		{[]string{"call", "mmi.service", "echo"}, exitOK, "200\n", ""},
		{[]string{"--json", "call", "mmi.nope"}, exitServiceError, `{"service":"mmi.nope","encoding":"utf-8","frames":["501"]}` + "\n", "501"},
	} {
		code, stdout, stderr := invocation{}.do(t, append([]string{"--broker", ep}, tc.args...)...)
		if code != tc.code || stdout != tc.stdout || !strings.Contains(stderr, tc.stderrIn) {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want %d, %q, %q", tc.args, code, stdout, stderr, tc.code, tc.stdout, tc.stderrIn)
		}
	}
}

func TestVersionAndDoubleDash(t *testing.T) {
	ep := scriptedBroker(t)
	for _, args := range [][]string{{"--version"}, {"--broker", "tcp://127.0.0.1:1", "--version"}, {"call", "--version"}} {
		code, stdout, _ := invocation{}.do(t, args...)
		if code != exitOK || !strings.HasPrefix(stdout, "mdcli ") || !strings.Contains(stdout, runtime.Version()) {
			t.Errorf("%q: exit %d, %q", args, code, stdout)
		}
	}
	for _, tc := range []struct {
		args   []string
		code   int
		stdout string
	}{
		{[]string{"--broker", ep, "--", "call", "echo", "x"}, exitOK, "x\n"},
		{[]string{"--broker", ep, "call", "--", "echo", "--json", "--", "-"}, exitOK, "--json\n--\n\n"},
		{[]string{"--broker", ep, "--", "--json", "call", "echo"}, exitUsage, ""}, // after --, "--json" is the command
	} {
		code, stdout, stderr := invocation{}.do(t, tc.args...)
		if code != tc.code || stdout != tc.stdout {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want %d, %q", tc.args, code, stdout, stderr, tc.code, tc.stdout)
		}
	}
}

// Usage names every command, and mdcli's lists of titanic's and kv's
// subcommands (for completion) are the ones their own usage shows.
func TestUsageListsEveryCommand(t *testing.T) {
	_, _, stderr := invocation{}.do(t, "-h")
	for _, c := range commands {
		if !strings.Contains(stderr, "\n  "+c.name+" ") {
			t.Errorf("usage does not list %q:\n%s", c.name, stderr)
		}
	}
	for _, want := range []string{"MAJORDOMO_BROKER", "@@TEXT", "-broker endpoint", "exit codes"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("usage lacks %q", want)
		}
	}
	sub := regexp.MustCompile(`(?m)^  ([a-z]+) `)
	for name, text := range map[string]string{"titanic": titanicUsage, "kv": kvUsage} {
		c, _ := lookupCommand(name)
		var listed []string
		for _, m := range sub.FindAllStringSubmatch(text, -1) {
			if !contains(listed, m[1]) {
				listed = append(listed, m[1])
			}
		}
		if strings.Join(listed, " ") != strings.Join(c.subcommands, " ") {
			t.Errorf("%s: usage lists %q, completion %q", name, listed, c.subcommands)
		}
	}
}
