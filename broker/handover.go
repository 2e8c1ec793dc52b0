package broker

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"time"

	"github.com/majordomo-go/majordomo/mdp"
	"go.uber.org/zap"
)

// HandoverResult is the JSON of a successful mmi.handover.
type HandoverResult struct {
	Service string `json:"service"`
	From    string `json:"from"` // the active worker's id
	To      string `json:"to"`   // the standby taking over
	// Pending: the active worker still holds requests; the standby takes
	// over once it has answered them (no two workers ever hold requests).
	Pending bool `json:"pending"`
}

// handover asks the active worker of an exclusive service to step down
// for the standby with id to (hex; "" for the next in line). It answers
// like mmi.handover: 200 with the result, 404 for an unknown service or
// worker, 409 when the service is not exclusive or has no such standby.
func (c *core) handover(now time.Time, name, to string) (HandoverResult, mdp.Status, string) {
	s := c.services[name]
	if s == nil || s.workers == 0 {
		return HandoverResult{}, mdp.StatusNotFound, "no such service"
	}
	if s.mode != mdp.ModeExclusive {
		return HandoverResult{}, mdp.StatusConflict, "service is " + s.mode.String() + ", not exclusive"
	}
	var named *worker
	if to != "" {
		raw, err := hex.DecodeString(to)
		if named = c.workers[string(raw)]; err != nil || named == nil || named.service != s {
			return HandoverResult{}, mdp.StatusNotFound, "no such worker in the service"
		}
	}
	next, ok := s.standby(named)
	if !ok || s.active == nil || next == nil {
		return HandoverResult{}, mdp.StatusConflict, "no standby to hand over to"
	}
	res := HandoverResult{Service: name, From: hex.EncodeToString(s.active.identity), To: hex.EncodeToString(next.identity),
		Pending: len(s.active.inflight) > 0}
	s.handoverTo = next
	c.counters.Handovers++
	c.log.Info("exclusive service hand-over", zap.String("service", name), zap.String("from", res.From),
		zap.String("to", res.To), zap.Bool("pending", res.Pending))
	c.dispatch(now, s)
	return res, mdp.StatusOK, ""
}

// handoverMMI answers mmi.handover: 200 · JSON, or the status alone.
func (c *core) handoverMMI(now time.Time, body [][]byte) [][]byte {
	if len(body) == 0 {
		return [][]byte{statusFrame(mdp.StatusNotFound)}
	}
	to := ""
	if len(body) > 1 {
		to = string(body[1])
	}
	res, status, _ := c.handover(now, string(body[0]), to)
	if status != mdp.StatusOK {
		return [][]byte{statusFrame(status)}
	}
	b, _ := json.Marshal(res)
	return [][]byte{statusFrame(status), b}
}

// HandoverError is what Broker.Handover returns when the broker refused: the
// mmi.handover status and why.
type HandoverError struct {
	Status mdp.Status
	Reason string
}

func (e *HandoverError) Error() string { return "broker: hand-over refused: " + e.Reason }

// Handover makes the active worker of an exclusive service hand over to
// the standby with id to (as mmi.workers shows it; "" for the next in
// line), as mmi.handover does. It is safe to call from any goroutine; a
// refusal is a *HandoverError.
func (b *Broker) Handover(ctx context.Context, service, to string) (HandoverResult, error) {
	var res HandoverResult
	var herr error
	err := b.ask(ctx, func(c *core, now time.Time) {
		r, status, why := c.handover(now, service, to)
		if status != mdp.StatusOK {
			herr = &HandoverError{Status: status, Reason: why}
			return
		}
		res = r
	})
	if err != nil {
		return HandoverResult{}, err
	}
	return res, herr
}
