package main

import (
	"context"
	"fmt"
	"io"

	"github.com/majordomo-go/majordomo/internal/zsock"
)

// run is mdbench without the process around it: it starts the workers,
// drives the clients for warmup+duration, stops everything and prints the
// result to stdout. The error is for failures to run at all; the errors
// the run counted are in the result.
func run(ctx context.Context, cfg config, stdout io.Writer) (result, error) {
	if err := cfg.validate(); err != nil {
		return result{}, err
	}
	if err := probeBroker(cfg.broker, probeTimeout); err != nil {
		return result{}, err
	}
	if cfg.sdk {
		return runSDK(ctx, cfg, stdout)
	}
	cpu := &cpuMeter{pid: cfg.brokerPID}
	if cfg.brokerPID > 0 {
		if _, err := processCPU(cfg.brokerPID); err != nil {
			return result{}, err
		}
	}
	zctx, err := zsock.NewContext()
	if err != nil {
		return result{}, fmt.Errorf("mdbench: %w", err)
	}
	// Every socket is closed before Term, which waits for the workers'
	// DISCONNECTs to leave (their linger).
	defer zctx.Term()
	stop, done := make(chan struct{}), make(chan workerStats, 1)
	workerErrors := func() uint64 { return 0 }
	if cfg.workers > 0 {
		ws, err := startWorkers(zctx, cfg)
		if err != nil {
			return result{}, err
		}
		workerErrors = ws.errs.Load
		go func() { done <- ws.run(stop) }()
	} else {
		done <- workerStats{}
	}
	stopWorkers := func() workerStats {
		close(stop)
		return <-done
	}
	cs, err := newClients(zctx, cfg)
	if err != nil {
		stopWorkers()
		return result{}, err
	}
	cs.progress.workerErrors = workerErrors
	measured, err := cs.run(ctx, cpu)
	cs.close()
	wstats := stopWorkers()
	if err != nil {
		return result{}, err
	}
	if wstats.err != nil {
		return result{}, wstats.err
	}
	if cpu.err != nil {
		return result{}, cpu.err
	}
	r := newResult(cfg, measured, cs, wstats, cpu)
	if err := r.print(stdout, cfg.json); err != nil {
		return r, fmt.Errorf("mdbench: %w", err)
	}
	return r, nil
}
