package main

import (
	"context"
	"fmt"
	"os"
	"sync"
	"syscall"
	"time"
)

// statsLoop logs, every interval, what the heartbeat cost and how late renewals were.
func (h *heartbeat) statsLoop(ctx context.Context, nodes int, every, renew time.Duration) {
	lastReq, lastErr, lastCPU, last := int64(0), int64(0), cpuTime(), time.Now()
	for sleepCtx(ctx, every) {
		req, errs, cpu, now := h.api.requests.Load(), h.api.errors.Load(), cpuTime(), time.Now()
		secs := now.Sub(last).Seconds()
		maxGap, late := h.stats.take(2 * renew)
		fmt.Fprintf(os.Stderr, "heartbeat: %d nodes; last %.0fs: %d requests (%.1f/s), %d errors, cpu %.2fs (%.1f%% of a core); longest gap between renewals %.1fs, %d gaps over %s\n",
			nodes, secs, req-lastReq, float64(req-lastReq)/secs, errs-lastErr, (cpu - lastCPU).Seconds(), 100*(cpu-lastCPU).Seconds()/secs, maxGap.Seconds(), late, 2*renew)
		lastReq, lastErr, lastCPU, last = req, errs, cpu, now
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// gapStats tracks the time between successive lease renewals of each node.
type gapStats struct {
	mu     sync.Mutex
	last   map[string]time.Time
	gaps   []time.Duration
	maxGap time.Duration
}

func newGapStats() *gapStats { return &gapStats{last: map[string]time.Time{}} }

func (g *gapStats) renewed(name string, t time.Time) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if prev, ok := g.last[name]; ok {
		g.gaps = append(g.gaps, t.Sub(prev))
	}
	g.last[name] = t
}

// take returns the longest gap since the last call and how many gaps exceeded over.
func (g *gapStats) take(over time.Duration) (time.Duration, int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	var longest time.Duration
	late := 0
	for _, d := range g.gaps {
		longest = max(longest, d)
		if d > over {
			late++
		}
	}
	g.gaps = g.gaps[:0]
	return longest, late
}
