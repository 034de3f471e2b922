package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"time"
)

// runResolve looks names up with Go's stub resolver, which applies the pod's
// resolv.conf (search list, ndots) like the C library does. Bounded: -count rounds.
func runResolve(args []string) int {
	fs := flag.NewFlagSet("resolve", flag.ContinueOnError)
	count := fs.Int("count", 1, "rounds (1..10000)")
	interval := fs.Duration("interval", 2*time.Second, "pause between rounds")
	if err := fs.Parse(args); err != nil || fs.NArg() == 0 || *count < 1 || *count > 10000 {
		fmt.Fprintln(os.Stderr, "usage: resolve [-count N] [-interval D] NAME...")
		return 2
	}
	failed := 0
	for i := 0; i < *count; i++ {
		for _, name := range fs.Args() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			t0 := time.Now()
			addrs, err := net.DefaultResolver.LookupHost(ctx, name)
			cancel()
			if err != nil {
				failed++
				fmt.Printf("%s error %v (%s)\n", name, err, time.Since(t0).Round(time.Millisecond))
			} else {
				fmt.Printf("%s %v (%s)\n", name, addrs, time.Since(t0).Round(time.Millisecond))
			}
		}
		if i+1 < *count {
			time.Sleep(*interval)
		}
	}
	if failed > 0 {
		return 1
	}
	return 0
}
