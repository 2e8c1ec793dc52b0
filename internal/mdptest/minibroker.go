package mdptest

import (
	"sync"
	"testing"
	"time"

	zmq "github.com/pebbe/zmq4"

	"github.com/majordomo-go/majordomo/mdp"
)

// MiniConfig says what a MiniBroker does beyond logging what it gets.
type MiniConfig struct {
	Endpoint  string        // "" for an ephemeral loopback port
	Heartbeat time.Duration // how often registered workers get a HEARTBEAT; 0: never
	Route     bool          // serve client requests (else they are only logged)
	DupFinal  bool          // send each FINAL and ERROR to the client twice (the second is stale)
	Goodbye   bool          // tell every registered worker DISCONNECT on Stop
}

// MiniBroker is a small broker on a ROUTER socket that does what a test
// needs to see and to inject. It logs every message it receives, and
// heartbeats the workers that registered. With Route it serves clients:
// plain MDP/0.1 and MDP/0.2 and the extension on either side (requests go
// to a waiting worker of their service, one at a time per worker; replies
// go back in the client's form; a busy worker that leaves has its request
// given to the next); extension requests are de-duplicated by UUID with a
// reply cache; it answers mmi.service and mmi.services itself, "xerror.NNN"
// with status NNN, and a fail-fast request for a service without workers
// with 404. A READY from a registered worker is answered with DISCONNECT,
// as a reply from an unknown one is.
//
// Its socket belongs to its goroutine; the test reaches it through the
// methods, which are safe for concurrent use.
type MiniBroker struct {
	Endpoint string // port resolved

	t    testing.TB
	cfg  MiniConfig
	cmds chan func(*miniState)
	quit chan struct{}
	done chan struct{}

	mu       sync.Mutex
	log      []Logged
	lastSent map[string]time.Time // by identity: when the broker last sent it anything
	silent   bool
	refuse   bool
}

// Logged is a message the broker received.
type Logged struct {
	From string      // the sender's routing identity
	Msg  mdp.Message // as mdp.ParseRouter parsed it
	At   time.Time
}

// StartMini runs a MiniBroker until the test ends (or Stop), binding its
// endpoint as BindRouter does.
func StartMini(t testing.TB, cfg MiniConfig) *MiniBroker {
	t.Helper()
	sock := BindRouter(t, cfg.Endpoint)
	ep, err := sock.GetLastEndpoint()
	if err != nil {
		sock.Close()
		t.Fatal(err)
	}
	b := &MiniBroker{Endpoint: ep, t: t, cfg: cfg, cmds: make(chan func(*miniState), 64),
		quit: make(chan struct{}), done: make(chan struct{}), lastSent: map[string]time.Time{}}
	go b.loop(newMiniState(b, sock))
	t.Cleanup(b.Stop)
	return b
}

// Stop stops the broker and waits for its goroutine. It may be called more
// than once.
func (b *MiniBroker) Stop() {
	select {
	case <-b.quit:
	default:
		close(b.quit)
	}
	<-b.done
}

func (b *MiniBroker) loop(s *miniState) {
	defer close(b.done)
	defer s.sock.Close()
	poller := zmq.NewPoller()
	poller.Add(s.sock, zmq.POLLIN)
	lastHB := time.Now()
	for {
		select {
		case <-b.quit:
			if b.cfg.Goodbye {
				s.goodbye()
			}
			return
		case f := <-b.cmds:
			f(s)
		default:
		}
		if b.cfg.Heartbeat > 0 && time.Since(lastHB) >= b.cfg.Heartbeat {
			lastHB = time.Now()
			if !b.isSilent() {
				s.heartbeat()
			}
		}
		if polled, err := poller.Poll(2 * time.Millisecond); err != nil || len(polled) == 0 {
			continue
		}
		frames, err := s.sock.RecvMessageBytes(zmq.DONTWAIT)
		if err != nil {
			continue
		}
		id, m, err := mdp.ParseRouter(frames)
		if err != nil {
			b.t.Logf("mini broker: dropped a malformed message: %v", err)
			continue
		}
		b.mu.Lock()
		b.log = append(b.log, Logged{From: string(id), Msg: m, At: time.Now()})
		refuse := b.refuse
		b.mu.Unlock()
		s.handle(string(id), &m, refuse)
	}
}

// Send makes the broker's goroutine send m to the peer with identity id,
// and fails the test when it cannot.
func (b *MiniBroker) Send(id string, m mdp.Message) {
	b.t.Helper()
	frames, err := m.AppendFrames([][]byte{[]byte(id)})
	if err != nil {
		b.t.Fatalf("encode %v: %v", m.Kind, err)
	}
	sent := make(chan error, 1)
	b.cmds <- func(s *miniState) { sent <- s.sendFrames(id, frames) }
	if err := <-sent; err != nil {
		b.t.Fatalf("send: %v", err)
	}
}

// Pause keeps the broker's goroutine busy for d (a broker busy elsewhere:
// it reads nothing meanwhile), returning once the pause has begun.
func (b *MiniBroker) Pause(d time.Duration) {
	begun := make(chan struct{})
	b.cmds <- func(*miniState) {
		close(begun)
		time.Sleep(d) // the pause is the behaviour under test
	}
	<-begun
}

// SetSilent stops (true) or resumes the broker's heartbeats.
func (b *MiniBroker) SetSilent(silent bool) {
	b.mu.Lock()
	b.silent = silent
	b.mu.Unlock()
}

func (b *MiniBroker) isSilent() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.silent
}

// SetRefuse makes the broker answer every READY with DISCONNECT (true).
func (b *MiniBroker) SetRefuse(refuse bool) {
	b.mu.Lock()
	b.refuse = refuse
	b.mu.Unlock()
}

func (b *MiniBroker) sentTo(id string) {
	b.mu.Lock()
	b.lastSent[id] = time.Now()
	b.mu.Unlock()
}

// LastSentTo is when the broker last sent anything to identity id (taken
// just before the send: a lower bound on when the peer got it).
func (b *MiniBroker) LastSentTo(id string) time.Time {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.lastSent[id]
}

// Messages returns the logged messages that match pred, in order.
func (b *MiniBroker) Messages(pred func(Logged) bool) []Logged {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []Logged
	for _, m := range b.log {
		if pred(m) {
			out = append(out, m)
		}
	}
	return out
}

// Wait waits for the n-th (1-based) logged message matching pred, failing
// the test after Timeout. Call it from the test's goroutine.
func (b *MiniBroker) Wait(n int, what string, pred func(Logged) bool) Logged {
	b.t.Helper()
	var got []Logged
	WaitFor(b.t, what, func() bool {
		got = b.Messages(pred)
		return len(got) >= n
	})
	return got[n-1]
}

// ClientRequests are the client requests received so far, in order.
func (b *MiniBroker) ClientRequests() []Logged { return b.Messages(IsKind(mdp.ClientRequest)) }

// IsKind matches the logged messages of kind k.
func IsKind(k mdp.Kind) func(Logged) bool {
	return func(m Logged) bool { return m.Msg.Kind == k }
}

// FromID matches the logged messages of kind k from identity id.
func FromID(id string, k mdp.Kind) func(Logged) bool {
	return func(m Logged) bool { return m.From == id && m.Msg.Kind == k }
}
