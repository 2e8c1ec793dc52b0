package clients

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// Options are checked as workers' are: each bad value is named, all of
// them at once, under ErrInvalidOption.
func TestNewValidatesOptions(t *testing.T) {
	cases := []struct {
		name string
		opts []Option
		want []string
	}{
		{"timeout", []Option{WithTimeout(0)}, []string{"timeout 0s"}},
		{"retries", []Option{WithRetries(-1)}, []string{"retries -1"}},
		{"backoff", []Option{WithBackoff(time.Second, time.Millisecond)}, []string{"backoff 1s up to 1ms"}},
		{"protocol", []Option{WithProtocol(9)}, []string{"unknown protocol"}},
		{"logger", []Option{WithLogger(nil)}, []string{"logger is nil"}},
		{"fail-fast needs ext", []Option{WithProtocol(ProtocolV01), WithFailFast()}, []string{"fail-fast needs MDP/0.2+ext, not MDP/0.1"}},
		{"two at once", []Option{WithTimeout(-time.Second), WithRetries(-2)}, []string{"timeout -1s", "retries -2"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := New([]string{"tcp://127.0.0.1:1"}, c.opts...)
			if !errors.Is(err, ErrInvalidOption) {
				t.Fatalf("New: %v, want ErrInvalidOption", err)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Fatalf("New: %v, want it to say %q", err, w)
				}
			}
		})
	}
	c, err := New([]string{"tcp://127.0.0.1:1"}, nil, WithProtocol(ProtocolV02), WithBackoff(0, 0), WithRetries(0))
	if err != nil {
		t.Fatalf("valid options: %v", err)
	}
	c.Close()
}

// The protocols have the workers' names, values and spellings.
func TestProtocolNames(t *testing.T) {
	for p, want := range map[Protocol]string{ProtocolExtension: "MDP/0.2+ext", ProtocolV02: "MDP/0.2", ProtocolV01: "MDP/0.1", 7: "Protocol(7)"} {
		if p.String() != want {
			t.Fatalf("%d: %q, want %q", uint8(p), p.String(), want)
		}
	}
}
