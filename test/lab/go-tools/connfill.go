package main

import (
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// runConnFill opens established TCP connections on loopback (each one an ASSURED
// conntrack entry that early_drop cannot evict) until new ones stop getting
// through, holds them, and keeps trying a new one every -probe so the kernel
// keeps reporting "table full". Bounded by -max and -duration; loopback only.
func runConnFill(args []string) int {
	fs := flag.NewFlagSet("connfill", flag.ContinueOnError)
	max := fs.Int("max", 5000, "most connections to hold (1..60000)")
	duration := fs.Duration("duration", 5*time.Minute, "stop after this long")
	probe := fs.Duration("probe", 2*time.Second, "interval between probing connects once full")
	restoreMax := fs.String("restore-max", "", "nf_conntrack_max to write back on exit")
	if err := fs.Parse(args); err != nil || *max < 1 || *max > 60000 {
		fmt.Fprintln(os.Stderr, "usage: connfill [-max N] [-duration D] [-probe D]")
		return 2
	}
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, "connfill:", err)
		return 1
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 64)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				close(accepted)
				return
			}
			accepted <- c
		}
	}()
	var held []net.Conn
	go func() {
		for c := range accepted {
			held = append(held, c) // kept open: the server side of each held flow
		}
	}()
	addr := ln.Addr().String()
	var conns []net.Conn
	fails := 0
	for len(conns) < *max && fails < 3 {
		c, err := net.DialTimeout("tcp4", addr, 700*time.Millisecond)
		if err != nil {
			fails++
			continue
		}
		fails = 0
		conns = append(conns, c)
	}
	fmt.Fprintf(os.Stderr, "connfill: holding %d connections to %s (stopped after %d failed connects)\n", len(conns), addr, fails)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
		if *restoreMax != "" {
			if err := os.WriteFile("/proc/sys/net/netfilter/nf_conntrack_max", []byte(*restoreMax), 0o644); err != nil {
				fmt.Fprintln(os.Stderr, "connfill: restoring nf_conntrack_max:", err)
			} else {
				fmt.Fprintln(os.Stderr, "connfill: restored nf_conntrack_max to", *restoreMax)
			}
		}
	}()
	deadline := time.After(*duration)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	tick := time.NewTicker(*probe)
	defer tick.Stop()
	for {
		select {
		case <-deadline:
			return 0
		case <-sig:
			return 0
		case <-tick.C:
			// Top the table up again as other entries expire; the failing connect
			// is the drop the kernel reports ("table full, dropping packet").
			for len(conns) < *max {
				c, err := net.DialTimeout("tcp4", addr, 500*time.Millisecond)
				if err != nil {
					fmt.Fprintf(os.Stderr, "connfill: holding %d; probe connect failed: %v\n", len(conns), err)
					break
				}
				conns = append(conns, c)
			}
		}
	}
}
