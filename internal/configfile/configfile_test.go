package configfile

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func write(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "app.conf")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestRead(t *testing.T) {
	path := write(t, "\uFEFF# a comment\r\n\r\nbind = tcp://*:5555\r\n--heartbeat=1s # after a value\n"+
		"name = \"a # kept\"  # dropped\nurl = http://h/#frag\n")
	got, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	want := []Setting{
		{Name: "bind", Value: "tcp://*:5555", Line: 3},
		{Name: "heartbeat", Value: "1s", Line: 4},
		{Name: "name", Value: "a # kept", Line: 5},
		{Name: "url", Value: "http://h/#frag", Line: 6},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v\nwant %+v", got, want)
	}
}

func TestReadRefuses(t *testing.T) {
	for text, want := range map[string]string{
		"just a word\n":           ":1: want `name = value`",
		"ok = 1\n= value\n":       ":2: want `name = value`",
		"q = \"unterminated\n":    ":1: bad quoted value",
		"q = \"done\" trailing\n": `:1: unexpected "trailing"`,
	} {
		if _, err := Read(write(t, text)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: got %v, want an error with %q", text, err, want)
		}
	}
	if _, err := Read(filepath.Join(t.TempDir(), "missing.conf")); err == nil || !strings.Contains(err.Error(), "config file") {
		t.Errorf("missing file: %v", err)
	}
	if _, err := Read(t.TempDir()); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("a directory: %v", err)
	}
	big := write(t, strings.Repeat("# padding\n", MaxSize/10+1))
	if _, err := Read(big); err == nil || !strings.Contains(err.Error(), "not a regular file under") {
		t.Errorf("a file over MaxSize: %v", err)
	}
}
