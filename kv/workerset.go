package kv

import (
	"context"
	"sync"

	"github.com/majordomo-go/majordomo/workers"
	"go.uber.org/zap"
)

// maxMessage bounds a request or reply body: the largest put or cas, or
// the largest scan reply, with room for the small frames.
const maxMessage = 2*MaxValueSize + MaxScanBytes + 64<<10

// workerSet is the SDK workers of some services, one per service and
// broker, run until stop.
type workerSet struct {
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// startWorkers registers h for each service with every broker, in the
// broker's tier.
func (n *Node) startWorkers(services []string, tier func(ep string) int, h workers.HandlerFunc, concurrency int, extra ...workers.Option) *workerSet {
	ctx, cancel := context.WithCancel(n.ctx)
	ws := &workerSet{cancel: cancel}
	for _, svc := range services {
		for _, ep := range n.cfg.Brokers {
			opts := append([]workers.Option{
				workers.WithConcurrency(concurrency),
				workers.WithTier(tier(ep)),
				workers.WithHeartbeat(n.cfg.WorkerHeartbeat),
				workers.WithDrainTimeout(n.cfg.DrainTimeout),
				workers.WithMaxMessageSize(maxMessage),
				workers.WithLogger(n.log.Named("worker").With(zap.String("service", svc))),
			}, extra...)
			opts = append(opts, n.cfg.workerCurve()...)
			w, err := workers.New([]string{ep}, svc, opts...)
			if err != nil { // the config was validated: only a bad endpoint gets here
				n.log.Error("kv: cannot make a worker", zap.String("service", svc), zap.String("broker", ep), zap.Error(err))
				continue
			}
			ws.wg.Add(1)
			go func() {
				defer ws.wg.Done()
				if err := w.Run(ctx, n.instrument(h)); err != nil {
					n.log.Warn("kv: worker stopped", zap.String("service", svc), zap.Error(err))
				}
			}()
		}
	}
	return ws
}

// stop drains the workers (each answers what it has in flight, then sends
// DISCONNECT) and waits for them.
func (ws *workerSet) stop() {
	ws.cancel()
	ws.wg.Wait()
}
