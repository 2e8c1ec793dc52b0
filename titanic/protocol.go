package titanic

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"go.uber.org/zap"

	"github.com/majordomo-go/majordomo/mdp"
	"github.com/majordomo-go/majordomo/workers"
)

// OptionSeparator opens the options that majordomo allows after the service
// name in titanic.request's first frame: "echo\tttl=30000" asks for a TTL of
// 30 s. A tab can never be part of a service name (control characters are
// invalid there), so a plain 9/TSP client never sends one.
const OptionSeparator = "\t"

// Status frames of the replies: bare three-digit codes, because the
// reference TSP clients compare the frame with "200", "300", "400" and "500"
// exactly. Where we say why, the reason is a second frame, which those
// clients never read.
var (
	statusOK      = mdp.FormatStatus(mdp.StatusOK, "")
	statusPending = mdp.FormatStatus(mdp.StatusPending, "")
	statusUnknown = mdp.FormatStatus(mdp.StatusBadRequest, "")
	statusFull    = mdp.FormatStatus(mdp.StatusOverloaded, "")
	statusBroken  = mdp.FormatStatus(mdp.StatusInternal, "")
)

func reply(frames ...[]byte) [][]byte { return frames }

func broken(format string, args ...any) [][]byte {
	return reply(statusBroken, fmt.Appendf(nil, format, args...))
}

// protocol answers the three 9/TSP services. Its methods take a request body
// and return the reply body; every answer, errors included, is an ordinary
// reply whose first frame is a status line, so plain MDP/0.1 clients get it.
type protocol struct {
	cfg    *Config
	store  *Store
	stats  *counters
	submit func(Entry)
	now    func() time.Time
}

// retryNamespace names the UUIDs derived from a client's request UUID.
var retryNamespace = uuid.MustParse("7d6c1a52-5b0e-4c59-9a43-0f1e2d3c4b5a")

// request: service · request frames… → 200 · UUID. When the client chose
// the UUID of its MDP request (an extension client, which keeps it across
// retries), the Titanic UUID is derived from it, so that a retry (even one
// reaching a restarted Titanic) is answered with the UUID already stored
// instead of being stored, and run, twice. It is derived rather than the
// same, so that it never names the titanic.request call itself.
func (p *protocol) request(body [][]byte, client *uuid.UUID) [][]byte {
	if len(body) == 0 {
		return broken("titanic.request needs a service frame")
	}
	service, ttl, err := parseServiceFrame(string(body[0]), p.cfg.DefaultTTL, p.cfg.MaxTTL)
	if err != nil {
		p.stats.badRequests.Add(1)
		return broken("%v", err)
	}
	var id uuid.UUID
	if client != nil {
		id = uuid.NewSHA1(retryNamespace, client[:])
		if res, err := p.store.Lookup(id); err == nil && res.State != StateUnknown {
			return reply(statusOK, []byte(mdp.FormatUUID(id))) // a retry of an accepted request
		}
	} else if id, err = uuid.NewRandom(); err != nil {
		return broken("no UUID: %v", err)
	}
	now := p.now()
	e := Entry{UUID: id, Service: service, Body: body[1:], Created: now, Deadline: now.Add(ttl)}
	switch err := p.store.Put(e); {
	case errors.Is(err, ErrFull):
		p.stats.rejected.Add(1)
		return reply(statusFull, []byte("store full"))
	case err != nil:
		p.cfg.Logger.Error("titanic: storing a request", zap.Error(err))
		return broken("store failed")
	}
	p.stats.stored.Add(1)
	e.Body = nil // the dispatcher reads the frames back when it sends them
	p.submit(e)
	return reply(statusOK, []byte(mdp.FormatUUID(id)))
}

// requestFrom is request for a delivered MDP request.
func (p *protocol) requestFrom(req *workers.Request) [][]byte {
	if req.ClientUUID {
		id := req.UUID
		return p.request(req.Body, &id)
	}
	return p.request(req.Body, nil)
}

// parseServiceFrame splits "service[\tttl=MS]" and checks both parts.
func parseServiceFrame(frame string, defaultTTL, maxTTL time.Duration) (string, time.Duration, error) {
	service, opts, hasOpts := strings.Cut(frame, OptionSeparator)
	if err := mdp.ValidateService(service); err != nil {
		return "", 0, fmt.Errorf("bad service name: %w", err)
	}
	if strings.HasPrefix(service, "titanic.") {
		return "", 0, fmt.Errorf("service %q is Titanic's own", service)
	}
	ttl := defaultTTL
	if hasOpts {
		v, ok := strings.CutPrefix(opts, "ttl=")
		ms, err := strconv.ParseUint(v, 10, 32)
		if !ok || err != nil || ms == 0 {
			return "", 0, fmt.Errorf("bad options %q: want ttl=MILLISECONDS (1 or more)", opts)
		}
		ttl = time.Duration(ms) * time.Millisecond
	}
	return service, min(ttl, maxTTL), nil
}

// parseUUIDFrame checks that body is exactly one 32-hex-digit UUID.
func parseUUIDFrame(name string, body [][]byte) (uuid.UUID, [][]byte) {
	if len(body) != 1 {
		return uuid.UUID{}, broken("%s needs exactly one frame, a UUID (got %d)", name, len(body))
	}
	id, err := mdp.ParseUUID(string(body[0]))
	if err != nil {
		return uuid.UUID{}, broken("%s: %v", name, err)
	}
	return id, nil
}

// reply: UUID → 200 · reply frames…, 300 (pending), 400 (unknown), or
// 400 · "failed: why" (expired, or refused by its service).
func (p *protocol) reply(body [][]byte) [][]byte {
	id, bad := parseUUIDFrame(mdp.TitanicReply, body)
	if bad != nil {
		p.stats.badRequests.Add(1)
		return bad
	}
	res, err := p.store.Lookup(id)
	if err != nil {
		p.cfg.Logger.Error("titanic: reading a result", zap.Error(err))
		return broken("store failed")
	}
	switch res.State {
	case StatePending:
		return reply(statusPending)
	case StateDone:
		return append(reply(statusOK), res.Body...)
	case StateFailed:
		return reply(statusUnknown, []byte("failed: "+res.Text))
	}
	return reply(statusUnknown)
}

// close: UUID → 200, whether or not the UUID was known.
func (p *protocol) close(body [][]byte) [][]byte {
	id, bad := parseUUIDFrame(mdp.TitanicClose, body)
	if bad != nil {
		p.stats.badRequests.Add(1)
		return bad
	}
	if err := p.store.Remove(id); err != nil {
		p.cfg.Logger.Error("titanic: removing a request", zap.Error(err))
		return broken("store failed")
	}
	p.stats.closed.Add(1)
	return reply(statusOK)
}
