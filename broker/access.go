package broker

import (
	"github.com/majordomo-go/majordomo/internal/zsock"
	"github.com/majordomo-go/majordomo/mdp"
)

// Access is an access policy: which CURVE public keys may connect at all
// (the allow-list the broker's ZAP handler checks at the handshake), and
// what each may do: serve services, call services, ask read-only MMI
// queries, and ask admin MMI queries (mmi.handover). Make one with
// ParseAccess or LoadAccess; the file format is in spec/security.md.
//
// A policy with keys and no allow lines lets every listed key do
// everything. Once it has an allow line, whatever no line allows is
// refused. An Access is immutable and safe for concurrent use; the broker
// swaps whole policies (Broker.SetAccess).
type Access struct {
	grants map[string]*grant    // by the key's Z85, as the ZAP handler gives it as User-Id
	byRaw  map[zsock.Key]string // the same keys, raw, for the handshake
	open   bool                 // no allow line: every listed key may do everything
	rules  int
}

// grant is what one key may do: the union of the allow lines that name it
// and those for "*".
type grant struct {
	name         string
	serve, call  patternSet
	mmi, admin   bool
	declaredLine int
}

// right is one kind of thing a key may be allowed.
type right uint8

const (
	rightServe right = iota // register as a worker of a service (READY)
	rightCall               // send a request to a service
	rightMMI                // a read-only mmi.* query
	rightAdmin              // an mmi.* query that changes state (mmi.handover)
)

// Keys is how many keys the policy lists (0 for nil).
func (a *Access) Keys() int {
	if a == nil {
		return 0
	}
	return len(a.grants)
}

// Rules is how many allow lines the policy has; 0 means every listed key
// may do everything.
func (a *Access) Rules() int {
	if a == nil {
		return 0
	}
	return a.rules
}

// admit is the handshake's decision: the Z85 of k, the User-Id its
// connection gets, and whether it may connect. A nil policy admits every
// key.
func (a *Access) admit(k zsock.Key) (string, bool) {
	if a == nil {
		return k.String(), true
	}
	z, ok := a.byRaw[k]
	return z, ok
}

// may reports whether the peer whose User-Id is user may exercise r on
// service. A nil policy allows everything; so does a policy without allow
// lines for a key it lists. It does not allocate.
func (a *Access) may(user []byte, r right, service string) bool {
	if a == nil {
		return true
	}
	g := a.grants[string(user)]
	switch {
	case g == nil:
		return false
	case a.open:
		return true
	}
	switch r {
	case rightServe:
		return g.serve.match(service)
	case rightCall:
		return g.call.match(service)
	case rightMMI:
		return g.mmi || g.admin
	default:
		return g.admin
	}
}

// mmiRight is the right an MMI query needs: admin for those that change
// the broker's state, mmi for the others.
func mmiRight(service string) right {
	if service == mdp.MMIHandover {
		return rightAdmin
	}
	return rightMMI
}

// patternSet is a set of service name patterns: exact names in a map,
// patterns with '*' in a list, "*" alone as a flag.
type patternSet struct {
	all   bool
	exact map[string]struct{}
	globs []string
}

func (p *patternSet) add(pattern string) {
	switch {
	case pattern == "*":
		p.all = true
	case !containsStar(pattern):
		if p.exact == nil {
			p.exact = make(map[string]struct{})
		}
		p.exact[pattern] = struct{}{}
	default:
		p.globs = append(p.globs, pattern)
	}
}

func (p *patternSet) union(q *patternSet) {
	p.all = p.all || q.all
	for name := range q.exact {
		p.add(name)
	}
	p.globs = append(p.globs, q.globs...)
}

func (p *patternSet) match(name string) bool {
	if p.all {
		return true
	}
	if _, ok := p.exact[name]; ok {
		return true
	}
	for _, g := range p.globs {
		if matchGlob(g, name) {
			return true
		}
	}
	return false
}

func containsStar(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == '*' {
			return true
		}
	}
	return false
}

// matchGlob reports whether name matches pattern, where '*' stands for
// any run of bytes (none included) and every other byte for itself. It
// runs in O(len(pattern) × len(name)) at worst, without recursion.
func matchGlob(pattern, name string) bool {
	p, n := 0, 0
	star, mark := -1, 0
	for n < len(name) {
		switch {
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, n
			p++
		case p < len(pattern) && pattern[p] == name[n]:
			p++
			n++
		case star >= 0:
			p = star + 1
			mark++
			n = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}
