package workers_test

import (
	"bytes"
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

// serve runs w with h until the returned stop is called. Requests sent
// before w has registered wait in the broker for it.
func serve(w *workers.Worker, h workers.Handler) (stop func() error) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx, h) }()
	return func() error { cancel(); return <-done }
}

// The quick start: a worker for the service "upper", and a client that
// calls it, through a broker started inside the example.
func Example() {
	demo, err := demobroker.Start(1)
	if err != nil {
		log.Fatal(err)
	}
	defer demo.Stop()

	w, err := workers.New([]string{demo.Endpoints[0]}, "upper", workers.WithConcurrency(4))
	if err != nil {
		log.Fatal(err)
	}
	stop := serve(w, workers.HandlerFunc(func(ctx context.Context, req *workers.Request) ([][]byte, error) {
		return [][]byte{bytes.ToUpper(req.Body[0])}, nil
	}))

	c, err := clients.New(demo.Endpoints)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	reply, err := c.Request(context.Background(), "upper", []byte("hello"))
	fmt.Printf("%s %v\n", reply[0], err)
	fmt.Println("worker stopped:", stop())
	// Output:
	// HELLO <nil>
	// worker stopped: <nil>
}

// A handler streams PARTIAL replies with Request.Partial before its FINAL
// one (MDP/0.2 and the extension); the client reads them as a Stream.
func ExampleRequest_Partial() {
	demo, err := demobroker.Start(1)
	if err != nil {
		log.Fatal(err)
	}
	defer demo.Stop()

	w, err := workers.New([]string{demo.Endpoints[0]}, "count")
	if err != nil {
		log.Fatal(err)
	}
	stop := serve(w, workers.HandlerFunc(func(ctx context.Context, req *workers.Request) ([][]byte, error) {
		n, err := strconv.Atoi(string(req.Body[0]))
		if err != nil {
			return nil, workers.Errorf(mdp.StatusBadRequest, "not a number: %q", req.Body[0])
		}
		for i := 1; i < n; i++ {
			if err := req.Partial([]byte(strconv.Itoa(i))); err != nil {
				return nil, err
			}
		}
		return [][]byte{[]byte(strconv.Itoa(n) + ", done")}, nil
	}))
	defer stop()

	c, err := clients.New(demo.Endpoints)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	s := c.Stream(context.Background(), "count", []byte("3"))
	defer s.Close()
	for s.Next() {
		fmt.Printf("%s (final: %v)\n", s.Body()[0], s.Final())
	}
	fmt.Println(s.Err())
	// Output:
	// 1 (final: false)
	// 2 (final: false)
	// 3, done (final: true)
	// <nil>
}

// A handler's *Error chooses the status code of the error reply; the
// client gets it as a *clients.ServiceError. Any other error is a 500.
func ExampleErrorf() {
	demo, err := demobroker.Start(1)
	if err != nil {
		log.Fatal(err)
	}
	defer demo.Stop()

	w, err := workers.New([]string{demo.Endpoints[0]}, "users")
	if err != nil {
		log.Fatal(err)
	}
	stop := serve(w, workers.HandlerFunc(func(ctx context.Context, req *workers.Request) ([][]byte, error) {
		if string(req.Body[0]) == "crash" {
			return nil, errors.New("database unreachable")
		}
		return nil, workers.Errorf(mdp.StatusNotFound, "no user %q", req.Body[0])
	}))
	defer stop()

	c, err := clients.New(demo.Endpoints)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	for _, body := range []string{"bob", "crash"} {
		_, err := c.Request(context.Background(), "users", []byte(body))
		var se *clients.ServiceError
		if errors.As(err, &se) {
			fmt.Printf("%d %s (retry may help: %v)\n", se.Status, se.Text, se.Temporary())
		}
	}
	// Output:
	// 404 no user "bob" (retry may help: false)
	// 500 database unreachable (retry may help: true)
}

// A worker on several brokers serves through all of them at once, within
// its one capacity: any of the brokers is enough, and one that dies is
// reconnected to while the others serve. Ready says when a broker has it.
func Example_severalBrokers() {
	demo, err := demobroker.Start(2)
	if err != nil {
		log.Fatal(err)
	}
	defer demo.Stop()

	w, err := workers.New(demo.Endpoints, "where", workers.WithConcurrency(8),
		workers.WithHeartbeat(50*time.Millisecond)) // so that Ready comes at once
	if err != nil {
		log.Fatal(err)
	}
	stop := serve(w, workers.HandlerFunc(func(ctx context.Context, req *workers.Request) ([][]byte, error) {
		return [][]byte{[]byte("served: " + string(req.Body[0]))}, nil
	}))
	defer stop()
	<-w.Ready()

	// One client per broker, to show that each of them reaches the worker;
	// a real client lists them all (clients.New(demo.Endpoints)).
	for i, ep := range demo.Endpoints {
		c, err := clients.New([]string{ep})
		if err != nil {
			log.Fatal(err)
		}
		reply, err := c.Request(context.Background(), "where", []byte(fmt.Sprint("through broker ", i+1)))
		fmt.Printf("%s %v\n", reply[0], err)
		c.Close()
	}
	// Output:
	// served: through broker 1 <nil>
	// served: through broker 2 <nil>
}
