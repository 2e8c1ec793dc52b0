package broker

import (
	"context"
	"encoding/hex"
	"errors"
	"time"

	"github.com/majordomo-go/majordomo/mdp"
	"go.uber.org/zap"
)

// The access policy in the loop: every client request, MMI query and
// worker READY is judged by the sender's key (the message's User-Id) as
// it arrives; a new policy judges the next messages, and workers it no
// longer lets serve are disconnected at once.

// refuseAccess answers a request or MMI query the policy does not allow:
// an MMI reply with status 403 for an MMI query, 403 to an extension
// client, dropped and counted for a plain one.
func (c *core) refuseAccess(now time.Time, id []byte, form clientForm, m *mdp.Message) {
	c.counters.AccessRefused++
	c.logAccess(now, "request refused by the access policy", zap.String("service", PrintableName(m.Service)),
		zap.String("client", hex.EncodeToString(id)))
	if mdp.IsMMI(m.Service) {
		c.replyMMI(id, form, m, [][]byte{statusFrame(mdp.StatusForbidden)})
		return
	}
	c.reject(id, form, m, mdp.StatusForbidden, "forbidden")
}

// admitWorker reports whether the sender of a READY for service may serve
// it; if not, the worker is told DISCONNECT, logged and counted.
func (c *core) admitWorker(now time.Time, id []byte, m *mdp.Message) bool {
	if c.access.may(c.from.user, rightServe, m.Service) {
		return true
	}
	c.counters.ReadyRefused++
	c.logAccess(now, "worker refused by the access policy", zap.String("service", PrintableName(m.Service)),
		zap.String("worker", hex.EncodeToString(id)))
	c.sendDisconnect(id, m.Version)
	return false
}

// setAccess installs a new policy. Workers it no longer lets serve their
// service are told DISCONNECT and forgotten (their requests go back to the
// queue); every other connection stays, and its next messages are judged
// by the new policy. It costs O(workers), once per reload.
func (c *core) setAccess(now time.Time, a *Access) {
	c.access = a
	c.counters.AccessReloads++
	var revoked []*worker
	for _, w := range c.workers {
		if !a.may([]byte(w.key), rightServe, w.service.name) {
			revoked = append(revoked, w)
		}
	}
	for _, w := range revoked {
		c.counters.AccessRevoked++
		c.sendDisconnect(w.identity, w.version)
		c.removeWorker(now, w, "access revoked")
	}
	c.log.Info("access policy installed", zap.Int("keys", a.Keys()), zap.Int("rules", a.Rules()),
		zap.Int("workers_disconnected", len(revoked)))
}

// logAccess logs an access refusal at warn with the sender's key and
// address, at most workerLogBurst lines at once and one per
// workerLogRefill after that, the broker over.
func (c *core) logAccess(now time.Time, msg string, fields ...zap.Field) {
	ok, suppressed := c.accessLog.take(now)
	if !ok {
		return
	}
	fields = append(fields, zap.ByteString("key", c.from.user), zap.ByteString("address", c.from.addr))
	if suppressed > 0 {
		fields = append(fields, zap.Uint64("suppressed", suppressed))
	}
	c.log.Warn(msg, fields...)
}

// ErrNoCurve is returned by SetAccess on a broker without CURVE.
var ErrNoCurve = errors.New("broker: an access policy needs CURVE (Config.CurveSecretKey)")

// SetAccess installs a new access policy (nil: every key may connect and
// do everything), as on SIGHUP. It is safe to call from any goroutine and
// returns once the loop has it: the loop judges the next messages by it
// and disconnects the workers it no longer lets serve; then the ZAP
// handler judges new handshakes by it. Connections already made stay
// connected, whatever their key.
func (b *Broker) SetAccess(ctx context.Context, a *Access) error {
	if b.sock.zap == nil {
		return ErrNoCurve
	}
	if err := b.ask(ctx, func(c *core, now time.Time) { c.setAccess(now, a) }); err != nil {
		return err
	}
	b.sock.zap.access.Store(a)
	return nil
}

// ReloadAccess reads the access policy file at path (LoadAccess) and
// installs it (SetAccess). A file that cannot be read or parsed leaves the
// policy in force as it was, is counted (Counters.AccessReloadErrors) and
// is the error returned, naming the line.
func (b *Broker) ReloadAccess(ctx context.Context, path string) error {
	a, err := LoadAccess(path)
	if err == nil {
		return b.SetAccess(ctx, a)
	}
	if aerr := b.ask(ctx, func(c *core, _ time.Time) { c.counters.AccessReloadErrors++ }); aerr != nil {
		return errors.Join(err, aerr)
	}
	return err
}
