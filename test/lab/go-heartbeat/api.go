package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"time"
)

func rfc3339(t time.Time) string   { return t.UTC().Format(time.RFC3339) }
func microTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000Z07:00") }

func expect(err error, code int, body []byte, what string, ok ...int) error {
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	for _, c := range ok {
		if code == c {
			return nil
		}
	}
	return fmt.Errorf("%s: HTTP %d: %s", what, code, strings.TrimSpace(string(body[:min(len(body), 300)])))
}

// apiClient is a minimal Kubernetes API client: the lab's kubeconfig, HTTP/2, at most `workers` requests at a time.
type apiClient struct {
	server           string
	http             *http.Client
	slots            chan struct{}
	requests, errors atomic.Int64
}

func newAPI(kubeconfig string, workers int) (*apiClient, error) {
	data, err := os.ReadFile(kubeconfig)
	if err != nil {
		return nil, err
	}
	// The lab's kubeconfig has one cluster and one user with embedded PEM data (configs.ts kubeconfig()).
	field := func(key string) (string, error) {
		for _, line := range strings.Split(string(data), "\n") {
			if v, ok := strings.CutPrefix(strings.TrimSpace(line), key+":"); ok {
				return strings.TrimSpace(v), nil
			}
		}
		return "", fmt.Errorf("kubeconfig %s has no %s (expected the lab's kubeconfig, with embedded certificates)", kubeconfig, key)
	}
	pem := func(key string) ([]byte, error) {
		v, err := field(key)
		if err != nil {
			return nil, err
		}
		return base64.StdEncoding.DecodeString(v)
	}
	server, err := field("server")
	if err != nil {
		return nil, err
	}
	ca, err := pem("certificate-authority-data")
	if err != nil {
		return nil, err
	}
	crt, err := pem("client-certificate-data")
	if err != nil {
		return nil, err
	}
	key, err := pem("client-key-data")
	if err != nil {
		return nil, err
	}
	pair, err := tls.X509KeyPair(crt, key)
	if err != nil {
		return nil, fmt.Errorf("kubeconfig %s: client certificate: %w", kubeconfig, err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(ca) {
		return nil, fmt.Errorf("kubeconfig %s: certificate-authority-data holds no PEM certificate", kubeconfig)
	}
	tr := &http.Transport{
		TLSClientConfig:     &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{pair}},
		ForceAttemptHTTP2:   true,
		MaxIdleConnsPerHost: workers,
	}
	return &apiClient{server: strings.TrimRight(server, "/"), http: &http.Client{Transport: tr, Timeout: 10 * time.Second}, slots: make(chan struct{}, workers)}, nil
}

func (a *apiClient) do(ctx context.Context, method, path, contentType string, body any) (int, []byte, error) {
	select {
	case a.slots <- struct{}{}:
	case <-ctx.Done():
		return 0, nil, ctx.Err()
	}
	defer func() { <-a.slots }()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.server+path, rd)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "kinspect-lab-heartbeat")
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	a.requests.Add(1)
	resp, err := a.http.Do(req)
	if err != nil {
		a.errors.Add(1)
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests {
		a.errors.Add(1)
	}
	return resp.StatusCode, b, err
}
