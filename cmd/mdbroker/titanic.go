package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"go.uber.org/zap"

	"github.com/majordomo-go/majordomo/broker"
	"github.com/majordomo-go/majordomo/internal/zsock"
	"github.com/majordomo-go/majordomo/titanic"
)

// titanicOptions are the --titanic flags: Titanic (9/TSP) inside the
// broker's process, serving and dispatching through the broker's own
// endpoint, with its store in the directory.
type titanicOptions struct {
	dir      string
	maxBytes int64
}

// check refuses what titanic.Config would refuse, so that a bad
// --titanic-max-bytes is a usage error (exit 2) like any other flag.
func (t titanicOptions) check() error {
	if t.maxBytes < titanic.MinMaxBytes {
		return fmt.Errorf("titanic max bytes %d: want at least %d", t.maxBytes, titanic.MinMaxBytes)
	}
	return nil
}

// newTitanic opens Titanic's store when --titanic is set (nil when it is
// not). A corrupt or locked store is an error: mdbroker does not start.
func newTitanic(o options, b *broker.Broker, log *zap.Logger) (*titanic.Server, error) {
	if o.titanic.dir == "" {
		return nil, nil
	}
	cfg := titanic.DefaultConfig()
	cfg.Broker = connectable(b.Endpoints()[0])
	cfg.Dir = o.titanic.dir
	if o.titanic.maxBytes > 0 {
		cfg.MaxBytes = o.titanic.maxBytes
	}
	cfg.Heartbeat = o.cfg.HeartbeatInterval
	cfg.Logger = log.Named("titanic")
	if err := titanicCurve(&cfg, o.cfg.CurveSecretKey); err != nil {
		return nil, err
	}
	return titanic.New(cfg)
}

// titanicCurve gives Titanic the broker's own key pair when the broker
// speaks CURVE: Titanic connects to the broker's endpoint like any worker
// and client, and in the broker's own process it has no key of its own to
// be given. The access policy must then let the broker's public key serve
// titanic.*, call the services Titanic dispatches to, and use MMI.
func titanicCurve(cfg *titanic.Config, brokerSecret string) error {
	if brokerSecret == "" {
		return nil
	}
	secret, err := zsock.ParseKey(brokerSecret)
	if err != nil {
		return fmt.Errorf("titanic: the broker's CURVE key: %w", err)
	}
	public, err := zsock.PublicKey(secret)
	if err != nil {
		return fmt.Errorf("titanic: the broker's CURVE key: %w", err)
	}
	cfg.CurveServerKey, cfg.CurvePublicKey, cfg.CurveSecretKey = public.String(), public.String(), secret.String()
	return nil
}

// connectable turns a bound endpoint into one to connect to: a wildcard
// host becomes loopback.
func connectable(ep string) string {
	for _, wild := range []string{"://0.0.0.0:", "://*:"} {
		if i := strings.Index(ep, wild); i >= 0 {
			return ep[:i] + "://127.0.0.1:" + ep[i+len(wild):]
		}
	}
	return strings.Replace(ep, "://[::]:", "://[::1]:", 1)
}

// runBroker runs the broker, and Titanic beside it when there is one, until
// ctx is cancelled; Titanic stops with the broker.
func runBroker(ctx context.Context, b *broker.Broker, t *titanic.Server) error {
	if t == nil {
		return b.Run(ctx)
	}
	tctx, cancel := context.WithCancel(ctx)
	defer cancel()
	tdone := make(chan error, 1)
	go func() { tdone <- t.Run(tctx) }()
	err := b.Run(ctx)
	cancel()
	return errors.Join(err, <-tdone)
}
