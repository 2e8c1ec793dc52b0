package mdp

import (
	"fmt"
	"strconv"
)

// Status is a three-digit status code, as used by MMI (RFC 8), Titanic
// (RFC 9) and majordomo's error replies.
type Status uint16

// Status codes. 2xx success, 3xx try later, 4xx the request is wrong (do
// not retry as is), 5xx the service failed (a retry may succeed).
const (
	StatusOK             Status = 200 // MMI: service known; Titanic: done
	StatusPending        Status = 300 // Titanic: reply not ready yet
	StatusBadRequest     Status = 400 // malformed request; Titanic: unknown UUID
	StatusNotFound       Status = 404 // MMI: no such service; no worker for a fail-fast request
	StatusForbidden      Status = 403 // the caller's key may not make this request (access policy)
	StatusConflict       Status = 409 // MMI: mmi.handover for a service that is not exclusive or has no standby
	StatusTooLarge       Status = 413 // request larger than the broker accepts
	StatusTooMany        Status = 429 // the connection is over its in-flight or rate limit
	StatusInternal       Status = 500 // the handler failed (the default for worker errors)
	StatusNotImplemented Status = 501 // MMI: unknown mmi.* query
	StatusWorkerFailed   Status = 502 // the request's workers died or left N times
	StatusOverloaded     Status = 503 // queue full: rejected without queueing
	StatusExpired        Status = 504 // the request's deadline passed before a reply
)

var statusText = map[Status]string{
	StatusOK:             "ok",
	StatusPending:        "pending",
	StatusBadRequest:     "bad request",
	StatusNotFound:       "not found",
	StatusForbidden:      "forbidden",
	StatusConflict:       "conflict",
	StatusTooLarge:       "too large",
	StatusTooMany:        "too many requests",
	StatusInternal:       "internal error",
	StatusNotImplemented: "not implemented",
	StatusWorkerFailed:   "worker failed",
	StatusOverloaded:     "overloaded",
	StatusExpired:        "deadline expired",
}

// Text is a short description of a known code ("" for others).
func (s Status) Text() string { return statusText[s] }

// Valid reports whether s has three digits.
func (s Status) Valid() bool { return s >= 100 && s <= 999 }

func (s Status) String() string {
	if t := s.Text(); t != "" {
		return strconv.Itoa(int(s)) + " " + t
	}
	return strconv.Itoa(int(s))
}

// ParseStatus parses a status frame: three ASCII digits, optionally followed
// by one space and non-empty text ("503 overloaded"). The text is returned
// apart from the code.
func ParseStatus(b []byte) (Status, string, error) {
	if len(b) < 3 {
		return 0, "", fmt.Errorf("%w: %q is shorter than three digits", ErrBadStatus, b)
	}
	var s Status
	for _, c := range b[:3] {
		if c < '0' || c > '9' {
			return 0, "", fmt.Errorf("%w: %q does not start with three digits", ErrBadStatus, b)
		}
		s = s*10 + Status(c-'0')
	}
	if s < 100 {
		return 0, "", fmt.Errorf("%w: %q is not a status code", ErrBadStatus, b)
	}
	if len(b) == 3 {
		return s, "", nil
	}
	if b[3] != ' ' || len(b) == 4 {
		return 0, "", fmt.Errorf("%w: %q: code must be followed by a space and text, or nothing", ErrBadStatus, b)
	}
	return s, string(b[4:]), nil
}

// FormatStatus is the inverse of ParseStatus.
func FormatStatus(s Status, text string) []byte {
	b := make([]byte, 0, 4+len(text))
	b = strconv.AppendUint(b, uint64(s), 10)
	if text != "" {
		b = append(b, ' ')
		b = append(b, text...)
	}
	return b
}
