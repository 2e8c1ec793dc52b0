package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// script writes mdcli's completion script for shell to a file.
func script(t *testing.T, shell string) string {
	t.Helper()
	code, stdout, stderr := invocation{}.do(t, "completion", shell)
	if code != exitOK || stdout == "" {
		t.Fatalf("completion %s: exit %d, %q", shell, code, stderr)
	}
	path := filepath.Join(t.TempDir(), "mdcli."+shell)
	if err := os.WriteFile(path, []byte(stdout), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestCompletionArguments(t *testing.T) {
	for _, args := range [][]string{{"completion"}, {"completion", "fish"}, {"completion", "bash", "zsh"}} {
		if code, _, stderr := (invocation{}).do(t, args...); code != exitUsage || !strings.Contains(stderr, "bash or zsh") {
			t.Errorf("%q: exit %d, %q", args, code, stderr)
		}
	}
	// It needs no broker: an unusable one is never asked.
	if code, _, _ := (invocation{env: map[string]string{brokerEnv: "tcp://127.0.0.1:1"}}).do(t, "completion", "bash"); code != exitOK {
		t.Errorf("completion with no broker: exit %d", code)
	}
}

// Bash parses the script, and its completion function, called as bash
// calls it (COMP_LINE, COMP_POINT, COMP_WORDS, COMP_CWORD), offers the
// commands, subcommands, flags and @FILE frames.
func TestBashCompletion(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Fatalf("bash is needed: %v", err)
	}
	path := script(t, "bash")
	if out, err := exec.Command(bash, "-n", path).CombinedOutput(); err != nil {
		t.Fatalf("bash -n: %v\n%s", err, out)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "request.json"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ line, want string }{
		{"mdcli ", "call stream services service workers titanic kv keygen completion"},
		{"mdcli s", "stream services service"},
		{"mdcli ti", "titanic"},
		{"mdcli --broker tcp://127.0.0.1:5555 kv g", "get"},
		{"mdcli --timeout 5s titanic ", "submit status fetch close"},
		{"mdcli completion ", "bash zsh"},
		{"mdcli --js", "--json"},
		{"mdcli call --f", "--fail-fast"},
		{"mdcli --timeout ", ""},    // a flag's value: nothing to offer
		{"mdcli call echo --j", ""}, // after SERVICE every word is a frame
		{"mdcli kv get ", ""},       // a key: nothing to offer
		{"mdcli -- ser", "services service"},
		{"mdcli call echo @" + dir + "/req", "@" + dir + "/request.json"},
		{"mdcli stream echo @@" + dir, ""}, // a literal @, not a file
	} {
		cmd := exec.Command(bash, "--norc", "--noprofile", "-c", `source "$1"
COMP_LINE=$2
COMP_POINT=${#COMP_LINE}
read -ra COMP_WORDS <<< "$COMP_LINE"
[[ $COMP_LINE == *' ' ]] && COMP_WORDS+=("")
COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
_mdcli
echo "${COMPREPLY[*]}"
complete -p mdcli`, "bash", path, tc.line)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%q: %v\n%s", tc.line, err, out)
		}
		lines := strings.Split(string(out), "\n")
		if lines[0] != tc.want {
			t.Errorf("%q: offered %q, want %q", tc.line, lines[0], tc.want)
		}
		if !strings.Contains(lines[1], "-F _mdcli mdcli") {
			t.Errorf("the function is not registered for mdcli: %q", lines[1])
		}
	}
}

// Zsh parses the script and, loaded after compinit, registers _mdcli for
// mdcli. Without zsh, the script's text is still checked.
func TestZshCompletion(t *testing.T) {
	path := script(t, "zsh")
	text, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"#compdef mdcli", "compdef _mdcli mdcli", "'*--broker=[", "'--json["} {
		if !strings.Contains(string(text), want) {
			t.Errorf("the zsh script lacks %q", want)
		}
	}
	for _, c := range commands {
		if !strings.Contains(string(text), "'"+c.name+":") {
			t.Errorf("the zsh script does not offer %q", c.name)
		}
	}
	zsh, err := exec.LookPath("zsh")
	if err != nil {
		t.Fatal("zsh is not installed (scripts/install-deps.sh installs it): the script was checked as text only")
	}
	if out, err := exec.Command(zsh, "-n", path).CombinedOutput(); err != nil {
		t.Fatalf("zsh -n: %v\n%s", err, out)
	}
	home := t.TempDir() // compinit writes its dump there, not in the real home
	cmd := exec.Command(zsh, "-f", "-c", `autoload -U compinit && compinit -u -D && source "$1" && print -r -- $_comps[mdcli]`, "zsh", path)
	cmd.Env = append(os.Environ(), "HOME="+home, "ZDOTDIR="+home)
	out, err := cmd.CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "_mdcli" {
		t.Fatalf("zsh: %v, %q", err, out)
	}
}
