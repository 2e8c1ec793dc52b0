package mdp_test

import (
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/majordomo-go/majordomo/mdp"
)

// TestVectorsCoverEverySentinel: every Err* sentinel declared in package mdp
// has an error code and at least one vector, or is listed in notParseErrors.
func TestVectorsCoverEverySentinel(t *testing.T) {
	used := map[string]int{}
	for _, l := range loadVectors(t) {
		if l.v.Error != "" {
			used[l.v.Error]++
		}
	}
	byName := map[string]string{}
	for code, s := range errorCodes {
		byName[s.name] = code
		if used[code] == 0 {
			t.Errorf("error code %q (%s) has no vector", code, s.name)
		}
	}
	for _, name := range declaredSentinels(t) {
		if _, ok := notParseErrors[name]; ok {
			continue
		}
		if _, ok := byName[name]; !ok {
			t.Errorf("mdp.%s has no error code in errorCodes (or reason in notParseErrors)", name)
		}
	}
}

// declaredSentinels lists the package-level Err* variables in mdp's source.
func declaredSentinels(t *testing.T) []string {
	t.Helper()
	paths, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	fset := token.NewFileSet()
	for _, p := range paths {
		if strings.HasSuffix(p, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, p, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.VAR {
				continue
			}
			for _, spec := range g.Specs {
				for _, n := range spec.(*ast.ValueSpec).Names {
					if strings.HasPrefix(n.Name, "Err") {
						names = append(names, n.Name)
					}
				}
			}
		}
	}
	if len(names) == 0 {
		t.Fatal("found no Err* declarations in mdp")
	}
	sort.Strings(names)
	return names
}

// combo is one wire command: a version, kind and extension flag, in one
// direction.
type combo struct {
	version mdp.Version
	kind    mdp.Kind
	ext     bool
	dir     mdp.Direction
}

// TestVectorsCoverEveryCommand: for every version/kind/ext combination that
// mdp can encode, and each direction, there is a valid vector where the
// command is legal, a wrong-direction vector where it is not, and at least
// one other invalid vector for the command.
func TestVectorsCoverEveryCommand(t *testing.T) {
	valid, wrongWay, invalid := map[combo]int{}, map[combo]int{}, map[combo]int{}
	for _, l := range loadVectors(t) {
		_, m, err := l.parse()
		c := combo{m.Version, m.Kind, m.Ext, l.dir}
		switch {
		case err == nil:
			valid[c]++
		case errors.Is(err, mdp.ErrUnexpectedCommand):
			wrongWay[c]++
		case m.Kind != mdp.KindUnknown:
			c.dir = 0
			invalid[c]++
		}
	}
	n := 0
	for _, v := range []mdp.Version{mdp.V01, mdp.V02} {
		for k := mdp.ClientRequest; k <= mdp.WorkerDrain; k++ {
			for _, ext := range []bool{false, true} {
				frames, ok := sampleFrames(v, k, ext)
				if !ok {
					continue
				}
				n++
				name := v.String() + " " + k.String()
				if ext {
					name += " (extension)"
				}
				if invalid[combo{v, k, ext, 0}] == 0 {
					t.Errorf("%s: no invalid vector other than a wrong direction", name)
				}
				for _, dir := range []mdp.Direction{mdp.ToBroker, mdp.FromBroker} {
					m, err := mdp.Parse(frames, dir)
					c := combo{v, k, ext, dir}
					switch {
					case err == nil && m.Kind == k:
						if valid[c] == 0 {
							t.Errorf("%s %s: no valid vector", name, dir)
						}
					case errors.Is(err, mdp.ErrUnexpectedCommand):
						if wrongWay[c] == 0 {
							t.Errorf("%s %s: no wrong-direction vector", name, dir)
						}
					}
				}
			}
		}
	}
	if n != 27 {
		t.Errorf("found %d commands to cover, want 27 (7 MDP/0.1, 9 MDP/0.2, 11 extension)", n)
	}
}

// sampleFrames encodes a message of the given command with every field
// filled in; ok is false when mdp has no such command.
func sampleFrames(v mdp.Version, k mdp.Kind, ext bool) ([][]byte, bool) {
	m := mdp.Message{Version: v, Kind: k, Ext: ext, Service: "echo", Address: []byte("a"),
		Tier: 1, Capacity: 1, Status: mdp.StatusInternal, Body: [][]byte{[]byte("x")}}
	if k == mdp.ClientCancel {
		m.Body = nil // XCANCEL carries none
	}
	frames, err := m.Frames()
	return frames, err == nil
}
