package main

import (
	"context"

	"github.com/majordomo-go/majordomo/clients"
)

type streamFunc func(ctx context.Context, service string, body ...[]byte) *clients.Stream

// stream prints every reply of a request as it arrives: each PARTIAL, then
// the FINAL. In text they are printed as call prints a reply, one after
// the other; with --json each is a JSON line with "final" set.
func (o *output) stream(ctx context.Context, open streamFunc, service string, body [][]byte) int {
	s := open(ctx, service, body...)
	defer s.Close()
	var last [][]byte
	for s.Next() {
		doc := replyJSON(service, s.Body())
		final := s.Final()
		doc.Final = &final
		if code := o.printReply(doc); code != exitOK {
			return code
		}
		last = s.Body()
	}
	if err := s.Err(); err != nil {
		return o.failRequest(service, err)
	}
	return o.mmiStatus(service, last, exitOK)
}
