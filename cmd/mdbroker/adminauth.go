package main

import (
	"net"
	"net/http"

	"github.com/majordomo-go/majordomo/internal/adminauth"
)

// The admin server's guard (internal/adminauth): on loopback it needs
// nothing; beyond loopback it needs --admin-token-file or TLS client
// certificates (--admin-tls-cert, --admin-tls-key, --admin-client-ca), and
// mdbroker refuses to start without one. --admin-metrics-open leaves
// /metrics, /livez and /readyz open. POST /handover stays answered to
// loopback peers only, authenticated or not: a hand-over from elsewhere
// goes through MDP (mmi.handover) with a key the access policy allows
// admin.

// loadAdminAuth loads the guard for --admin (nothing when it is off or
// not a host:port, which check reports on its own).
func (o *options) loadAdminAuth() error {
	if !o.adminEnabled() {
		return nil
	}
	if _, _, err := net.SplitHostPort(o.admin); err != nil {
		return nil
	}
	g, err := adminauth.New(o.admin, o.adminAuth)
	if err != nil {
		return err
	}
	o.adminGuard = g
	return nil
}

// listenAdmin binds --admin, with TLS when the guard has it.
func (o *options) listenAdmin() (net.Listener, error) {
	ln, err := net.Listen("tcp", o.admin)
	if err != nil || o.adminGuard == nil {
		return ln, err
	}
	return o.adminGuard.Listener(ln), nil
}

// guardAdmin is the admin handler behind the guard.
func (o *options) guardAdmin(h http.Handler) http.Handler {
	if o.adminGuard == nil {
		return h
	}
	return o.adminGuard.Handler(h)
}
