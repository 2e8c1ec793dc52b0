package clients

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/majordomo-go/majordomo/mdp"
)

// ServiceExists asks the broker (mmi.service) whether a worker is
// registered for a service, idle or busy.
func (c *Client) ServiceExists(ctx context.Context, name string) (bool, error) {
	if err := mdp.ValidateService(name); err != nil {
		return false, fmt.Errorf("clients: %w", err)
	}
	reply, err := c.Request(ctx, mdp.MMIService, []byte(name))
	if err != nil {
		return false, err
	}
	status, _, err := mmiStatus(reply)
	if err != nil {
		return false, err
	}
	switch status {
	case mdp.StatusOK:
		return true, nil
	case mdp.StatusNotFound:
		return false, nil
	}
	return false, &ServiceError{Service: mdp.MMIService, Status: status}
}

// ServiceInfo is one service in the broker's list (mmi.services).
type ServiceInfo struct {
	Name    string `json:"name"`
	Workers int    `json:"workers"` // registered workers, idle or busy
	Queued  int    `json:"queued"`  // requests waiting for a worker
	// Raw is the broker's JSON for the service, with any fields not above.
	Raw json.RawMessage `json:"-"`
}

// maxServicePages bounds how many mmi.services pages Services follows, so
// that a broker that keeps answering never makes it loop forever.
const maxServicePages = 10000

// Services asks the broker for all of its services (mmi.services), sorted
// by name. It follows the broker's pages (spec/mmi.md: ask again with the
// last name of the previous page until a page adds no name after it), so a
// broker that sends everything in one reply costs one more request. A
// broker that does not offer the list answers 501, returned as a
// *ServiceError.
func (c *Client) Services(ctx context.Context) ([]ServiceInfo, error) {
	var all []ServiceInfo
	after := ""
	for range maxServicePages {
		page, err := c.servicesPage(ctx, after)
		if err != nil {
			return nil, err
		}
		added := false
		for _, si := range page {
			if si.Name > after {
				all, after, added = append(all, si), si.Name, true
			}
		}
		if !added {
			break
		}
	}
	return all, nil
}

// servicesPage asks for the services whose names sort after after (all of
// them when after is empty), sorted by name.
func (c *Client) servicesPage(ctx context.Context, after string) ([]ServiceInfo, error) {
	var body [][]byte
	if after != "" {
		body = [][]byte{[]byte(after)}
	}
	reply, err := c.Request(ctx, mdp.MMIServices, body...)
	if err != nil {
		return nil, err
	}
	status, rest, err := mmiStatus(reply)
	if err != nil {
		return nil, err
	}
	if status != mdp.StatusOK {
		return nil, &ServiceError{Service: mdp.MMIServices, Status: status}
	}
	if len(rest) == 0 {
		return nil, fmt.Errorf("clients: %s: 200 without a JSON body", mdp.MMIServices)
	}
	list, err := parseServices(rest[0])
	if err != nil {
		return nil, fmt.Errorf("clients: %s: %w", mdp.MMIServices, err)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].Name < list[j].Name })
	return list, nil
}

// mmiStatus splits an MMI reply into its status and the frames after it.
func mmiStatus(reply [][]byte) (mdp.Status, [][]byte, error) {
	if len(reply) == 0 {
		return 0, nil, fmt.Errorf("clients: MMI reply without a status frame")
	}
	s, _, err := mdp.ParseStatus(reply[0])
	if err != nil {
		return 0, nil, fmt.Errorf("clients: MMI reply: %w", err)
	}
	return s, reply[1:], nil
}

// parseServices reads the list in any of the shapes a broker may reasonably
// send: an array of objects or of names, an object holding such an array
// under "services", or an object keyed by service name.
func parseServices(b []byte) ([]ServiceInfo, error) {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '[' {
		var items []json.RawMessage
		if err := json.Unmarshal(b, &items); err != nil {
			return nil, err
		}
		list := make([]ServiceInfo, 0, len(items))
		for _, it := range items {
			si, err := parseService(it, "")
			if err != nil {
				return nil, err
			}
			list = append(list, si)
		}
		return list, nil
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(b, &obj); err != nil {
		return nil, err
	}
	if inner, ok := obj["services"]; ok {
		return parseServices(inner)
	}
	list := make([]ServiceInfo, 0, len(obj))
	for name, it := range obj {
		si, err := parseService(it, name)
		if err != nil {
			return nil, err
		}
		list = append(list, si)
	}
	return list, nil
}

func parseService(b json.RawMessage, name string) (ServiceInfo, error) {
	si := ServiceInfo{Name: name, Raw: b}
	if err := json.Unmarshal(b, &si.Name); err == nil {
		return si, nil
	}
	if err := json.Unmarshal(b, &si); err != nil {
		return si, err
	}
	if si.Name == "" {
		si.Name = name
	}
	if si.Name == "" {
		return si, fmt.Errorf("a service without a name: %s", b)
	}
	return si, nil
}
