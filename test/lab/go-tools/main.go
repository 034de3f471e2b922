// Command labtools holds the lab's small static helpers, dispatched on argv[0] or
// the first argument: certs (a CA and the cluster's certificates), pause (the pod
// sandbox process), labhttpd (the workloads' HTTP server), ociimage (an OCI image
// archive from a directory), udpflood (bounded loopback UDP flows) and nodeinit (PID 1 of a lab node living in
// namespaces of its own).
package main

import (
	"fmt"
	"os"
	"path/filepath"
)

func main() {
	name := filepath.Base(os.Args[0])
	args := os.Args[1:]
	if name == "labtools" {
		if len(args) == 0 {
			fmt.Fprintln(os.Stderr, "usage: labtools certs|pause|labhttpd|ociimage|udpflood|resolve|connfill|nodeinit [flags]")
			os.Exit(2)
		}
		name, args = args[0], args[1:]
	}
	var code int
	switch name {
	case "certs":
		code = runCerts(args)
	case "pause":
		code = runPause()
	case "labhttpd":
		code = runHTTPD(args)
	case "ociimage":
		code = runOCIImage(args)
	case "connfill":
		code = runConnFill(args)
	case "resolve":
		code = runResolve(args)
	case "udpflood":
		code = runUDPFlood(args)
	case "nodeinit":
		code = runNodeInit(args)
	default:
		fmt.Fprintf(os.Stderr, "labtools: unknown command %q\n", name)
		code = 2
	}
	os.Exit(code)
}
