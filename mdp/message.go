package mdp

import (
	"time"

	"github.com/google/uuid"
)

// Kind is what a message means, independent of the version that carries it.
type Kind uint8

// The message kinds. The comment gives the direction and the wire commands
// that carry each kind (0.1 / 0.2 / extension).
const (
	KindUnknown Kind = iota

	ClientRequest // client → broker: 0.1 REQUEST / 0.2 REQUEST 0x01 / XREQUEST 0x11
	ClientPartial // broker → client: 0.2 PARTIAL 0x02 / XPARTIAL 0x12
	ClientFinal   // broker → client: 0.1 REPLY / 0.2 FINAL 0x03 / XFINAL 0x13
	ClientError   // broker → client: XERROR 0x14 (extension only)
	ClientCancel  // client → broker: XCANCEL 0x15 (extension only)

	WorkerReady      // worker → broker: READY 0x01 / 0x01 / XREADY 0x11
	WorkerRequest    // broker → worker: REQUEST 0x02 / 0x02 / XREQUEST 0x12
	WorkerPartial    // worker → broker: 0.2 PARTIAL 0x03 / XPARTIAL 0x13
	WorkerFinal      // worker → broker: 0.1 REPLY 0x03 / 0.2 FINAL 0x04 / XFINAL 0x14
	WorkerError      // worker → broker: XERROR 0x15 (extension only)
	WorkerHeartbeat  // both ways: HEARTBEAT 0x04 / 0x05
	WorkerDisconnect // both ways: DISCONNECT 0x05 / 0x06
	WorkerDrain      // worker → broker: XDRAIN 0x16 (extension only)
)

var kindNames = [...]string{
	KindUnknown:      "UNKNOWN",
	ClientRequest:    "CLIENT-REQUEST",
	ClientPartial:    "CLIENT-PARTIAL",
	ClientFinal:      "CLIENT-FINAL",
	ClientError:      "CLIENT-ERROR",
	ClientCancel:     "CLIENT-CANCEL",
	WorkerReady:      "WORKER-READY",
	WorkerRequest:    "WORKER-REQUEST",
	WorkerPartial:    "WORKER-PARTIAL",
	WorkerFinal:      "WORKER-FINAL",
	WorkerError:      "WORKER-ERROR",
	WorkerHeartbeat:  "WORKER-HEARTBEAT",
	WorkerDisconnect: "WORKER-DISCONNECT",
	WorkerDrain:      "WORKER-DRAIN",
}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "UNKNOWN"
}

// Side is the side of the broker a kind belongs to.
func (k Kind) Side() Side {
	switch {
	case k >= ClientRequest && k <= ClientCancel:
		return SideClient
	case k >= WorkerReady && k <= WorkerDrain:
		return SideWorker
	}
	return 0
}

// Flags are the bits of an extension request's flags byte.
type Flags uint8

// The defined flags. Any other bit set is a malformed extension frame.
const (
	// FlagFailFast (client → broker): answer at once with 404 when the
	// service has no worker, instead of queueing until the deadline.
	FlagFailFast Flags = 1 << 0
	// FlagClientUUID (broker → worker): the UUID came from the client and is
	// stable across its retries. Without it the broker made the UUID up for
	// a plain client, and it identifies only this delivery.
	FlagClientUUID Flags = 1 << 1

	knownFlags = FlagFailFast | FlagClientUUID
)

// Message is one MDP message of either version and either side. Which fields
// are meaningful depends on Kind (and Ext); the others are zero.
//
// A Message returned by a parse function aliases its input frames (see the
// package documentation).
type Message struct {
	Version Version
	Kind    Kind
	// Ext marks the extension form of a command (MDP/0.2 only): XREQUEST,
	// XREADY and the rest. Plain peers never send or receive it.
	Ext bool

	// Service: ClientRequest, ClientPartial, ClientFinal, ClientError,
	// ClientCancel and WorkerReady.
	Service string
	// Address: the client's address (the broker's ROUTER identity for it) in
	// WorkerRequest, WorkerPartial, WorkerFinal and WorkerError.
	Address []byte

	// UUID (Ext): the request UUID, in every request, reply, error and
	// cancel.
	UUID uuid.UUID
	// Timeout (Ext, ClientRequest and WorkerRequest): how long the request
	// may still live, at millisecond resolution; zero means "the broker's
	// default" from a client and "no deadline" to a worker.
	Timeout time.Duration
	// Flags (Ext, ClientRequest and WorkerRequest).
	Flags Flags

	// Tier, Capacity and Heartbeat (Ext, WorkerReady): the worker's priority
	// tier (1 is best), how many requests it takes at once, and the interval
	// at which it heartbeats and wants to be heartbeated (millisecond
	// resolution; zero: the broker's). The broker expires such a worker after
	// its own liveness count of the worker's interval, so that intervals
	// configured differently on the two sides never make a worker flap.
	Tier      uint8
	Capacity  uint16
	Heartbeat time.Duration

	// Mode, WorkerName, WorkerVersion and Metadata (Ext, WorkerReady): the
	// optional ready info frame. Mode is the service mode the worker asks
	// for (ModeUnset: none); the rest describe the worker to discovery
	// (mmi.workers). The frame is sent only when one of them is set.
	Mode          Mode
	WorkerName    string
	WorkerVersion string
	Metadata      map[string]string

	// Status and Text (Ext, ClientError and WorkerError): the error's code and
	// optional human-readable text.
	Status Status
	Text   string

	// Body: the request or reply body frames (requests, partials, finals).
	Body [][]byte
}
