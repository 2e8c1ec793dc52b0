package broker

import (
	"encoding/json"
	"strconv"
	"time"

	"github.com/majordomo-go/majordomo/internal/version"
	"github.com/majordomo-go/majordomo/internal/zsock"
	"github.com/majordomo-go/majordomo/mdp"
)

// Version is the broker's version as mmi.broker, the status page, /metrics
// and mdbroker report it: the main module's version from the binary's
// build information (package internal/version, the one source of truth),
// "(devel)" for a build that has none. The protocols the broker speaks are
// listed apart (mmi.broker's "protocols").
var Version = version.Read().Version

// answerMMI answers a management query itself, in the client's form: the
// body is a status frame, and for the majordomo queries a JSON frame.
func (c *core) answerMMI(now time.Time, id []byte, form clientForm, m *mdp.Message) {
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
		after := ""
		if len(m.Body) > 0 {
			after = string(m.Body[0])
		}
		body = [][]byte{statusFrame(mdp.StatusOK), c.servicesJSON(now, after)}
	case mdp.MMIWorkers:
		body = [][]byte{statusFrame(mdp.StatusNotFound)}
		if len(m.Body) > 0 {
			after := ""
			if len(m.Body) > 1 {
				after = string(m.Body[1])
			}
			if list, ok := c.workersJSON(now, string(m.Body[0]), after); ok {
				body = [][]byte{statusFrame(mdp.StatusOK), list}
			}
		}
	case mdp.MMIHandover:
		body = c.handoverMMI(now, m.Body)
	case mdp.MMIBroker:
		body = [][]byte{statusFrame(mdp.StatusOK), c.brokerJSON()}
	default:
		body = [][]byte{statusFrame(mdp.StatusNotImplemented)}
	}
	c.replyMMI(id, form, m, body)
}

// replyMMI sends an MMI reply with body in the client's form.
func (c *core) replyMMI(id []byte, form clientForm, m *mdp.Message, body [][]byte) {
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

// MMIBrokerInfo is the mmi.broker reply.
type MMIBrokerInfo struct {
	Version              string   `json:"version"`
	Protocols            []string `json:"protocols"`
	HeartbeatIntervalMs  int64    `json:"heartbeat_interval_ms"`
	HeartbeatLiveness    int      `json:"heartbeat_liveness"`
	WorkerHeartbeatMinMs int64    `json:"worker_heartbeat_min_ms"`
	WorkerHeartbeatMaxMs int64    `json:"worker_heartbeat_max_ms"`
	RequestTimeoutMs     int64    `json:"request_timeout_ms"`
	MaxAttempts          int      `json:"max_attempts"`
	MaxMessageSize       int64    `json:"max_message_size"`
	MaxFrames            int      `json:"max_frames"`
	MaxBodyFrames        int      `json:"max_body_frames"`
	QueueBytes           int64    `json:"queue_bytes"`
	QueueLimit           int      `json:"queue_limit"`
	GlobalQueueBytes     int64    `json:"global_queue_bytes"`
	GlobalQueueLimit     int      `json:"global_queue_limit"`
	UnservedQueueBytes   int64    `json:"unserved_queue_bytes"`
	UnservedPerClient    int      `json:"unserved_per_client"`
	ReplyCacheTTLMs      int64    `json:"reply_cache_ttl_ms"`
	ReplyCacheSize       int      `json:"reply_cache_size"`
	ReplyCacheBytes      int64    `json:"reply_cache_bytes"`
	MMIServicesPage      int      `json:"mmi_services_page"`
	MMIWorkersPage       int      `json:"mmi_workers_page"`
	StatsWindowSecs      int      `json:"stats_window_s"`
}

// MMIServicesPage is the most entries one mmi.services reply lists.
const MMIServicesPage = 1000

// servicesJSON lists, by name, the first MMIServicesPage services whose
// names sort after after: O(log services + page), from the name index.
func (c *core) servicesJSON(now time.Time, after string) []byte {
	page := c.names.page(after, MMIServicesPage)
	list := make([]MMIService, len(page))
	for i, s := range page {
		list[i] = s.mmi(now)
	}
	b, _ := json.Marshal(list)
	return b
}

func (c *core) brokerJSON() []byte {
	cfg := &c.cfg
	b, _ := json.Marshal(MMIBrokerInfo{
		Version:              Version,
		Protocols:            []string{"MDP/0.1", "MDP/0.2", "majordomo-ext/1"},
		HeartbeatIntervalMs:  cfg.HeartbeatInterval.Milliseconds(),
		HeartbeatLiveness:    cfg.HeartbeatLiveness,
		WorkerHeartbeatMinMs: cfg.WorkerHeartbeatMin.Milliseconds(),
		WorkerHeartbeatMaxMs: cfg.WorkerHeartbeatMax.Milliseconds(),
		RequestTimeoutMs:     cfg.RequestTimeout.Milliseconds(),
		MaxAttempts:          cfg.MaxAttempts,
		MaxMessageSize:       cfg.MaxMessageSize,
		MaxFrames:            zsock.MaxFrames,
		MaxBodyFrames:        MaxBodyFrames,
		QueueBytes:           cfg.QueueBytes,
		QueueLimit:           cfg.QueueLimit,
		GlobalQueueBytes:     cfg.GlobalQueueBytes,
		GlobalQueueLimit:     cfg.GlobalQueueLimit,
		UnservedQueueBytes:   cfg.UnservedQueueBytes,
		UnservedPerClient:    cfg.UnservedPerClient,
		ReplyCacheTTLMs:      cfg.ReplyCacheTTL.Milliseconds(),
		ReplyCacheSize:       cfg.ReplyCacheSize,
		ReplyCacheBytes:      cfg.ReplyCacheBytes,
		MMIServicesPage:      MMIServicesPage,
		MMIWorkersPage:       MMIWorkersPage,
		StatsWindowSecs:      int(StatsWindow / time.Second),
	})
	return b
}
