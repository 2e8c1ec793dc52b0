// Package curveclient is the CURVE client side that both SDKs (clients,
// workers) share: the broker's public key and the SDK's own key pair, read
// from Z85 text or from key files (internal/curvekey), checked once, and
// set on each socket before it connects.
//
// A CURVE client whose key the broker refuses (ZAP says 400), or that was
// given the wrong broker key, gets no connection: libzmq drops the
// handshake and tries again after its reconnect interval, and nothing
// reaches the application. To the SDKs it looks exactly like an
// unreachable broker, and they treat it so.
package curveclient

import (
	"errors"
	"fmt"

	"github.com/majordomo-go/majordomo/internal/curvekey"
	"github.com/majordomo-go/majordomo/internal/zsock"
)

// Keys are what a CURVE client needs: the server's public key and its own
// key pair.
type Keys struct {
	Server, Public, Secret zsock.Key
}

// FromZ85 reads the three keys from their Z85 text (40 characters each)
// and checks that public is the public key of secret.
func FromZ85(server, public, secret string) (*Keys, error) {
	var k Keys
	var errs []error
	for _, f := range []struct {
		name string
		text string
		key  *zsock.Key
	}{{"server public key", server, &k.Server}, {"public key", public, &k.Public}, {"secret key", secret, &k.Secret}} {
		key, err := zsock.ParseKey(f.text)
		if err != nil {
			errs = append(errs, fmt.Errorf("CURVE %s: %w", f.name, err))
			continue
		}
		*f.key = key
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	derived, err := zsock.PublicKey(k.Secret)
	if err != nil {
		return nil, fmt.Errorf("CURVE secret key: %w", err)
	}
	if derived != k.Public {
		return nil, errors.New("CURVE public key is not the public key of the secret key given")
	}
	return &k, nil
}

// Configured reports whether any of the three Z85 keys is given: a config
// that gives none is plain, one that gives some asks for CURVE.
func Configured(server, public, secret string) bool {
	return server != "" || public != "" || secret != ""
}

// Check says what is wrong with a config's three Z85 keys: nothing when
// none is given (plain), else FromZ85's error (a missing key, text that is
// not Z85, a public key that is not the secret key's).
func Check(server, public, secret string) error {
	if !Configured(server, public, secret) {
		return nil
	}
	_, err := FromZ85(server, public, secret)
	return err
}

// FromFiles reads the server's public key from serverFile (FILE.pub, as
// mdcli keygen writes it) and the own key pair from secretFile, which must
// not be open to other users (curvekey.ErrExposed).
func FromFiles(serverFile, secretFile string) (*Keys, error) {
	if serverFile == "" || secretFile == "" {
		return nil, errors.New("CURVE key files: both the server's public key file and the own secret key file are needed")
	}
	server, err := curvekey.LoadPublic(serverFile)
	if err != nil {
		return nil, fmt.Errorf("CURVE server public key: %w", err)
	}
	pair, err := curvekey.LoadSecret(secretFile)
	if err != nil {
		return nil, fmt.Errorf("CURVE secret key: %w", err)
	}
	return &Keys{Server: server, Public: pair.Public, Secret: pair.Secret}, nil
}

// Apply makes the connections s makes after it CURVE client connections
// with k. A nil k leaves s as it is (no CURVE).
func (k *Keys) Apply(s *zsock.Socket) error {
	if k == nil {
		return nil
	}
	return s.SetCurveClient(k.Server, k.Public, k.Secret)
}
