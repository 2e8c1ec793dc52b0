package broker

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/majordomo-go/majordomo/internal/curvekey"
	"github.com/majordomo-go/majordomo/internal/zsock"
)

func testKey(t testing.TB) zsock.Key {
	t.Helper()
	pub, _, err := zsock.NewKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	return pub
}

func TestACLGlob(t *testing.T) {
	for _, tc := range []struct {
		pattern, name string
		want          bool
	}{
		{"kv.*", "kv.read", true}, {"kv.*", "kv.", true}, {"kv.*", "kv", false}, {"kv.*", "xkv.read", false},
		{"*", "", true}, {"*", "anything", true}, {"a*b*c", "abc", true}, {"a*b*c", "aXbYc", true},
		{"a*b*c", "aXbY", false}, {"*.write", "kv.write", true}, {"*.write", "kv.writer", false},
		{"echo", "echo", true}, {"echo", "echo2", false}, {"a**", "a", true}, {"*a*a*a", "aaaaaaaaab", false},
	} {
		if got := matchGlob(tc.pattern, tc.name); got != tc.want {
			t.Errorf("matchGlob(%q, %q) = %v", tc.pattern, tc.name, got)
		}
	}
}

func TestACLFileRights(t *testing.T) {
	ops, kv, app, stranger := testKey(t), testKey(t), testKey(t), testKey(t)
	text := "# who may do what\n\nkey ops " + ops.String() + "\nkey kv " + kv.String() + "\nkey app " + app.String() + "\n" +
		"allow kv serve kv.*\nallow app call kv.read echo\nallow ops admin\nallow ops call *\nallow * mmi\n"
	a, err := ParseAccess("test.acl", []byte(text), nil)
	if err != nil {
		t.Fatal(err)
	}
	if a.Keys() != 3 || a.Rules() != 5 {
		t.Fatalf("keys %d rules %d", a.Keys(), a.Rules())
	}
	u := func(k zsock.Key) []byte { return []byte(k.String()) }
	for _, tc := range []struct {
		who     zsock.Key
		r       right
		service string
		want    bool
	}{
		{kv, rightServe, "kv.read", true}, {kv, rightServe, "kv.write", true}, {kv, rightServe, "b", false},
		{kv, rightCall, "kv.read", false}, {kv, rightMMI, "mmi.service", true}, {kv, rightAdmin, "mmi.handover", false},
		{app, rightCall, "kv.read", true}, {app, rightCall, "kv.write", false}, {app, rightCall, "echo", true},
		{app, rightServe, "echo", false}, {ops, rightCall, "anything", true}, {ops, rightAdmin, "mmi.handover", true},
		{stranger, rightCall, "echo", false}, {stranger, rightMMI, "mmi.service", false},
	} {
		if got := a.may(u(tc.who), tc.r, tc.service); got != tc.want {
			t.Errorf("may(%v, %d, %q) = %v", tc.who, tc.r, tc.service, got)
		}
	}
	if _, ok := a.admit(stranger); ok {
		t.Error("a key not in the policy admitted")
	}
	if z, ok := a.admit(kv); !ok || z != kv.String() {
		t.Errorf("admit(kv) = %q %v", z, ok)
	}
	if z, ok := (*Access)(nil).admit(stranger); !ok || z != stranger.String() {
		t.Errorf("no policy: admit = %q %v", z, ok)
	}
}

// A policy with keys and no allow line lets each listed key do everything,
// and no other.
func TestACLFileKeysOnlyAllowEverything(t *testing.T) {
	k := testKey(t)
	a, err := ParseAccess("p", []byte("key one "+k.String()+"\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []right{rightServe, rightCall, rightMMI, rightAdmin} {
		if !a.may([]byte(k.String()), r, "x") || a.may([]byte(testKey(t).String()), r, "x") {
			t.Errorf("right %d", r)
		}
	}
}

func TestACLFileErrorsNameTheLine(t *testing.T) {
	k, k2 := testKey(t).String(), testKey(t).String()
	for _, tc := range []struct {
		text string
		line int
		msg  string
	}{
		{"", 1, "no key"},
		{"key a " + k + "\nfrobnicate\n", 2, "unknown directive"},
		{"key a\n", 1, "want: key NAME KEY"},
		{"key a " + k + "\nkey a " + k2 + "\n", 2, "declared again (first on line 1)"},
		{"key a " + k + "\nkey b " + k + "\n", 2, "same key as \"a\""},
		{"key * " + k + "\n", 1, "key name"},
		{"key a " + k + "\nallow b call x\n", 2, "no key named \"b\""},
		{"key a " + k + "\nallow a call\n", 2, "at least one service pattern"},
		{"key a " + k + "\nallow a mmi x\n", 2, "takes no service pattern"},
		{"key a " + k + "\nallow a drive x\n", 2, "unknown right"},
		{"key a not-a-key-and-no-files-here\n", 1, "key files are not read here"},
	} {
		_, err := ParseAccess("p.acl", []byte(tc.text), nil)
		var ae *AccessError
		if !errors.As(err, &ae) || ae.Line != tc.line || !strings.Contains(ae.Msg, tc.msg) ||
			!strings.HasPrefix(err.Error(), "p.acl:") {
			t.Errorf("%q: %v, want line %d %q", tc.text, err, tc.line, tc.msg)
		}
	}
}

// A key may be a .pub file, relative to the policy file's directory.
func TestACLFileKeyFromPubFile(t *testing.T) {
	dir := t.TempDir()
	pair, err := curvekey.Generate(filepath.Join(dir, "worker.key"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "broker.acl")
	if err := os.WriteFile(path, []byte("key w worker.key.pub\nallow w serve echo\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	a, err := LoadAccess(path)
	if err != nil {
		t.Fatal(err)
	}
	if !a.may([]byte(pair.Public.String()), rightServe, "echo") {
		t.Error("the key read from the .pub file may not serve echo")
	}
	if err := os.WriteFile(path, []byte("key w missing.pub\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadAccess(path); err == nil || !strings.Contains(err.Error(), "broker.acl:1:") {
		t.Errorf("missing key file: %v", err)
	}
}

// FuzzACLParse: the parser never panics, and whatever it accepts answers
// every question without panicking.
func FuzzACLParse(f *testing.F) {
	k := testKey(f).String()
	f.Add([]byte("key a " + k + "\nallow a serve kv.* *x*\nallow * call *\nallow a mmi\nallow a admin\n"))
	f.Add([]byte("key a " + k + "\n# c\n\n  allow   a call  x\n"))
	f.Add([]byte("allow * serve\nkey\n"))
	f.Fuzz(func(t *testing.T, text []byte) {
		a, err := ParseAccess("fuzz", text, nil)
		if err != nil {
			var ae *AccessError
			if !errors.As(err, &ae) || ae.Line < 1 {
				t.Fatalf("error without a line: %v", err)
			}
			return
		}
		for _, r := range []right{rightServe, rightCall, rightMMI, rightAdmin} {
			a.may([]byte(k), r, string(text))
		}
	})
}
