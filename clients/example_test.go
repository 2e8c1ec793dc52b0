package clients_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"strconv"
	"time"

	"github.com/majordomo-go/majordomo/clients"
	"github.com/majordomo-go/majordomo/internal/demobroker"
	"github.com/majordomo-go/majordomo/mdp"
	"github.com/majordomo-go/majordomo/workers"
)

// serve runs a worker for service at the brokers until the returned stop
// is called.
func serve(brokers []string, service string, h workers.HandlerFunc) (stop func()) {
	w, err := workers.New(brokers, service, workers.WithConcurrency(8))
	if err != nil {
		log.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx, h) }()
	return func() { cancel(); <-done }
}

func square(_ context.Context, req *workers.Request) ([][]byte, error) {
	n, err := strconv.Atoi(string(req.Body[0]))
	if err != nil {
		return nil, workers.Errorf(mdp.StatusBadRequest, "not a number: %q", req.Body[0])
	}
	return [][]byte{[]byte(strconv.Itoa(n * n))}, nil
}

// A request through two brokers, with a worker on both: the client sends
// to one and retries an attempt that times out on the other, with the
// same request UUID. Errors tell apart a timeout and an error reply.
func ExampleClient_Request() {
	demo, err := demobroker.Start(2)
	if err != nil {
		log.Fatal(err)
	}
	defer demo.Stop()
	defer serve(demo.Endpoints, "square", square)()

	c, err := clients.New(demo.Endpoints, clients.WithTimeout(time.Second), clients.WithRetries(3))
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, body := range []string{"12", "twelve"} {
		reply, err := c.Request(ctx, "square", []byte(body))
		var se *clients.ServiceError
		switch {
		case errors.Is(err, clients.ErrTimeout):
			fmt.Println("no broker answered in time")
		case errors.As(err, &se):
			fmt.Printf("the service said %d: %s\n", se.Status, se.Text)
		case err == nil:
			fmt.Printf("%s\n", reply[0])
		}
	}
	// Output:
	// 144
	// the service said 400: not a number: "twelve"
}

// Go sends without waiting: many requests in flight from one goroutine,
// each finished when its Done channel is closed.
func ExampleClient_Go() {
	demo, err := demobroker.Start(1)
	if err != nil {
		log.Fatal(err)
	}
	defer demo.Stop()
	defer serve(demo.Endpoints, "square", square)()

	c, err := clients.New(demo.Endpoints)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	calls := make([]*clients.Call, 5)
	for i := range calls {
		calls[i] = c.Go(ctx, "square", []byte(strconv.Itoa(i)))
	}
	for _, call := range calls {
		<-call.Done
		fmt.Printf("%s %v\n", call.Reply[0], call.Err)
	}
	// Output:
	// 0 <nil>
	// 1 <nil>
	// 4 <nil>
	// 9 <nil>
	// 16 <nil>
}

// A Stream reads a request's PARTIAL replies, then its FINAL one.
func ExampleClient_Stream() {
	demo, err := demobroker.Start(1)
	if err != nil {
		log.Fatal(err)
	}
	defer demo.Stop()
	defer serve(demo.Endpoints, "tail", func(ctx context.Context, req *workers.Request) ([][]byte, error) {
		for _, line := range []string{"first line", "second line"} {
			if err := req.Partial([]byte(line)); err != nil {
				return nil, err
			}
		}
		return [][]byte{[]byte("end of " + string(req.Body[0]))}, nil
	})()

	c, err := clients.New(demo.Endpoints)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	s := c.Stream(context.Background(), "tail", []byte("app.log"))
	defer s.Close()
	for s.Next() {
		fmt.Printf("%s (final: %v)\n", s.Body()[0], s.Final())
	}
	fmt.Println(s.Err())
	// Output:
	// first line (final: false)
	// second line (final: false)
	// end of app.log (final: true)
	// <nil>
}

// WithFailFast asks the broker for an immediate 404 when a service has no
// worker, instead of queueing the request until one comes.
func ExampleWithFailFast() {
	demo, err := demobroker.Start(1)
	if err != nil {
		log.Fatal(err)
	}
	defer demo.Stop()

	c, err := clients.New(demo.Endpoints, clients.WithFailFast())
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	_, err = c.Request(context.Background(), "nobody")
	fmt.Println(errors.Is(err, clients.ErrNoSuchService))
	// Output:
	// true
}
