package main

import (
	"os"
	"os/signal"
	"syscall"
)

// runPause is the pod sandbox's process: it holds the namespaces and reaps zombies.
func runPause() int {
	sig := make(chan os.Signal, 4)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM, syscall.SIGCHLD)
	for s := range sig {
		if s == syscall.SIGCHLD {
			for {
				var ws syscall.WaitStatus
				pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
				if pid <= 0 || err != nil {
					break
				}
			}
			continue
		}
		return 0
	}
	return 0
}
