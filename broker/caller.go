package broker

import "time"

// peerProps is what the ROUTER said of the sender of the message being
// handled: its User-Id (the Z85 of its CURVE key, from the ZAP handler;
// empty on plain endpoints) and its Peer-Address (its IP on TCP). Both are
// views into the socket's memory, valid only while that message is
// handled: keep a copy.
type peerProps struct {
	user, addr []byte
}

// maxCallers bounds the interned caller keys; past it the table starts
// over (the strings already handed out stay valid).
const maxCallers = 4096

// handleFrom takes one message with its sender's properties.
func (c *core) handleFrom(now time.Time, frames [][]byte, user, addr []byte) {
	c.from = peerProps{user: user, addr: addr}
	c.handle(now, frames)
	c.from = peerProps{}
}

// caller is the sender's key as a string, the same string for the same key
// each time, so that keying requests by it costs no allocation per
// message.
func (c *core) caller() string {
	u := c.from.user
	if len(u) == 0 {
		return ""
	}
	if s, ok := c.callers[string(u)]; ok {
		return s
	}
	if len(c.callers) >= maxCallers {
		clear(c.callers)
	}
	s := string(u)
	c.callers[s] = s
	return s
}
