package broker

import (
	"encoding/hex"
	"time"

	"go.uber.org/zap"
)

// Workers' arrivals, departures (for whatever reason: expiry, a protocol
// violation, DISCONNECT) and refusals are logged at info (refusals at
// warn), at most
// workerLogBurst lines per service at once and one per workerLogRefill
// after that, so that a worker that registers and leaves in a loop cannot
// flood the log. The next line logged for the service says how many were
// suppressed meanwhile.
const (
	workerLogBurst  = 5
	workerLogRefill = 10 * time.Second
)

// logBucket is a token bucket for one service's worker lines. Its zero
// value is full.
type logBucket struct {
	tokens     float64
	last       time.Time
	suppressed uint64
}

// take reports whether a line may be logged at now, and how many lines
// were suppressed since the last one that was.
func (b *logBucket) take(now time.Time) (bool, uint64) {
	if b.last.IsZero() {
		b.tokens = workerLogBurst
	} else if dt := now.Sub(b.last); dt > 0 {
		b.tokens = min(workerLogBurst, b.tokens+float64(dt)/float64(workerLogRefill))
	}
	b.last = now
	if b.tokens < 1 {
		b.suppressed++
		return false, 0
	}
	b.tokens--
	n := b.suppressed
	b.suppressed = 0
	return true, n
}

// logWorker logs a worker's arrival or departure (why is empty for an
// arrival) if its service's bucket allows. The worker is named by the
// broker's opaque id for its connection (mmi.workers' id), with its IP
// address (the READY's Peer-Address) and, on CURVE, its key. The
// service's name is in
// PrintableName form, so that its bytes survive the log's encoding.
func (c *core) logWorker(now time.Time, w *worker, why string) {
	ok, suppressed := w.service.joinLog.take(now)
	if !ok {
		return
	}
	fields := []zap.Field{zap.String("service", PrintableName(w.service.name)), zap.String("worker", hex.EncodeToString(w.identity)),
		zap.Uint8("tier", w.tier.level), zap.Int("capacity", w.capacity), zap.String("mode", w.service.mode.String())}
	if w.name != "" {
		fields = append(fields, zap.String("name", w.name))
	}
	if w.address != "" {
		fields = append(fields, zap.String("address", w.address))
	}
	if w.key != "" {
		fields = append(fields, zap.String("key", w.key))
	}
	if suppressed > 0 {
		fields = append(fields, zap.Uint64("suppressed", suppressed))
	}
	if why == "" {
		c.log.Info("worker registered", append(fields, zap.Duration("heartbeat", w.interval))...)
		return
	}
	c.log.Info("worker left", append(fields, zap.String("why", why), zap.Int("in_flight", len(w.inflight)))...)
}

// logRefused logs, at warn, a worker refused for a declaration that
// conflicts with its service, if the service's bucket allows: a worker
// that keeps trying must not flood the log either.
func (c *core) logRefused(now time.Time, s *service, id []byte, why string) {
	ok, suppressed := s.joinLog.take(now)
	if !ok {
		return
	}
	fields := []zap.Field{zap.String("service", PrintableName(s.name)), zap.String("worker", hex.EncodeToString(id)),
		zap.String("why", why)}
	if len(c.from.addr) > 0 {
		fields = append(fields, zap.ByteString("address", c.from.addr))
	}
	if suppressed > 0 {
		fields = append(fields, zap.Uint64("suppressed", suppressed))
	}
	c.log.Warn("worker refused: its declaration conflicts with the service", fields...)
}
