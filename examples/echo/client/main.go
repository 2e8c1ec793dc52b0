// Command client calls the "echo" service with its arguments as body frames
// and prints the reply, one frame per line.
//
//	go run ./examples/echo/client -broker tcp://127.0.0.1:5555 hello world
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/majordomo-go/majordomo/clients"
)

func main() {
	broker := flag.String("broker", "tcp://127.0.0.1:5555", "broker endpoint")
	service := flag.String("service", "echo", "service name")
	timeout := flag.Duration("timeout", 5*time.Second, "how long to wait for the reply, retries included")
	flag.Parse()
	if err := run(*broker, *service, *timeout, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "echo client:", err)
		os.Exit(1)
	}
}

func run(broker, service string, timeout time.Duration, args []string) error {
	if len(args) == 0 {
		args = []string{"hello"}
	}
	body := make([][]byte, len(args))
	for i, a := range args {
		body[i] = []byte(a)
	}
	c, err := clients.New([]string{broker})
	if err != nil {
		return err
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	reply, err := c.Request(ctx, service, body...)
	if err != nil {
		return err
	}
	for _, frame := range reply {
		fmt.Println(string(frame))
	}
	return nil
}
