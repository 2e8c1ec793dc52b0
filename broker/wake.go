package broker

import (
	"fmt"
	"syscall"
)

// wakePipe is how other goroutines wake the loop: the loop polls its read
// end beside the socket, the waker goroutine writes a byte. Both ends are
// non-blocking.
type wakePipe struct {
	r, w int
}

func newWakePipe() (*wakePipe, error) {
	var fds [2]int
	syscall.ForkLock.RLock()
	err := syscall.Pipe(fds[:])
	if err == nil {
		syscall.CloseOnExec(fds[0])
		syscall.CloseOnExec(fds[1])
	}
	syscall.ForkLock.RUnlock()
	if err != nil {
		return nil, fmt.Errorf("broker: wake-up pipe: %w", err)
	}
	p := &wakePipe{r: fds[0], w: fds[1]}
	for _, fd := range fds {
		if err := syscall.SetNonblock(fd, true); err != nil {
			p.close()
			return nil, fmt.Errorf("broker: wake-up pipe: %w", err)
		}
	}
	return p, nil
}

// poke wakes the loop; a full pipe has woken it already.
func (p *wakePipe) poke() { syscall.Write(p.w, []byte{0}) }

// drain empties the pipe after a wake-up.
func (p *wakePipe) drain() {
	var buf [64]byte
	for {
		if n, err := syscall.Read(p.r, buf[:]); n <= 0 || err != nil {
			return
		}
	}
}

func (p *wakePipe) close() {
	syscall.Close(p.r)
	syscall.Close(p.w)
}
