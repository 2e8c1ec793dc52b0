package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/majordomo-go/majordomo/broker"
	"github.com/majordomo-go/majordomo/internal/version"
	"go.uber.org/zap"
)

// adminShutdownTimeout bounds how long open admin requests may take once
// the broker has stopped.
const adminShutdownTimeout = 2 * time.Second

// serve runs the broker and its admin server until ctx is cancelled, then
// drains the broker (see --drain-timeout) and stops both. Ports are bound
// before anything runs, so a port in use is an error at once.
func serve(ctx context.Context, o options, log *zap.Logger) error {
	var ln net.Listener
	if o.adminEnabled() {
		var err error
		if ln, err = o.listenAdmin(); err != nil {
			return fmt.Errorf("admin: %w", err)
		}
	}
	cfg := o.cfg
	cfg.Logger = log
	b, err := broker.New(cfg)
	if err != nil {
		if ln != nil {
			ln.Close()
		}
		return err
	}
	if o.security.policy != "" {
		defer reloadOnHangup(ctx, b, o.security.policy, log)()
	}
	tsrv, err := newTitanic(o, b, log)
	if err != nil {
		if ln != nil {
			ln.Close()
		}
		return err
	}

	adminDone := make(chan error, 1)
	var srv *http.Server
	adminAddr := ""
	if ln != nil {
		srv = &http.Server{Handler: o.guardAdmin(adminHandler(b, tsrv)), ErrorLog: zap.NewStdLog(log.Named("admin")),
			ReadHeaderTimeout: 5 * time.Second, WriteTimeout: 10 * time.Second, IdleTimeout: time.Minute,
			MaxHeaderBytes: 16 << 10}
		adminAddr = ln.Addr().String()
		go func() {
			err := srv.Serve(ln)
			if !errors.Is(err, http.ErrServerClosed) {
				log.Error("admin server failed; the broker goes on without it", zap.Error(err))
			}
			adminDone <- err
		}()
	}
	log.Info("mdbroker started", zap.String("version", broker.Version), zap.String("build", version.Read().String()), zap.Strings("endpoints", b.Endpoints()),
		zap.String("admin", adminAddr), zap.Duration("heartbeat", cfg.HeartbeatInterval),
		zap.Int("liveness", cfg.HeartbeatLiveness), zap.Duration("drain_timeout", cfg.DrainTimeout))

	runErr := runBroker(ctx, b, tsrv)
	if srv != nil {
		sctx, cancel := context.WithTimeout(context.Background(), adminShutdownTimeout)
		defer cancel()
		if err := srv.Shutdown(sctx); err != nil {
			srv.Close()
		}
		<-adminDone
	}
	return runErr
}
