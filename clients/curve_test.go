package clients_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/majordomo-go/majordomo/clients"
	"github.com/majordomo-go/majordomo/internal/curvekey"
	"github.com/majordomo-go/majordomo/internal/mdptest"
)

// curveOpt is WithCurve with the broker's public key and the pair p.
func curveOpt(b *mdptest.CurveBroker, p mdptest.CurvePair) clients.Option {
	return clients.WithCurve(b.Keys.Public.String(), p.Public.String(), p.Secret.String())
}

func bodyIs(got [][]byte, want ...string) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if string(got[i]) != want[i] {
			return false
		}
	}
	return true
}

// A client with an allowed key reaches a CURVE broker in every protocol
// (extension: one socket per broker; plain: a socket per request), and
// the broker sees its messages under the client's public key.
func TestCurveClientThroughCurveBroker(t *testing.T) {
	for _, p := range []clients.Protocol{clients.ProtocolExtension, clients.ProtocolV02, clients.ProtocolV01} {
		t.Run(p.String(), func(t *testing.T) {
			me := mdptest.NewCurvePair(t)
			b := mdptest.StartCurve(t, me.Public)
			c, err := clients.New([]string{b.Endpoint}, curveOpt(b, me), clients.WithProtocol(p))
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			got, err := c.Request(ctx, "svc", []byte("hi"))
			if err != nil || !bodyIs(got, "echo", "hi") {
				t.Fatalf("Request = %q, %v", got, err)
			}
			if b.From(me.Public) == 0 || len(b.Senders()) != 1 {
				t.Fatalf("broker saw senders %v; want only %v", b.Senders(), me.Public)
			}
		})
	}
}

// The keys may come from files as mdcli keygen writes them; a secret key
// file open to other users is refused by New.
func TestCurveClientKeyFiles(t *testing.T) {
	dir := t.TempDir()
	mine := filepath.Join(dir, "client.key")
	pair, err := curvekey.Generate(mine)
	if err != nil {
		t.Fatal(err)
	}
	b := mdptest.StartCurve(t, pair.Public)
	brokerPub := filepath.Join(dir, "broker.key.pub")
	if err := os.WriteFile(brokerPub, []byte(b.Keys.Public.String()+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := clients.New([]string{b.Endpoint}, clients.WithCurveKeyFiles(brokerPub, mine))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if got, err := c.Request(ctx, "svc", []byte("x")); err != nil || !bodyIs(got, "echo", "x") {
		t.Fatalf("Request = %q, %v", got, err)
	}

	if err := os.Chmod(mine, 0o640); err != nil {
		t.Fatal(err)
	}
	_, err = clients.New([]string{b.Endpoint}, clients.WithCurveKeyFiles(brokerPub, mine))
	if !errors.Is(err, curvekey.ErrExposed) || !errors.Is(err, clients.ErrInvalidOption) {
		t.Fatalf("New with a secret key file open to the group: %v; want ErrExposed", err)
	}
	_, err = clients.New([]string{b.Endpoint}, clients.WithCurveKeyFiles(filepath.Join(dir, "missing.pub"), mine))
	if !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("New with a missing broker key file: %v", err)
	}
}

// Keys that are not Z85, a public key that is not the secret key's, and
// CURVE options given twice are errors from New, not panics.
func TestCurveClientBadKeys(t *testing.T) {
	a, b := mdptest.NewCurvePair(t), mdptest.NewCurvePair(t)
	for name, opts := range map[string][]clients.Option{
		"short server key": {clients.WithCurve("short", a.Public.String(), a.Secret.String())},
		"bad secret":       {clients.WithCurve(b.Public.String(), a.Public.String(), "not a key at all, not at all, not at all")},
		"mismatched pair":  {clients.WithCurve(b.Public.String(), a.Public.String(), b.Secret.String())},
		"twice": {clients.WithCurve(b.Public.String(), a.Public.String(), a.Secret.String()),
			clients.WithCurve(b.Public.String(), a.Public.String(), a.Secret.String())},
		"empty files": {clients.WithCurveKeyFiles("", "")},
	} {
		c, err := clients.New([]string{"tcp://127.0.0.1:1"}, opts...)
		if !errors.Is(err, clients.ErrInvalidOption) {
			if c != nil {
				c.Close()
			}
			t.Errorf("%s: New = %v; want ErrInvalidOption", name, err)
		}
	}
}

// A broker that refuses the client's key never sees a message from it:
// the client takes it for an unreachable broker, warns, and fails over to
// the next broker (same key pair), which lets it in.
func TestCurveRefusedClientFailsOver(t *testing.T) {
	me, other := mdptest.NewCurvePair(t), mdptest.NewCurvePair(t)
	keys := mdptest.NewCurvePair(t)
	refusing := mdptest.StartCurveKeyed(t, keys, other.Public)
	accepting := mdptest.StartCurveKeyed(t, keys, me.Public)
	core, logs := observer.New(zapcore.WarnLevel)
	c, err := clients.New([]string{refusing.Endpoint, accepting.Endpoint}, curveOpt(accepting, me),
		clients.WithTimeout(300*time.Millisecond), clients.WithRetries(3), clients.WithLogger(zap.New(core)))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	got, err := c.Request(ctx, "svc", []byte("hi"))
	if err != nil || !bodyIs(got, "echo", "hi") {
		t.Fatalf("Request = %q, %v", got, err)
	}
	if n := refusing.From(me.Public); n != 0 || refusing.Refused() == 0 {
		t.Fatalf("refusing broker: %d messages from the refused key, %d handshakes refused", n, refusing.Refused())
	}
	if accepting.From(me.Public) == 0 {
		t.Fatal("the accepting broker got nothing")
	}
	warned := logs.FilterMessageSnippet("no CURVE connection").All()
	if len(warned) != 1 || warned[0].ContextMap()["broker"] != refusing.Endpoint {
		t.Fatalf("warnings %v; want one about %s", warned, refusing.Endpoint)
	}
}

// With another key for the broker than its own, the handshake fails and
// the request times out as with an unreachable broker; nothing reaches it.
func TestCurveWrongServerKeyTimesOut(t *testing.T) {
	me, impostor := mdptest.NewCurvePair(t), mdptest.NewCurvePair(t)
	b := mdptest.StartCurve(t) // no ZAP handler: every client key is let in
	c, err := clients.New([]string{b.Endpoint},
		clients.WithCurve(impostor.Public.String(), me.Public.String(), me.Secret.String()),
		clients.WithTimeout(200*time.Millisecond), clients.WithRetries(1))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, err = c.Request(context.Background(), "svc", []byte("hi"))
	if !errors.Is(err, clients.ErrTimeout) {
		t.Fatalf("Request = %v; want ErrTimeout", err)
	}
	if s := b.Senders(); len(s) != 0 {
		t.Fatalf("the broker got messages from %v", s)
	}
}
