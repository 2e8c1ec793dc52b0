package adminauth

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestAdminAuthLoopback(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1:9555": true, "127.1.2.3:1": true, "[::1]:9555": true, "localhost:9555": true,
		"[::ffff:127.0.0.1]:1": true,
		"0.0.0.0:9555":         false, "192.0.2.1:9555": false, "[::]:9555": false, ":9555": false,
		"example.com:9555": false, "10.0.0.1:80": false, "nonsense": false,
	} {
		if got := Loopback(addr); got != want {
			t.Errorf("Loopback(%q) = %v, want %v", addr, got, want)
		}
		if RequiresAuth(addr) == want {
			t.Errorf("RequiresAuth(%q) = %v", addr, !want)
		}
	}
}

// Beyond loopback, neither token nor TLS is a startup error that says what
// to add; on loopback nothing is needed and nothing is checked.
func TestAdminAuthRequiredBeyondLoopback(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:9555", "192.0.2.1:9555", "[::]:9555"} {
		_, err := New(addr, Config{MetricsOpen: true})
		if err == nil || !strings.Contains(err.Error(), "--admin-token-file") || !strings.Contains(err.Error(), "--admin-client-ca") {
			t.Errorf("New(%s) without auth: %v", addr, err)
		}
	}
	g, err := New("127.0.0.1:9555", Config{})
	if err != nil || g.Enabled() || g.TLS() {
		t.Fatalf("loopback: %v, enabled %v", err, g.Enabled())
	}
}

func writeFile(t *testing.T, name, text string, mode os.FileMode) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(text), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
	return path
}

// serveGuarded serves a 200 handler behind g on 127.0.0.1 until the test
// ends and returns its base URL.
func serveGuarded(t *testing.T, g *Guard) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: g.Handler(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, "ok")
	})), ReadHeaderTimeout: 5 * time.Second, ErrorLog: nil}
	done := make(chan struct{})
	go func() {
		defer close(done)
		srv.Serve(g.Listener(ln))
	}()
	t.Cleanup(func() {
		srv.Close()
		<-done
	})
	scheme := "http"
	if g.TLS() {
		scheme = "https"
	}
	return scheme + "://" + ln.Addr().String()
}

func get(t *testing.T, c *http.Client, url, token string) (*http.Response, error) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", token)
	}
	resp, err := c.Do(req)
	if err == nil {
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	return resp, err
}

// With a token (forced on a loopback listener, as beyond loopback):
// 401 with WWW-Authenticate without it or with a wrong one, 200 with it;
// with metrics open, /metrics, /livez and /readyz need none.
func TestAdminAuthToken(t *testing.T) {
	tokenFile := writeFile(t, "token", "s3cret-token\n# comment\n", 0o600)
	for _, open := range []bool{false, true} {
		g, err := newGuard(true, "0.0.0.0:9555", Config{TokenFile: tokenFile, MetricsOpen: open})
		if err != nil {
			t.Fatal(err)
		}
		base := serveGuarded(t, g)
		c := &http.Client{Timeout: 10 * time.Second}
		for _, tc := range []struct {
			path, auth string
			want       int
		}{
			{"/api/status", "", 401},
			{"/api/status", "Bearer wrong", 401},
			{"/api/status", "Bearer s3cret-tokenX", 401},
			{"/api/status", "Basic s3cret-token", 401},
			{"/api/status", "Bearer s3cret-token", 200},
			{"/api/status", "bearer s3cret-token", 200},
			{"/metrics", "", map[bool]int{false: 401, true: 200}[open]},
			{"/livez", "", map[bool]int{false: 401, true: 200}[open]},
			{"/metrics/x", "", 401},
		} {
			resp, err := get(t, c, base+tc.path, tc.auth)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tc.want {
				t.Errorf("metrics open %v: GET %s with %q: %d, want %d", open, tc.path, tc.auth, resp.StatusCode, tc.want)
			}
			if resp.StatusCode == 401 && !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("401 without WWW-Authenticate: Bearer: %q", resp.Header.Get("WWW-Authenticate"))
			}
		}
	}
}

