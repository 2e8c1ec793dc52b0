package flagvalue

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestDuration(t *testing.T) {
	var d time.Duration
	v := Duration{P: &d}
	if err := v.Set(" 2.5s "); err != nil || d != 2500*time.Millisecond || v.String() != "2.5s" {
		t.Fatalf("2.5s: %v %v %q", err, d, v.String())
	}
	for in, want := range map[string]string{"soon": "not a duration", "0": "at least 1ms", "500us": "at least 1ms", "-1s": "at least 1ms"} {
		if err := v.Set(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", in, err, want)
		}
	}
	if d != 2500*time.Millisecond {
		t.Fatalf("a refused value changed it: %v", d)
	}
	z := DurationOrZero{P: &d}
	if err := z.Set("0"); err != nil || d != 0 {
		t.Fatalf("0: %v %v", err, d)
	}
	if err := z.Set("-1s"); err == nil {
		t.Fatal("-1s accepted")
	}
}

func TestSize(t *testing.T) {
	var n int64
	v := Size{P: &n}
	for in, want := range map[string]int64{"65536": 65536, "64KiB": 64 << 10, "16 MiB": 16 << 20, "1G": 1 << 30, "7B": 7} {
		if err := v.Set(in); err != nil || n != want {
			t.Errorf("%q: %v %d, want %d", in, err, n, want)
		}
	}
	if v.Set("16MiB"); v.String() != "16MiB" {
		t.Errorf("String %q", v.String())
	}
	if err := v.Set("0"); !errors.Is(err, ErrNotPositive) {
		t.Errorf("0: %v", err)
	}
	for _, in := range []string{"lots", "-1KiB", "1.5MiB", "99999999999GiB"} {
		if err := v.Set(in); err == nil {
			t.Errorf("%q accepted", in)
		}
	}
}
