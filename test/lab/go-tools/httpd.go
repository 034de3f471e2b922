package main

import (
	"flag"
	"fmt"
	"net/http"
	"os"
	"time"
)

// runHTTPD serves a small text page naming the pod, plus /healthz; it is the
// image of the shop/web and shop/distroless workloads (an image with no shell).
func runHTTPD(args []string) int {
	fs := flag.NewFlagSet("labhttpd", flag.ContinueOnError)
	listen := fs.String("listen", ":8080", "address to listen on")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	host, _ := os.Hostname()
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "ok") })
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(os.Stderr, "%s %s %s from %s\n", time.Now().UTC().Format(time.RFC3339), r.Method, r.URL.Path, r.RemoteAddr)
		fmt.Fprintf(w, "labhttpd %s %s %s\n", host, r.Method, r.URL.Path)
	})
	srv := &http.Server{Addr: *listen, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	fmt.Fprintln(os.Stderr, "labhttpd: listening on", *listen)
	if err := srv.ListenAndServe(); err != nil {
		fmt.Fprintln(os.Stderr, "labhttpd:", err)
		return 1
	}
	return 0
}