func TestAdminAuthTokenFileRefused(t *testing.T) {
	if _, err := New("0.0.0.0:1", Config{TokenFile: writeFile(t, "t", "x\n", 0o644)}); !errors.Is(err, ErrExposed) {
		t.Errorf("token file 0644: %v", err)
	}
	if _, err := New("0.0.0.0:1", Config{TokenFile: writeFile(t, "t", "\n\n", 0o600)}); err == nil {
		t.Error("an empty token was taken")
	}
	if _, err := New("0.0.0.0:1", Config{TokenFile: filepath.Join(t.TempDir(), "missing")}); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing token file: %v", err)
	}
	if _, err := New("0.0.0.0:1", Config{TLSCert: "c.pem"}); err == nil || !strings.Contains(err.Error(), "all three") {
		t.Errorf("TLS half configured: %v", err)
	}
}

// pki is a CA and what it signed, as PEM files.
type pki struct {
	caFile string
	ca     *x509.Certificate
	caKey  *ecdsa.PrivateKey
	pool   *x509.CertPool
}

func newCA(t *testing.T, name string) *pki {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(der)
	p := &pki{ca: ca, caKey: key, pool: x509.NewCertPool()}
	p.pool.AddCert(ca)
	p.caFile = writeFile(t, name+"-ca.pem", string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})), 0o644)
	return p
}

// issue makes a certificate signed by the CA: a server one for 127.0.0.1
// or a client one.
func (p *pki) issue(t *testing.T, name string, server bool) (certFile, keyFile string, pair tls.Certificate) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	if server {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		tmpl.IPAddresses = []net.IP{net.IPv4(127, 0, 0, 1)}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.ca, &key.PublicKey, p.caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})
	pair, err = tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	return writeFile(t, name+".pem", string(certPEM), 0o644), writeFile(t, name+"-key.pem", string(keyPEM), 0o600), pair
}

// With TLS client certificates: a client without one, or with one another
// CA signed, is refused; one the client CA signed gets 200. With metrics
// open, /metrics needs no certificate and the rest still does.
func TestAdminAuthTLSClientCertificates(t *testing.T) {
	serverCA, clientCA, otherCA := newCA(t, "server"), newCA(t, "clients"), newCA(t, "other")
	certFile, keyFile, _ := serverCA.issue(t, "admin", true)
	_, _, good := clientCA.issue(t, "operator", false)
	_, _, stranger := otherCA.issue(t, "stranger", false)
	client := func(certs ...tls.Certificate) *http.Client {
		return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
			TLSClientConfig: &tls.Config{RootCAs: serverCA.pool, Certificates: certs, MinVersion: tls.VersionTLS12}}}
	}
	for _, open := range []bool{false, true} {
		g, err := newGuard(true, "0.0.0.0:9555", Config{TLSCert: certFile, TLSKey: keyFile, ClientCA: clientCA.caFile, MetricsOpen: open})
		if err != nil {
			t.Fatal(err)
		}
		base := serveGuarded(t, g)
		if resp, err := get(t, client(good), base+"/api/status", ""); err != nil || resp.StatusCode != 200 {
			t.Fatalf("metrics open %v: with a good certificate: %v, %v", open, resp, err)
		}
		for name, c := range map[string]*http.Client{"no certificate": client(), "another CA's": client(stranger)} {
			resp, err := get(t, c, base+"/api/status", "")
			if err == nil && resp.StatusCode == 200 {
				t.Errorf("metrics open %v: %s: 200", open, name)
			}
			resp, err = get(t, c, base+"/metrics", "")
			gotOK := err == nil && resp.StatusCode == 200
			// Go's TLS client sends no certificate that the server's
			// client CA did not sign: the stranger comes as one without.
			if want := open; gotOK != want {
				t.Errorf("metrics open %v: %s: /metrics served %v, want %v (%v)", open, name, gotOK, want, err)
			}
		}
		plain := strings.Replace(base, "https://", "http://", 1) + "/api/status"
		if resp, err := get(t, &http.Client{Timeout: 10 * time.Second}, plain, ""); err == nil && resp.StatusCode == 200 {
			t.Errorf("metrics open %v: plain HTTP to the TLS endpoint answered 200", open)
		}
	}
}
