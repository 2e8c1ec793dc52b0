package broker

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/majordomo-go/majordomo/internal/curvekey"
	"github.com/majordomo-go/majordomo/internal/zsock"
)

// MaxAccessFile bounds an access policy file, in bytes.
const MaxAccessFile = 4 << 20

// AccessError is a mistake in an access policy file, with its place.
type AccessError struct {
	File string // as given to LoadAccess; ParseAccess's name
	Line int
	Msg  string
}

func (e *AccessError) Error() string { return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg) }

// LoadAccess reads an access policy file. A key given as a path is read
// with internal/curvekey.LoadPublic, relative to the policy file's
// directory. The format (spec/security.md has the whole of it): one
// directive per line, fields separated by blanks, lines starting with '#'
// are comments:
//
//	key NAME KEY                   # KEY: 40 Z85 characters, or a .pub file's path
//	allow NAME|* serve PATTERN...  # register as a worker of matching services
//	allow NAME|* call PATTERN...   # send requests to matching services
//	allow NAME|* mmi               # read-only mmi.* queries
//	allow NAME|* admin             # mmi.handover (and the read-only queries)
//
// A PATTERN's '*' stands for any run of bytes ("kv.*", "*", "echo"); "*"
// as the subject is every listed key. Without any allow line every listed
// key may do everything; with one, what no line allows is refused. Errors
// are *AccessError, with the line.
func LoadAccess(path string) (*Access, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("broker: access policy: %w", err)
	}
	defer f.Close()
	text, err := readBounded(f, MaxAccessFile)
	if err != nil {
		return nil, fmt.Errorf("broker: access policy %s: %w", path, err)
	}
	dir := filepath.Dir(path)
	return ParseAccess(path, text, func(p string) (zsock.Key, error) {
		if !filepath.IsAbs(p) {
			p = filepath.Join(dir, p)
		}
		return curvekey.LoadPublic(p)
	})
}

// ParseAccess parses the text of an access policy named name (for errors).
// loadKey reads a key given as a path; nil refuses paths.
func ParseAccess(name string, text []byte, loadKey func(path string) (zsock.Key, error)) (*Access, error) {
	p := accessParser{file: name, loadKey: loadKey, byName: map[string]*grant{},
		a: &Access{grants: map[string]*grant{}, byRaw: map[zsock.Key]string{}}}
	var every grant // the allow lines for "*"
	for i, line := range bytes.Split(text, []byte("\n")) {
		p.line = i + 1
		fields := strings.Fields(string(line))
		if len(fields) == 0 || strings.HasPrefix(fields[0], "#") { // a comment line
			continue
		}
		var err error
		switch fields[0] {
		case "key":
			err = p.key(fields[1:])
		case "allow":
			err = p.allow(fields[1:], &every)
		default:
			err = fmt.Errorf("unknown directive %q (want key or allow)", fields[0])
		}
		if err != nil {
			return nil, &AccessError{File: name, Line: p.line, Msg: err.Error()}
		}
	}
	if len(p.a.grants) == 0 {
		return nil, &AccessError{File: name, Line: p.line, Msg: "no key: a policy lists the keys that may connect"}
	}
	p.a.open = p.a.rules == 0
	for _, g := range p.a.grants {
		g.serve.union(&every.serve)
		g.call.union(&every.call)
		g.mmi, g.admin = g.mmi || every.mmi, g.admin || every.admin
	}
	return p.a, nil
}

type accessParser struct {
	file    string
	line    int
	loadKey func(string) (zsock.Key, error)
	byName  map[string]*grant
	a       *Access
}

// key: key NAME Z85-OR-PATH
func (p *accessParser) key(args []string) error {
	if len(args) != 2 {
		return errors.New("want: key NAME KEY (40 Z85 characters, or the path of a .pub file)")
	}
	name, text := args[0], args[1]
	if !validKeyName(name) {
		return fmt.Errorf("key name %q: use letters, digits, '.', '_' and '-'", name)
	}
	if g := p.byName[name]; g != nil {
		return fmt.Errorf("key %q is declared again (first on line %d)", name, g.declaredLine)
	}
	k, err := zsock.ParseKey(text)
	if err != nil {
		if p.loadKey == nil {
			return fmt.Errorf("key %q: not a Z85 key, and key files are not read here", name)
		}
		if k, err = p.loadKey(text); err != nil {
			return fmt.Errorf("key %q: %v", name, err)
		}
	}
	z := k.String()
	if other := p.a.grants[z]; other != nil {
		return fmt.Errorf("key %q is the same key as %q (line %d)", name, other.name, other.declaredLine)
	}
	g := &grant{name: name, declaredLine: p.line}
	p.byName[name], p.a.grants[z], p.a.byRaw[k] = g, g, z
	return nil
}

// allow: allow SUBJECT RIGHT [PATTERN...]
func (p *accessParser) allow(args []string, every *grant) error {
	if len(args) < 2 {
		return errors.New("want: allow KEY-NAME|* serve|call|mmi|admin [PATTERN...]")
	}
	g := every
	if args[0] != "*" {
		if g = p.byName[args[0]]; g == nil {
			return fmt.Errorf("no key named %q declared above", args[0])
		}
	}
	patterns := args[2:]
	switch args[1] {
	case "serve", "call":
		if len(patterns) == 0 {
			return fmt.Errorf("%s needs at least one service pattern (kv.*, echo, *)", args[1])
		}
		set := &g.serve
		if args[1] == "call" {
			set = &g.call
		}
		for _, pat := range patterns {
			set.add(pat)
		}
	case "mmi", "admin":
		if len(patterns) > 0 {
			return fmt.Errorf("%s takes no service pattern", args[1])
		}
		if args[1] == "mmi" {
			g.mmi = true
		} else {
			g.admin = true
		}
	default:
		return fmt.Errorf("unknown right %q (want serve, call, mmi or admin)", args[1])
	}
	p.a.rules++
	return nil
}

func validKeyName(s string) bool {
	if s == "" || s == "*" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// readBounded reads r whole, refusing more than limit bytes.
func readBounded(r io.Reader, limit int64) ([]byte, error) {
	text, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(text)) > limit {
		return nil, fmt.Errorf("larger than %d bytes", limit)
	}
	return text, nil
}
