package workers

import (
	"fmt"
	"maps"

	"github.com/majordomo-go/majordomo/mdp"
)

// readyInfo is what the worker declares in its XREADY beyond tier,
// capacity and heartbeat: the service mode it asks for, and its name,
// version and metadata for discovery (mmi.workers). See spec/extensions.md.
type readyInfo struct {
	mode     mdp.Mode
	name     string
	version  string
	metadata map[string]string
}

// WithMode declares the service mode the worker asks for: mdp.ModeOverflow,
// mdp.ModeStrict or mdp.ModeExclusive (default: none; the worker serves in
// whatever mode the service has). The broker fixes a service's mode when
// its first worker registers (a mode pinned in its configuration wins) and
// refuses, with DISCONNECT, a worker declaring another one; the worker then
// keeps reconnecting, and the broker logs and counts each refusal. Needs the
// extension.
func WithMode(m mdp.Mode) Option {
	return func(c *config) error {
		if m > mdp.ModeExclusive {
			return fmt.Errorf("unknown %v", m)
		}
		c.info.mode = m
		return nil
	}
}

// WithName, WithVersion and WithMetadata describe the worker to discovery:
// mmi.workers lists them as declared. Together they must fit in
// mdp.MaxReadyInfo bytes; name and version take at most 255 bytes, keys 1
// to 255, values up to 65535, all UTF-8. They need the extension.
func WithName(name string) Option {
	return func(c *config) error { c.info.name = name; return nil }
}

// WithVersion: see WithName.
func WithVersion(v string) Option {
	return func(c *config) error { c.info.version = v; return nil }
}

// WithMetadata: see WithName. The map is copied.
func WithMetadata(md map[string]string) Option {
	return func(c *config) error { c.info.metadata = maps.Clone(md); return nil }
}

// apply puts the declaration into an XREADY.
func (r *readyInfo) apply(m *mdp.Message) {
	m.Mode, m.WorkerName, m.WorkerVersion, m.Metadata = r.mode, r.name, r.version, r.metadata
}

// check refuses a declaration that cannot be sent.
func (r *readyInfo) check(p Protocol) error {
	m := mdp.Message{Version: mdp.V02, Kind: mdp.WorkerReady, Service: "x", Tier: 1, Capacity: 1, Ext: true}
	r.apply(&m)
	if p != ProtocolExtension {
		if r.mode != mdp.ModeUnset || r.name != "" || r.version != "" || len(r.metadata) > 0 {
			return fmt.Errorf("mode, name, version and metadata need %v, not %v", ProtocolExtension, p)
		}
		return nil
	}
	if _, err := m.Frames(); err != nil {
		return fmt.Errorf("worker declaration: %w", err)
	}
	return nil
}
