// Package adminauth guards the admin HTTP endpoints of mdbroker, mdkv and
// titanic.
//
// The rule: an endpoint that listens on loopback only (127.0.0.0/8, ::1,
// localhost) needs nothing, as before. Any other listen address (0.0.0.0,
// [::], a routable address, a host name) needs at least one of:
//
//   - a bearer token (--admin-token-file FILE): requests must carry
//     "Authorization: Bearer TOKEN"; others get 401 with
//     "WWW-Authenticate: Bearer". The file holds the token on its first
//     line and, as a CURVE secret key file, is refused when users other
//     than its owner may read or write it. Tokens are compared in constant
//     time.
//   - TLS with client certificates (--admin-tls-cert, --admin-tls-key,
//     --admin-client-ca): the server speaks HTTPS with that certificate and
//     takes only clients whose certificate the CA signed.
//
// Starting such an endpoint with neither is an error that says what to
// add. Both together require both. Once configured, the guard applies on
// loopback too. --admin-metrics-open serves /metrics, /livez and /readyz
// without it (a scraper or a load balancer's probe that cannot
// authenticate); with TLS, their clients may then come without a
// certificate, and every other path checks that one was verified.
package adminauth

import (
	"crypto/sha256"
	"crypto/subtle"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strings"
)

// Config is what the operator says.
type Config struct {
	TokenFile   string // bearer token file
	TLSCert     string // server certificate (PEM)
	TLSKey      string // its private key (PEM)
	ClientCA    string // CA certificates (PEM) that sign client certificates
	MetricsOpen bool   // /metrics, /livez and /readyz need no authentication
}

// Register defines the flags on fs, into c.
func (c *Config) Register(fs *flag.FlagSet) {
	fs.StringVar(&c.TokenFile, "admin-token-file", c.TokenFile, "admin HTTP: require \"Authorization: Bearer TOKEN\", the token being the first line of this `file` (mode 0600); needed, or TLS client certificates, when --admin is not on loopback")
	fs.StringVar(&c.TLSCert, "admin-tls-cert", c.TLSCert, "admin HTTP: serve HTTPS with this certificate `file` (PEM); with --admin-tls-key and --admin-client-ca")
	fs.StringVar(&c.TLSKey, "admin-tls-key", c.TLSKey, "admin HTTP: the private key `file` (PEM) of --admin-tls-cert")
	fs.StringVar(&c.ClientCA, "admin-client-ca", c.ClientCA, "admin HTTP: take only clients whose TLS certificate this CA `file` (PEM) signed")
	fs.BoolVar(&c.MetricsOpen, "admin-metrics-open", c.MetricsOpen, "admin HTTP: serve /metrics, /livez and /readyz without the token or client certificate")
}

// Loopback reports whether the listen address addr (host:port) can be
// reached from this machine only: an IP in 127.0.0.0/8 or ::1, or
// "localhost". An empty host, an unspecified address (0.0.0.0, ::) or any
// other name is not loopback.
func Loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}

// RequiresAuth reports whether an endpoint on addr must be guarded.
func RequiresAuth(addr string) bool { return !Loopback(addr) }

// Guard is a configured guard: the token and the TLS settings, loaded.
type Guard struct {
	tokenSum    *[sha256.Size]byte // nil: no token
	tls         *tls.Config        // nil: plain HTTP
	metricsOpen bool
}

// New loads cfg for an endpoint on addr. It fails when addr is beyond
// loopback and cfg has no token and no TLS, when only part of the TLS
// settings is given, and when a file cannot be read, is empty or malformed,
// or (the token) is open to other users.
func New(addr string, cfg Config) (*Guard, error) {
	return newGuard(RequiresAuth(addr), addr, cfg)
}

// newGuard is New with the loopback verdict given, so that tests on
// 127.0.0.1 reach the code path of an address beyond loopback.
func newGuard(required bool, addr string, cfg Config) (*Guard, error) {
	g := &Guard{metricsOpen: cfg.MetricsOpen}
	anyTLS := cfg.TLSCert != "" || cfg.TLSKey != "" || cfg.ClientCA != ""
	if required && cfg.TokenFile == "" && !anyTLS {
		return nil, fmt.Errorf("adminauth: admin address %s is not loopback: add --admin-token-file FILE, or --admin-tls-cert, --admin-tls-key and --admin-client-ca (or bind it to 127.0.0.1)", addr)
	}
	if cfg.TokenFile != "" {
		sum, err := loadToken(cfg.TokenFile)
		if err != nil {
			return nil, err
		}
		g.tokenSum = sum
	}
	if anyTLS {
		t, err := loadTLS(cfg)
		if err != nil {
			return nil, err
		}
		g.tls = t
	}
	return g, nil
}

