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

// runUDPFlood sends one datagram from each of many source sockets to loopback,
// each making a new conntrack entry, and re-sends every interval to keep them
// alive. It is bounded by -flows and -duration and only targets 127.0.0.0/8.
func runUDPFlood(args []string) int {
	fs := flag.NewFlagSet("udpflood", flag.ContinueOnError)
	dst := fs.String("dst", "127.0.0.1", "loopback destination")
	port := fs.Int("port", 9, "destination port (discard)")
	flows := fs.Int("flows", 2000, "number of flows (source ports)")
	duration := fs.Duration("duration", 5*time.Minute, "stop after this long")
	interval := fs.Duration("interval", 10*time.Second, "refresh interval")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	ip := net.ParseIP(*dst)
	if ip == nil || !ip.IsLoopback() {
		fmt.Fprintln(os.Stderr, "udpflood: -dst must be a loopback address, got", *dst)
		return 2
	}
	if *flows < 1 || *flows > 100000 {
		fmt.Fprintln(os.Stderr, "udpflood: -flows must be 1..100000")
		return 2
	}
	conns := make([]*net.UDPConn, 0, *flows)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	raddr := &net.UDPAddr{IP: ip, Port: *port}
	for i := 0; i < *flows; i++ {
		c, err := net.DialUDP("udp4", nil, raddr)
		if err != nil {
			fmt.Fprintln(os.Stderr, "udpflood:", err)
			break
		}
		conns = append(conns, c)
	}
	deadline := time.After(*duration)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	for {
		for _, c := range conns {
			c.Write([]byte("kinspect-lab"))
		}
		fmt.Fprintf(os.Stderr, "udpflood: refreshed %d flows\n", len(conns))
		select {
		case <-deadline:
			return 0
		case <-sig:
			return 0
		case <-time.After(*interval):
		}
	}
}
