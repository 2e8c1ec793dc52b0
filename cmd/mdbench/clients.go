package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/majordomo-go/majordomo/internal/zsock"
	"github.com/majordomo-go/majordomo/mdp"
)

// clientStats count what the clients saw. Errors are counted over the
// whole run, warm-up included; answered and the latencies only in the
// measured window.
type clientStats struct {
	sent       uint64 // requests sent over the whole run
	replies    uint64 // replies matched over the whole run, warm-up included
	answered   uint64 // replies matched in the measured window
	malformed  uint64 // messages that are not an MDP/0.1 reply for our service
	mismatched uint64 // replies whose token or body is not one we sent
	stale      uint64 // replies to a request no longer outstanding: after its timeout, or twice
	lost       uint64 // requests unanswered after the timeout
	sendErrors uint64 // requests that could not be queued (counted lost later)
	unanswered uint64 // requests still outstanding when the run was interrupted
}

// slot is one of a client's W outstanding requests. Its index and
// generation are the token in the first bytes of the request body.
type slot struct {
	gen     uint32
	pending bool
	sent    time.Duration // since the run's base time
}

// clientSet owns every client socket: one goroutine, one readySet. Each
// client is a raw MDP/0.1 DEALER that keeps W requests outstanding; its
// index is also its id in the readySet.
type clientSet struct {
	cfg    config
	socks  []*zsock.Socket
	ready  *readySet
	slots  []slot   // client c's slots are slots[c*W : (c+1)*W]
	bodies [][]byte // one reused body buffer per client
	frames [][]byte // "" · MDPC01 · service · body
	base   time.Time

	sending, measuring bool
	outstanding        int
	hist               histogram
	stats              clientStats
	progress           progress
}

func newClients(zctx *zsock.Context, cfg config) (*clientSet, error) {
	head, err := (&mdp.Message{Version: mdp.V01, Kind: mdp.ClientRequest, Service: cfg.service}).Frames()
	if err != nil {
		return nil, err
	}
	ready, err := newReadySet()
	if err != nil {
		return nil, err
	}
	cs := &clientSet{cfg: cfg, ready: ready, slots: make([]slot, cfg.clients*cfg.window),
		frames: append(head, nil), base: time.Now(),
		progress: progress{w: cfg.progress, every: cfg.progressEvery, next: cfg.progressEvery}}
	for c := 0; c < cfg.clients; c++ {
		s, err := newDealer(zctx, cfg.broker, 2*cfg.window, cfg.curveKeys)
		if err == nil {
			cs.socks = append(cs.socks, s)
			err = ready.set(c, s)
		}
		if err != nil {
			cs.close()
			return nil, err
		}
		body := make([]byte, cfg.size)
		fillPattern(body)
		cs.bodies = append(cs.bodies, body)
	}
	return cs, nil
}

// fillPattern writes the bytes that every reply must echo after the token.
func fillPattern(b []byte) {
	for i := tokenLen; i < len(b); i++ {
		b[i] = byte(i)
	}
}

func (cs *clientSet) close() {
	for c, s := range cs.socks {
		cs.ready.remove(c)
		s.Close()
	}
	cs.ready.close()
}

func (cs *clientSet) now() time.Duration { return time.Since(cs.base) }

// recvBatch bounds how many messages one socket may deliver before the
// others get their turn.
const recvBatch = 256

// run sends for warmup+duration, measuring the last duration, then waits
// up to the timeout for the replies still outstanding (those still missing
// then are lost). Cancelling ctx ends the measured window early and skips
// that wait.
func (cs *clientSet) run(ctx context.Context, cpu *cpuMeter) (measured time.Duration, err error) {
	cfg := cs.cfg
	warmupEnd := cs.now() + cfg.warmup
	end := warmupEnd + cfg.duration
	var start, drainEnd time.Duration
	cs.sending = true
	for c := range cs.socks {
		for i := 0; i < cfg.window; i++ {
			cs.send(c, i, cs.now())
		}
	}
	nextScan := cs.now() + scanInterval(cfg.timeout)
	for {
		now := cs.now()
		interrupted := ctx.Err() != nil
		if cs.sending && !cs.measuring && now >= warmupEnd && !interrupted {
			cs.measuring, start = true, now
			cpu.start()
		}
		if cs.sending && (now >= end || interrupted) {
			if !cs.measuring {
				return 0, fmt.Errorf("mdbench: interrupted before measuring: %w", ctx.Err())
			}
			cpu.stop()
			cs.measuring, cs.sending, measured = false, false, now-start
			drainEnd = now + cfg.timeout
		}
		if now >= nextScan || !cs.sending && now >= drainEnd {
			cs.expire(now)
			nextScan = now + scanInterval(cfg.timeout)
		}
		if cs.progress.due(now) {
			cs.progress.print(cs, now)
		}
		if !cs.sending && (cs.outstanding == 0 || interrupted) {
			cs.stats.unanswered = uint64(cs.outstanding)
			return measured, nil
		}
		wait := min(nextScan, now+cs.progress.until(now)) - now
		switch {
		case cs.sending && !cs.measuring:
			wait = min(wait, warmupEnd-now)
		case cs.sending:
			wait = min(wait, end-now)
		}
		ready, err := cs.ready.wait(max(wait, 0))
		if err != nil && !retryable(err) {
			return measured, fmt.Errorf("mdbench: clients: %w", err)
		}
		for _, c := range ready {
			cs.receive(c)
		}
	}
}