// ErrExposed says a token file can be read or written by users other than
// its owner.
var ErrExposed = errors.New("adminauth: token file is open to other users (chmod 600)")

// maxTokenFile bounds what is read of a token file.
const maxTokenFile = 64 << 10

func loadToken(path string) (*[sha256.Size]byte, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("adminauth: %w", err)
	}
	if info.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("%w: %s has mode %04o", ErrExposed, path, info.Mode().Perm())
	}
	if info.Size() > maxTokenFile {
		return nil, fmt.Errorf("adminauth: token file %s: larger than %d bytes", path, maxTokenFile)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("adminauth: %w", err)
	}
	token, _, _ := strings.Cut(string(data), "\n")
	token = strings.TrimSpace(token)
	if token == "" {
		return nil, fmt.Errorf("adminauth: token file %s: the first line is empty", path)
	}
	sum := sha256.Sum256([]byte(token))
	return &sum, nil
}

func loadTLS(cfg Config) (*tls.Config, error) {
	if cfg.TLSCert == "" || cfg.TLSKey == "" || cfg.ClientCA == "" {
		return nil, errors.New("adminauth: TLS needs all three of --admin-tls-cert, --admin-tls-key and --admin-client-ca")
	}
	cert, err := tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey)
	if err != nil {
		return nil, fmt.Errorf("adminauth: TLS certificate: %w", err)
	}
	pem, err := os.ReadFile(cfg.ClientCA)
	if err != nil {
		return nil, fmt.Errorf("adminauth: client CA: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("adminauth: client CA %s: no PEM certificate in it", cfg.ClientCA)
	}
	t := &tls.Config{Certificates: []tls.Certificate{cert}, ClientCAs: pool,
		ClientAuth: tls.RequireAndVerifyClientCert, MinVersion: tls.VersionTLS12}
	if cfg.MetricsOpen {
		// The open paths take clients without a certificate; the handler
		// checks the others.
		t.ClientAuth = tls.VerifyClientCertIfGiven
	}
	return t, nil
}

// Enabled reports whether the guard checks anything. A nil Guard checks
// nothing, and its Listener and Handler return what they are given.
func (g *Guard) Enabled() bool { return g != nil && (g.tokenSum != nil || g.tls != nil) }

// TLS reports whether the endpoint speaks HTTPS.
func (g *Guard) TLS() bool { return g != nil && g.tls != nil }

// TLSConfig is the server's TLS configuration (nil without TLS), for a
// server that wraps its listener itself.
func (g *Guard) TLSConfig() *tls.Config {
	if !g.TLS() {
		return nil
	}
	return g.tls
}

// Listener is ln, with TLS when it is configured.
func (g *Guard) Listener(ln net.Listener) net.Listener {
	if !g.TLS() {
		return ln
	}
	return tls.NewListener(ln, g.tls)
}

// openPaths are what MetricsOpen serves without authentication.
var openPaths = map[string]bool{"/metrics": true, "/livez": true, "/readyz": true}

// Handler is h behind the guard.
func (g *Guard) Handler(h http.Handler) http.Handler {
	if !g.Enabled() {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if g.metricsOpen && openPaths[r.URL.Path] {
			h.ServeHTTP(w, r)
			return
		}
		if g.tls != nil && (r.TLS == nil || len(r.TLS.VerifiedChains) == 0) {
			http.Error(w, "a client certificate signed by the admin client CA is required", http.StatusUnauthorized)
			return
		}
		if g.tokenSum != nil && !g.tokenOK(r) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="majordomo admin"`)
			http.Error(w, "a bearer token is required (Authorization: Bearer TOKEN)", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// tokenOK compares the request's bearer token with the configured one in
// constant time (of their SHA-256 sums, so that not even the length
// leaks).
func (g *Guard) tokenOK(r *http.Request) bool {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	sum := sha256.Sum256([]byte(strings.TrimSpace(token)))
	return subtle.ConstantTimeCompare(sum[:], g.tokenSum[:]) == 1
}
