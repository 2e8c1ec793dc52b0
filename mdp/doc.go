// Package mdp is the Majordomo Protocol on the wire: MDP/0.1 (ZeroMQ RFC 7),
// MDP/0.2 (RFC 18, streaming PARTIAL/FINAL replies), the Majordomo Management
// Interface (RFC 8), Titanic status codes (RFC 9) and majordomo's own
// extension (request UUIDs, deadlines, error replies, worker tiers and
// capacity; see spec/extensions.md).
//
// The package knows bytes, not sockets: it parses the frames of one ZeroMQ
// multipart message into a Message and encodes a Message back into frames. It
// starts no goroutines, logs nothing and never panics on input; every
// malformed message yields an error that wraps one of the Err* sentinels, so
// callers test it with errors.Is.
//
//	id, msg, err := mdp.ParseRouter(frames) // as received on the broker's ROUTER
//	msg, err := mdp.ParseDealer(frames)     // as received by a client or worker
//	frames, err := msg.AppendFrames(nil)    // back to the wire (no identity frame)
//
// Parsed messages alias the input: Message.Body, Message.Address and the
// identity returned by ParseRouter are sub-slices of the frames passed in, not
// copies. Service and status text are copied into strings. Keep the frames
// alive, and do not modify them, for as long as the Message is used.
//
// Whatever parses re-encodes to exactly the frames it was parsed from; the
// fuzz test FuzzParse holds the package to that.
package mdp