func scanInterval(timeout time.Duration) time.Duration {
	return min(max(timeout/10, time.Millisecond), 100*time.Millisecond)
}

// send sends slot i of client c with a new generation.
func (cs *clientSet) send(c, i int, now time.Duration) {
	s := &cs.slots[c*cs.cfg.window+i]
	s.gen++
	s.sent = now
	if !s.pending {
		s.pending = true
		cs.outstanding++
	}
	body := cs.bodies[c]
	binary.BigEndian.PutUint32(body[0:4], uint32(i))
	binary.BigEndian.PutUint32(body[4:8], s.gen)
	cs.frames[len(cs.frames)-1] = body
	cs.stats.sent++
	cs.ready.touch(c)
	if err := cs.socks[c].Send(cs.frames, zsock.DontWait); err != nil {
		cs.stats.sendErrors++ // stays pending: the timeout counts it lost and sends again
	}
}

// receive handles the replies waiting on client c's socket until there are
// none (EAGAIN) or a batch is done; then c is clean, or touched again.
// Replies are read in libzmq's buffers (RecvView): reply keeps nothing.
func (cs *clientSet) receive(c int) {
	sock := cs.socks[c]
	cs.ready.draining(c)
	defer cs.ready.draining(-1)
	for n := 0; n < recvBatch; n++ {
		frames, err := sock.RecvView(zsock.DontWait)
		if err != nil {
			return
		}
		cs.reply(c, frames)
	}
	cs.ready.draining(-1)
	cs.ready.touch(c)
}

// reply matches one message to the slot it answers, records its latency
// and, while sending, sends the slot again.
func (cs *clientSet) reply(c int, frames [][]byte) {
	now := cs.now()
	m, err := mdp.ParseDealer(frames)
	if err != nil || m.Version != mdp.V01 || m.Kind != mdp.ClientFinal || m.Service != cs.cfg.service || len(m.Body) != 1 {
		cs.stats.malformed++
		return
	}
	body := m.Body[0]
	if len(body) != cs.cfg.size || !bytes.Equal(body[tokenLen:], cs.bodies[c][tokenLen:]) {
		cs.stats.mismatched++
		return
	}
	i := int(binary.BigEndian.Uint32(body[0:4]))
	gen := binary.BigEndian.Uint32(body[4:8])
	if i >= cs.cfg.window {
		cs.stats.mismatched++
		return
	}
	s := &cs.slots[c*cs.cfg.window+i]
	switch {
	case s.pending && gen == s.gen:
	case gen-s.gen > 1<<31 || gen == s.gen: // the current generation or an older one
		cs.stats.stale++
		return
	default:
		cs.stats.mismatched++
		return
	}
	cs.stats.replies++
	if cs.measuring {
		cs.stats.answered++
		cs.hist.record(now - s.sent)
	}
	if cs.sending {
		cs.send(c, i, now)
		return
	}
	s.pending = false
	cs.outstanding--
}

// expire counts requests unanswered after the timeout as lost and, while
// sending, sends them again so that the window stays full.
func (cs *clientSet) expire(now time.Duration) {
	w := cs.cfg.window
	for k := range cs.slots {
		s := &cs.slots[k]
		if !s.pending || now-s.sent < cs.cfg.timeout {
			continue
		}
		cs.stats.lost++
		if cs.sending {
			cs.send(k/w, k%w, now)
		} else {
			s.pending = false
			cs.outstanding--
		}
	}
}
