package mdp

// Command bytes on the wire, by header. The extension commands (0x1n) live
// under the MDP/0.2 headers only.
const (
	// MDPC02
	cmdC02Request  = 0x01
	cmdC02Partial  = 0x02
	cmdC02Final    = 0x03
	cmdC02XRequest = 0x11
	cmdC02XPartial = 0x12
	cmdC02XFinal   = 0x13
	cmdC02XError   = 0x14
	cmdC02XCancel  = 0x15

	// MDPW01
	cmdW01Ready      = 0x01
	cmdW01Request    = 0x02
	cmdW01Reply      = 0x03
	cmdW01Heartbeat  = 0x04
	cmdW01Disconnect = 0x05

	// MDPW02
	cmdW02Ready      = 0x01
	cmdW02Request    = 0x02
	cmdW02Partial    = 0x03
	cmdW02Final      = 0x04
	cmdW02Heartbeat  = 0x05
	cmdW02Disconnect = 0x06
	cmdW02XReady     = 0x11
	cmdW02XRequest   = 0x12
	cmdW02XPartial   = 0x13
	cmdW02XFinal     = 0x14
	cmdW02XError     = 0x15
	cmdW02XDrain     = 0x16
)

// command describes one wire command: what it means and which way it travels.
type command struct {
	kind Kind
	ext  bool
	dir  Direction // 0: both ways
}

var (
	commandsC02 = map[byte]command{
		cmdC02Request:  {ClientRequest, false, ToBroker},
		cmdC02Partial:  {ClientPartial, false, FromBroker},
		cmdC02Final:    {ClientFinal, false, FromBroker},
		cmdC02XRequest: {ClientRequest, true, ToBroker},
		cmdC02XPartial: {ClientPartial, true, FromBroker},
		cmdC02XFinal:   {ClientFinal, true, FromBroker},
		cmdC02XError:   {ClientError, true, FromBroker},
		cmdC02XCancel:  {ClientCancel, true, ToBroker},
	}
	commandsW01 = map[byte]command{
		cmdW01Ready:      {WorkerReady, false, ToBroker},
		cmdW01Request:    {WorkerRequest, false, FromBroker},
		cmdW01Reply:      {WorkerFinal, false, ToBroker},
		cmdW01Heartbeat:  {WorkerHeartbeat, false, 0},
		cmdW01Disconnect: {WorkerDisconnect, false, 0},
	}
	commandsW02 = map[byte]command{
		cmdW02Ready:      {WorkerReady, false, ToBroker},
		cmdW02Request:    {WorkerRequest, false, FromBroker},
		cmdW02Partial:    {WorkerPartial, false, ToBroker},
		cmdW02Final:      {WorkerFinal, false, ToBroker},
		cmdW02Heartbeat:  {WorkerHeartbeat, false, 0},
		cmdW02Disconnect: {WorkerDisconnect, false, 0},
		cmdW02XReady:     {WorkerReady, true, ToBroker},
		cmdW02XRequest:   {WorkerRequest, true, FromBroker},
		cmdW02XPartial:   {WorkerPartial, true, ToBroker},
		cmdW02XFinal:     {WorkerFinal, true, ToBroker},
		cmdW02XError:     {WorkerError, true, ToBroker},
		cmdW02XDrain:     {WorkerDrain, true, ToBroker},
	}
)

// encodeTable is the inverse of the tables above, for encoding: by version,
// kind and ext, the command byte plus one (zero: no such command).
var encodeTable = func() (t [3][WorkerDrain + 1][2]uint16) {
	fill := func(v Version, table map[byte]command) {
		for b, c := range table {
			x := 0
			if c.ext {
				x = 1
			}
			t[v][c.kind][x] = uint16(b) + 1
		}
	}
	fill(V02, commandsC02)
	fill(V01, commandsW01)
	fill(V02, commandsW02)
	return t
}()

// commandByte gives the wire command for a kind. ok is false where a version
// has no command for it (MDP/0.1 client messages have no command frame at
// all; the caller handles them).
func commandByte(v Version, k Kind, ext bool) (byte, bool) {
	if v != V01 && v != V02 || k > WorkerDrain {
		return 0, false
	}
	x := 0
	if ext {
		x = 1
	}
	c := encodeTable[v][k][x]
	return byte(c - 1), c != 0
}

// commandFrames holds one shared single-byte frame per command value, so
// encoding allocates no command frames.
var commandFrames = func() [256][]byte {
	var t [256][]byte
	for i := range t {
		t[i] = []byte{byte(i)}
	}
	return t
}()
