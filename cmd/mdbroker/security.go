package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/majordomo-go/majordomo/broker"
	"github.com/majordomo-go/majordomo/internal/curvekey"
	"go.uber.org/zap"
)

// securityOptions are --curve-key and --policy, read into broker.Config
// by load.
type securityOptions struct {
	curveKey string // the broker's secret key file
	policy   string // the access policy file, reloaded on SIGHUP
}

// registerSecurity declares the CURVE, access policy and per-connection
// limit flags.
func (o *options) registerSecurity(fs *flag.FlagSet) {
	c := &o.cfg
	fs.StringVar(&o.security.curveKey, "curve-key", o.security.curveKey, "the broker's CURVE secret key `file` (mode 0600; from mdcli keygen FILE, clients take FILE.pub): every endpoint becomes a CURVE server")
	fs.StringVar(&o.security.policy, "policy", o.security.policy, "access policy `file` (spec/security.md): the keys that may connect, and which may serve and call which services, use MMI and admin; reloaded on SIGHUP; needs --curve-key")
	fs.Var(positiveInt{p: &c.ClientMaxInFlight}, "client-max-inflight", "requests one client connection may have queued or in flight at once; more get 429 (a `count`; default no limit)")
	fs.Var(rateValue{&c.ClientRate}, "client-rate", "requests per second one client connection may send (a `rate`: 100 or 100/s; default no limit); more get 429")
	fs.Var(positiveInt{p: &c.ClientBurst}, "client-burst", "requests a client connection may send at once within --client-rate (a `count`; default the rate)")
}

// loadSecurity reads the key and policy files into the broker config.
func (o *options) loadSecurity() error {
	s := o.security
	if s.policy != "" && s.curveKey == "" {
		return fmt.Errorf("access policy %s (from %s) needs --curve-key: without CURVE no peer has a key", s.policy, o.source("policy"))
	}
	if s.curveKey != "" {
		pair, err := curvekey.LoadSecret(s.curveKey)
		if errors.Is(err, curvekey.ErrExposed) {
			return fmt.Errorf("--curve-key %s: %w", s.curveKey, err)
		}
		if err != nil {
			return fmt.Errorf("--curve-key: %w", err)
		}
		o.cfg.CurveSecretKey = pair.Secret.String()
	}
	if s.policy != "" {
		a, err := broker.LoadAccess(s.policy)
		if err != nil {
			return fmt.Errorf("--policy: %w", err)
		}
		o.cfg.Access = a
	}
	return nil
}

// reloadOnHangup reloads the access policy file each time the process gets
// SIGHUP, until ctx ends; the returned function stops it and waits. A file
// that does not parse leaves the old policy in force, logged with its line
// and counted (mdbroker_access_reload_errors_total).
func reloadOnHangup(ctx context.Context, b *broker.Broker, path string, log *zap.Logger) (stop func()) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-ctx.Done():
				return
			case <-hup:
			}
			rctx, rcancel := context.WithTimeout(ctx, 10*time.Second)
			err := b.ReloadAccess(rctx, path)
			rcancel()
			if err != nil {
				log.Error("SIGHUP: access policy not reloaded; the previous one stays in force", zap.String("policy", path), zap.Error(err))
				continue
			}
			log.Info("SIGHUP: access policy reloaded", zap.String("policy", path))
		}
	}()
	return func() {
		signal.Stop(hup)
		cancel()
		<-done
	}
}

// rateValue is a rate per second: "100" or "100/s", positive.
type rateValue struct{ p *float64 }

func (v rateValue) String() string {
	if v.p == nil || *v.p == 0 {
		return "0"
	}
	return strconv.FormatFloat(*v.p, 'f', -1, 64) + "/s"
}

func (v rateValue) Set(s string) error {
	n, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(s), "/s"), 64)
	if err != nil || n <= 0 || n > 1e9 {
		return errors.New("want a positive rate per second, as 100 or 100/s")
	}
	*v.p = n
	return nil
}
