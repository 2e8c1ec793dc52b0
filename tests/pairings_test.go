package tests

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/majordomo-go/majordomo/clients"
	"github.com/majordomo-go/majordomo/mdp"
	"github.com/majordomo-go/majordomo/workers"
)

// Every pairing of the SDKs' protocols (plain 0.1, plain 0.2, extension:
// the same names in both SDKs) works through our broker: a request is
// answered; where both sides stream (0.2 or the extension) the PARTIALs
// arrive in order before the FINAL; where both speak the extension an
// error reply keeps its status code.
func TestSDKProtocolPairings(t *testing.T) {
	_, ep := startBroker(t, nil)
	type pair struct {
		c clients.Protocol
		w workers.Protocol
	}
	var pairs []pair
	for _, c := range []clients.Protocol{clients.ProtocolV01, clients.ProtocolV02, clients.ProtocolExtension} {
		for _, w := range []workers.Protocol{workers.ProtocolV01, workers.ProtocolV02, workers.ProtocolExtension} {
			pairs = append(pairs, pair{c, w})
		}
	}
	for i, p := range pairs {
		t.Run(fmt.Sprintf("client %v, worker %v", p.c, p.w), func(t *testing.T) {
			service := fmt.Sprintf("pairing-%d", i)
			startWorker(t, ep, service, func(ctx context.Context, req *workers.Request) ([][]byte, error) {
				switch string(req.Body[0]) {
				case "fail":
					return nil, workers.Errorf(mdp.StatusNotFound, "nothing here")
				case "stream":
					for _, part := range []string{"one", "two"} {
						if err := req.Partial([]byte(part)); err != nil {
							return nil, err
						}
					}
				}
				return req.Body, nil
			}, workers.WithProtocol(p.w))
			c := newClient(t, []string{ep}, clients.WithProtocol(p.c))
			ctx, cancel := context.WithTimeout(context.Background(), waitLong)
			defer cancel()

			reply, err := c.Request(ctx, service, []byte("ping"))
			if err != nil || len(reply) != 1 || string(reply[0]) != "ping" {
				t.Fatalf("request: %q, %v", reply, err)
			}
			streams := p.c != clients.ProtocolV01 && p.w != workers.ProtocolV01
			if streams {
				s := c.Stream(ctx, service, []byte("stream"))
				var got []string
				for s.Next() {
					got = append(got, fmt.Sprintf("%s/%v", s.Body()[0], s.Final()))
				}
				s.Close()
				if err := s.Err(); err != nil || fmt.Sprint(got) != "[one/false two/false stream/true]" {
					t.Fatalf("stream: %v, %v", got, err)
				}
			}
			if p.c == clients.ProtocolExtension && p.w == workers.ProtocolExtension {
				_, err := c.Request(ctx, service, []byte("fail"))
				var se *clients.ServiceError
				if !errors.As(err, &se) || se.Status != mdp.StatusNotFound || se.Text != "nothing here" {
					t.Fatalf("error reply: %v, want 404 nothing here", err)
				}
			}
		})
	}
}
