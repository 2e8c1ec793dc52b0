package mdp

// Version is an MDP protocol version.
type Version uint8

// The protocol versions. MDP/0.1 messages start with an empty delimiter
// frame; MDP/0.2 messages do not.
const (
	V01 Version = 1
	V02 Version = 2
)

func (v Version) String() string {
	switch v {
	case V01:
		return "MDP/0.1"
	case V02:
		return "MDP/0.2"
	}
	return "MDP/?"
}

// Protocol header strings: six ASCII bytes, the first frame of every message
// (after the empty delimiter in MDP/0.1).
const (
	HeaderClient01 = "MDPC01"
	HeaderWorker01 = "MDPW01"
	HeaderClient02 = "MDPC02"
	HeaderWorker02 = "MDPW02"
)

// Side says which kind of peer a header belongs to.
type Side uint8

// The two sides of the broker.
const (
	SideClient Side = 1
	SideWorker Side = 2
)

func (s Side) String() string {
	switch s {
	case SideClient:
		return "client"
	case SideWorker:
		return "worker"
	}
	return "?"
}

// Direction says which way a message travels relative to the broker. It
// matters for parsing: an MDP/0.1 client message has no command frame, so
// the same frames are a REQUEST going to the broker and a REPLY coming from
// it, and some commands are valid in one direction only.
type Direction uint8

// The two directions.
const (
	ToBroker   Direction = 1 // sent by a client or worker, received on the broker's ROUTER
	FromBroker Direction = 2 // sent by the broker, received by a client or worker
)

func (d Direction) String() string {
	switch d {
	case ToBroker:
		return "to-broker"
	case FromBroker:
		return "from-broker"
	}
	return "?"
}

// Shared, read-only header frames. ZeroMQ copies frames on send, so these
// are never written to.
var (
	headerClient01 = []byte(HeaderClient01)
	headerWorker01 = []byte(HeaderWorker01)
	headerClient02 = []byte(HeaderClient02)
	headerWorker02 = []byte(HeaderWorker02)
	emptyFrame     = []byte{}
)

func headerFrame(v Version, s Side) []byte {
	switch {
	case v == V01 && s == SideClient:
		return headerClient01
	case v == V01 && s == SideWorker:
		return headerWorker01
	case v == V02 && s == SideClient:
		return headerClient02
	case v == V02 && s == SideWorker:
		return headerWorker02
	}
	return nil
}

// parseHeader maps a header frame to its version and side; ok is false for
// anything that is not one of the four headers.
func parseHeader(b []byte) (Version, Side, bool) {
	if len(b) != 6 || string(b[:4]) != "MDPC" && string(b[:4]) != "MDPW" || b[4] != '0' {
		return 0, 0, false
	}
	var v Version
	switch b[5] {
	case '1':
		v = V01
	case '2':
		v = V02
	default:
		return 0, 0, false
	}
	if b[3] == 'C' {
		return v, SideClient, true
	}
	return v, SideWorker, true
}
