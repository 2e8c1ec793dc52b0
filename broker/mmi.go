package broker

import (
	"encoding/json"
	"sort"
	"strconv"

	"github.com/majordomo-go/majordomo/mdp"
)

// Version is the broker's version, reported by mmi.broker and mdbroker.
const Version = "0.1.0"

// answerMMI answers a management query itself, in the client's form: the
// body is a status frame, and for the majordomo queries a JSON frame.
func (c *core) answerMMI(id []byte, form clientForm, m *mdp.Message) {
	c.counters.MMI++
	var body [][]byte
	switch m.Service {
	case mdp.MMIService:
		status := mdp.StatusNotFound
		if len(m.Body) > 0 {
			if s := c.services[string(m.Body[0])]; s != nil && s.workers > 0 {
				status = mdp.StatusOK
			}
		}
		body = [][]byte{statusFrame(status)}
	case mdp.MMIServices:
		body = [][]byte{statusFrame(mdp.StatusOK), c.servicesJSON()}
	case mdp.MMIBroker:
		body = [][]byte{statusFrame(mdp.StatusOK), c.brokerJSON()}
	default:
		body = [][]byte{statusFrame(mdp.StatusNotImplemented)}
	}
	reply := mdp.Message{Version: mdp.V02, Kind: mdp.ClientFinal, Service: m.Service, Body: body}
	switch form {
	case form01:
		reply.Version = mdp.V01
	case formExt:
		reply.Ext, reply.UUID = true, m.UUID
	}
	c.send(id, &reply, nil)
}

func statusFrame(s mdp.Status) []byte { return []byte(strconv.Itoa(int(s))) }

// MMIService is one entry of the mmi.services reply.
type MMIService struct {
	Name    string `json:"name"`
	Workers int    `json:"workers"`
	Queued  int    `json:"queued"`
}

// MMIBrokerInfo is the mmi.broker reply.
type MMIBrokerInfo struct {
	Version             string   `json:"version"`
	Protocols           []string `json:"protocols"`
	HeartbeatIntervalMs int64    `json:"heartbeat_interval_ms"`
	HeartbeatLiveness   int      `json:"heartbeat_liveness"`
	RequestTimeoutMs    int64    `json:"request_timeout_ms"`
	MaxAttempts         int      `json:"max_attempts"`
	MaxMessageSize      int64    `json:"max_message_size"`
}

func (c *core) servicesJSON() []byte {
	list := make([]MMIService, 0, len(c.services))
	for _, s := range c.services {
		list = append(list, MMIService{Name: s.name, Workers: s.workers, Queued: s.queue.len()})
	}
	sort.Slice(list, func(i, j int) bool { return list[i].Name < list[j].Name })
	b, _ := json.Marshal(list)
	return b
}

func (c *core) brokerJSON() []byte {
	b, _ := json.Marshal(MMIBrokerInfo{
		Version:             Version,
		Protocols:           []string{"MDP/0.1", "MDP/0.2", "majordomo-ext/1"},
		HeartbeatIntervalMs: c.cfg.HeartbeatInterval.Milliseconds(),
		HeartbeatLiveness:   c.cfg.HeartbeatLiveness,
		RequestTimeoutMs:    c.cfg.RequestTimeout.Milliseconds(),
		MaxAttempts:         c.cfg.MaxAttempts,
		MaxMessageSize:      c.cfg.MaxMessageSize,
	})
	return b
}
