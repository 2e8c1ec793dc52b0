package kv

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.uber.org/zap"
)

// serveAdmin starts the HTTP endpoint on Config.AdminAddr: /metrics
// (Prometheus), /livez (200 while the node runs) and /readyz (200 once
// caught up with STORE.read registered, else 503).
func (n *Node) serveAdmin() error {
	ln, err := net.Listen("tcp", n.cfg.AdminAddr)
	if err != nil {
		return fmt.Errorf("kv: admin endpoint on %s: %w", n.cfg.AdminAddr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(n.metrics.reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("/livez", func(w http.ResponseWriter, _ *http.Request) {
		if n.ctx.Err() != nil {
			http.Error(w, "stopping", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, _ *http.Request) {
		if !n.Ready() || n.ctx.Err() != nil {
			http.Error(w, fmt.Sprintf("not ready: applied %d", n.Applied()), http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	var h http.Handler = mux
	if n.cfg.AdminAuth != nil {
		h = n.cfg.AdminAuth(h)
	}
	if n.cfg.AdminTLS != nil {
		ln = tls.NewListener(ln, n.cfg.AdminTLS)
	}
	n.adminSrv = &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	n.adminLn = ln
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		if err := n.adminSrv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			n.log.Warn("kv: admin endpoint stopped", zap.Error(err))
		}
	}()
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		<-n.ctx.Done()
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		n.adminSrv.Shutdown(ctx)
	}()
	return nil
}

// AdminAddr is the host:port the admin endpoint listens on ("" when off).
func (n *Node) AdminAddr() string {
	if n.adminLn == nil {
		return ""
	}
	return n.adminLn.Addr().String()
}
