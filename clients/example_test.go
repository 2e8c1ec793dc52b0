package clients_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/majordomo-go/majordomo/clients"
)

func ExampleClient_Request() {
	c, err := clients.New([]string{"tcp://127.0.0.1:5555", "tcp://127.0.0.1:5556"},
		clients.WithTimeout(time.Second), clients.WithRetries(3))
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	reply, err := c.Request(ctx, "echo", []byte("hello"))
	var se *clients.ServiceError
	switch {
	case errors.Is(err, clients.ErrTimeout):
		log.Print("no broker answered in time")
	case errors.As(err, &se):
		log.Printf("the service said %d: %s", se.Status, se.Text)
	case err == nil:
		fmt.Printf("%s\n", reply[0])
	}
}

func ExampleClient_Go() {
	c, err := clients.New([]string{"tcp://127.0.0.1:5555"})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	ctx := context.Background()
	calls := make([]*clients.Call, 10)
	for i := range calls {
		calls[i] = c.Go(ctx, "square", []byte(fmt.Sprint(i)))
	}
	for _, call := range calls {
		<-call.Done
		fmt.Println(call.Reply, call.Err)
	}
}

func ExampleClient_Stream() {
	c, err := clients.New([]string{"tcp://127.0.0.1:5555"})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	s := c.Stream(context.Background(), "tail", []byte("app.log"))
	defer s.Close()
	for s.Next() {
		fmt.Printf("%s (final: %v)\n", s.Body()[0], s.Final())
	}
	if err := s.Err(); err != nil {
		log.Print(err)
	}
}
