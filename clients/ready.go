package clients

// What the loop waits for (internal/zready ids): its wake-up signal, each
// broker's extension socket, and the plain-mode sockets, numbered from
// firstLinkID on. The sockets are *zsock.Socket, which zready waits for
// through their ZMQ_FD (Readable, and Writable for a broker's backlog).
const (
	wakeID      = 0
	firstLinkID = 1 << 20
)

func dealerID(broker int) int { return 1 + broker }
