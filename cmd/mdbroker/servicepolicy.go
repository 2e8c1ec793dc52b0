package main

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/majordomo-go/majordomo/broker"
	"github.com/majordomo-go/majordomo/internal/flagvalue"
	"github.com/majordomo-go/majordomo/mdp"
)

// servicePolicies is the --service flag: NAME:key=value,... pins a
// service's policy (broker.ServicePolicy), which wins over what its workers
// declare. Repeat the flag, or separate specs with ";", for several
// services; a service named twice is an error.
//
//	--service 'ledger:mode=exclusive,deadline=5s'
//	--service 'geo:mode=strict,max-tier=3,queue-limit=500,queue-bytes=8MiB'
type servicePolicies struct {
	p *map[string]broker.ServicePolicy
}

func (v servicePolicies) String() string {
	if v.p == nil || len(*v.p) == 0 {
		return ""
	}
	names := make([]string, 0, len(*v.p))
	for n := range *v.p {
		names = append(names, n)
	}
	sort.Strings(names)
	specs := make([]string, len(names))
	for i, n := range names {
		specs[i] = formatPolicy(n, (*v.p)[n])
	}
	return strings.Join(specs, ";")
}

func (v servicePolicies) Set(s string) error {
	for _, spec := range strings.Split(s, ";") {
		if spec = strings.TrimSpace(spec); spec == "" {
			continue
		}
		name, p, err := parsePolicy(spec)
		if err != nil {
			return err
		}
		if *v.p == nil {
			*v.p = map[string]broker.ServicePolicy{}
		}
		if _, dup := (*v.p)[name]; dup {
			return fmt.Errorf("service %q is set twice", name)
		}
		(*v.p)[name] = p
	}
	return nil
}

// parsePolicy reads NAME:key=value,... The name is what comes before the
// last colon, so a name may hold colons of its own.
func parsePolicy(spec string) (string, broker.ServicePolicy, error) {
	var p broker.ServicePolicy
	i := strings.LastIndexByte(spec, ':')
	if i < 0 {
		return "", p, fmt.Errorf("%q: want NAME:key=value,... (keys mode, max-tier, queue-limit, queue-bytes, deadline)", spec)
	}
	name, rest := spec[:i], spec[i+1:]
	if err := mdp.ValidateWorkerService(name); err != nil {
		return "", p, fmt.Errorf("%q: %v", spec, err)
	}
	if strings.TrimSpace(rest) == "" {
		return "", p, fmt.Errorf("%q: no settings after the name", spec)
	}
	seen := map[string]bool{}
	for _, kv := range strings.Split(rest, ",") {
		key, value, ok := strings.Cut(strings.TrimSpace(kv), "=")
		if !ok || seen[key] {
			return "", p, fmt.Errorf("%q: %q: want key=value, each key once", spec, kv)
		}
		seen[key] = true
		if err := setPolicyKey(&p, key, value); err != nil {
			return "", p, fmt.Errorf("service %q: %s: %v", name, key, err)
		}
	}
	return name, p, nil
}

func setPolicyKey(p *broker.ServicePolicy, key, value string) error {
	switch key {
	case "mode":
		m, err := mdp.ParseMode(value)
		if err != nil {
			return fmt.Errorf("%q: want overflow, strict or exclusive", value)
		}
		p.Mode = m
	case "max-tier":
		n, err := strconv.Atoi(value)
		if err != nil || n < 1 || n > 255 {
			return fmt.Errorf("%q: want a tier from 1 to 255", value)
		}
		p.MaxTier = uint8(n)
	case "queue-limit":
		return positiveInt{p: &p.QueueLimit}.Set(value)
	case "queue-bytes":
		return flagvalue.Size{P: &p.QueueBytes}.Set(value)
	case "deadline":
		return flagvalue.Duration{P: &p.RequestTimeout}.Set(value)
	default:
		return fmt.Errorf("unknown key (mode, max-tier, queue-limit, queue-bytes, deadline)")
	}
	return nil
}

func formatPolicy(name string, p broker.ServicePolicy) string {
	var kv []string
	if p.Mode != mdp.ModeUnset {
		kv = append(kv, "mode="+p.Mode.String())
	}
	if p.MaxTier > 0 {
		kv = append(kv, fmt.Sprintf("max-tier=%d", p.MaxTier))
	}
	if p.QueueLimit > 0 {
		kv = append(kv, fmt.Sprintf("queue-limit=%d", p.QueueLimit))
	}
	if p.QueueBytes > 0 {
		kv = append(kv, fmt.Sprintf("queue-bytes=%d", p.QueueBytes))
	}
	if p.RequestTimeout > 0 {
		kv = append(kv, "deadline="+p.RequestTimeout.String())
	}
	return name + ":" + strings.Join(kv, ",")
}
