package curveclient

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/majordomo-go/majordomo/internal/curvekey"
	"github.com/majordomo-go/majordomo/internal/zsock"
)

func TestCurveKeysFromZ85AndFiles(t *testing.T) {
	path := filepath.Join(t.TempDir(), "me.key")
	pair, err := curvekey.Generate(path)
	if err != nil {
		t.Fatal(err)
	}
	server, _, _ := zsock.NewKeyPair()
	k, err := FromZ85(server.String(), pair.Public.String(), pair.Secret.String())
	if err != nil || k.Server != server || k.Public != pair.Public || k.Secret != pair.Secret {
		t.Fatalf("FromZ85 = %+v, %v", k, err)
	}
	if _, err := FromZ85(server.String(), server.String(), pair.Secret.String()); err == nil || !strings.Contains(err.Error(), "not the public key") {
		t.Fatalf("mismatched pair: %v", err)
	}
	_, err = FromZ85("bad", "worse", pair.Secret.String())
	if !errors.Is(err, zsock.ErrBadKey) || !strings.Contains(err.Error(), "server public key") || !strings.Contains(err.Error(), "CURVE public key") {
		t.Fatalf("bad keys: %v; want both named", err)
	}
	f, err := FromFiles(curvekey.PublicPath(path), path)
	if err != nil || f.Public != pair.Public || f.Server != pair.Public {
		t.Fatalf("FromFiles = %+v, %v", f, err)
	}
	var none *Keys
	if err := none.Apply(nil); err != nil {
		t.Fatalf("nil Keys apply: %v", err)
	}
}

func TestCurveCheckConfig(t *testing.T) {
	pub, sec, err := zsock.NewKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	server, _, _ := zsock.NewKeyPair()
	if Configured("", "", "") || Check("", "", "") != nil {
		t.Fatal("no keys is plain, and no error")
	}
	if err := Check(server.String(), pub.String(), sec.String()); err != nil {
		t.Fatalf("a good set: %v", err)
	}
	for name, keys := range map[string][3]string{
		"secret missing":  {server.String(), pub.String(), ""},
		"not Z85":         {"x", pub.String(), sec.String()},
		"public mismatch": {server.String(), server.String(), sec.String()},
	} {
		if !Configured(keys[0], keys[1], keys[2]) {
			t.Errorf("%s: not configured", name)
		}
		if Check(keys[0], keys[1], keys[2]) == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
