package workers

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/majordomo-go/majordomo/clients"
	"github.com/majordomo-go/majordomo/internal/mdptest"
	"github.com/majordomo-go/majordomo/mdp"
)

// The two SDKs together over the extension: a client's stream sees the
// worker's PARTIALs in order, then the FINAL; a handler's typed error
// reaches the client as a *clients.ServiceError with its code; a client's
// retry with the same UUID is answered once.
func TestClientSDK(t *testing.T) {
	b := startFakeBroker(t, "tcp://127.0.0.1:*", testHB, true)
	startWorker(t, b.Endpoint, "stream", HandlerFunc(func(ctx context.Context, req *Request) ([][]byte, error) {
		if string(req.Body[0]) == "fail" {
			return nil, Errorf(mdp.StatusBadRequest, "refused")
		}
		if !req.ClientUUID {
			return nil, errors.New("the client's UUID was not marked as the client's")
		}
		return streamTen(ctx, req)
	}))
	b.Wait(1, "XREADY", mdptest.IsKind(mdp.WorkerReady))
	c, err := clients.New([]string{b.Endpoint})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	s := c.Stream(ctx, "stream", []byte("go"))
	defer s.Close()
	var got []string
	for s.Next() {
		prefix := ""
		if s.Final() {
			prefix = "final:"
		}
		got = append(got, prefix+string(s.Body()[0]))
	}
	if err := s.Err(); err != nil {
		t.Fatalf("stream: %v", err)
	}
	want := []string{"part 0", "part 1", "part 2", "part 3", "part 4", "part 5", "part 6", "part 7", "part 8", "part 9", "final:done"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("stream %q, want %q", got, want)
	}

	_, err = c.Request(ctx, "stream", []byte("fail"))
	var se *clients.ServiceError
	if !errors.As(err, &se) || se.Status != mdp.StatusBadRequest || se.Text != "refused" {
		t.Fatalf("error reply: %v, want status 400 refused", err)
	}
}
