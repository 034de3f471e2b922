// Command heartbeat registers the fan-out's SSH-only lab Nodes and keeps them Ready, as kwok does for fake nodes.
// Standard library only, and a binary of its own: changing it rebuilds neither the Kubernetes binary nor the
// labtools the nodes run.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"
)

func main() { os.Exit(runHeartbeat(os.Args[1:])) }

// runHeartbeat registers SSH-only lab Nodes and keeps them Ready the way a kubelet
// does: one Lease PATCH per node every -renew (jittered, the nodes spread over the
// interval), one status PATCH per node every -status, and a check every -check
// that repairs any node the controller marked not Ready. Every request goes
// through a pool of -workers concurrent requests on one HTTP/2 connection, so
// 100 nodes cost ~20 requests/s instead of bursts that outrun the grace period.
// These nodes run no pods (NoSchedule taint); they exist so that kinspect sees
// a cluster with many SSH-reachable nodes.
func runHeartbeat(args []string) int {
	fs := flag.NewFlagSet("heartbeat", flag.ContinueOnError)
	kubeconfig := fs.String("kubeconfig", "", "kubeconfig with embedded client certificate (the lab's)")
	nodesFile := fs.String("nodes", "", "file with one 'name address' per line")
	renew := fs.Duration("renew", 5*time.Second, "lease renew interval per node (the controller's grace period is 16s)")
	statusEvery := fs.Duration("status", time.Minute, "node status report interval per node (a kubelet's nodeStatusReportFrequency)")
	check := fs.Duration("check", 10*time.Second, "how often to list the nodes and repair any that is not Ready")
	jitter := fs.Float64("jitter", 0.2, "fraction by which each interval varies, +/-")
	workers := fs.Int("workers", 8, "concurrent API requests at most")
	leaseSeconds := fs.Int("lease-seconds", 16, "leaseDurationSeconds written on the leases")
	statsEvery := fs.Duration("stats", 30*time.Second, "how often to log requests, errors, renewal gaps and CPU")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *renew <= 0 || *statusEvery <= 0 || *check <= 0 || *workers < 1 || *jitter < 0 || *jitter >= 1 {
		fmt.Fprintln(os.Stderr, "heartbeat: -renew, -status and -check must be > 0, -workers >= 1, 0 <= -jitter < 1")
		return 2
	}
	api, err := newAPI(*kubeconfig, *workers)
	if err != nil {
		fmt.Fprintln(os.Stderr, "heartbeat:", err)
		return 1
	}
	nodes, err := readHeartbeatNodes(*nodesFile)
	if err != nil {
		fmt.Fprintln(os.Stderr, "heartbeat:", err)
		return 1
	}
	ctx, cancel := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer cancel()
	hb := &heartbeat{api: api, leaseSeconds: *leaseSeconds, stats: newGapStats()}
	jittered := func(d time.Duration) time.Duration {
		return time.Duration(float64(d) * (1 + *jitter*(2*rand.Float64()-1)))
	}
	var wg sync.WaitGroup
	for i, n := range nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Spread the nodes over one renew interval so requests arrive evenly, not in rounds.
			hb.keep(ctx, n, time.Duration(int64(*renew)*int64(i)/int64(len(nodes))), *renew, *statusEvery, jittered)
		}()
	}
	go hb.repairLoop(ctx, nodes, *check)
	go hb.statsLoop(ctx, len(nodes), *statsEvery, *renew)
	wg.Wait()
	return 0
}

// hbNode is one SSH-only node the heartbeat keeps.
type hbNode struct {
	name, addr string
	mu         sync.Mutex
	uid        string
	since      time.Time // lastTransitionTime of its Ready condition
	fix        chan struct{}
}

func readHeartbeatNodes(file string) ([]*hbNode, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var nodes []*hbNode
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) == 2 {
			nodes = append(nodes, &hbNode{name: f[0], addr: f[1], fix: make(chan struct{}, 1)})
		}
	}
	if len(nodes) == 0 {
		return nil, fmt.Errorf("%s lists no 'name address' lines", file)
	}
	return nodes, nil
}

type heartbeat struct {
	api          *apiClient
	leaseSeconds int
	stats        *gapStats
}

// keep registers one node, then renews its lease and reports its status on a jittered schedule.
func (h *heartbeat) keep(ctx context.Context, n *hbNode, offset, renew, statusEvery time.Duration, jittered func(time.Duration) time.Duration) {
	if !sleepCtx(ctx, offset) {
		return
	}
	for !h.register(ctx, n) {
		if !sleepCtx(ctx, time.Second) {
			return
		}
	}
	nextLease := time.Now().Add(jittered(renew))
	nextStatus := time.Now().Add(jittered(statusEvery))
	for {
		wake := nextLease
		if nextStatus.Before(wake) {
			wake = nextStatus
		}
		select {
		case <-ctx.Done():
			return
		case <-n.fix: // the repair loop saw it not Ready: report at once
			n.mu.Lock()
			n.since = time.Now()
			n.mu.Unlock()
			h.patchStatus(ctx, n)
			continue
		case <-time.After(time.Until(wake)):
		}
		n.mu.Lock()
		gone := n.uid == ""
		n.mu.Unlock()
		if gone { // the Node was deleted under us (a status PATCH got 404): register it again, as a kubelet would
			if !h.register(ctx, n) {
				sleepCtx(ctx, time.Second)
			}
			continue
		}
		now := time.Now()
		if !now.Before(nextStatus) {
			h.patchStatus(ctx, n)
			nextStatus = now.Add(jittered(statusEvery))
		}
		if !now.Before(nextLease) {
			if h.renewLease(ctx, n) {
				h.stats.renewed(n.name, time.Now())
				nextLease = nextLease.Add(jittered(renew))
				if nextLease.Before(now) { // fell a whole interval behind: restart the schedule from now
					nextLease = now.Add(jittered(renew))
				}
			} else {
				nextLease = now.Add(time.Second)
			}
		}
	}
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	select {
	case <-ctx.Done():
		return false
	case <-time.After(d):
		return true
	}
}

// register creates the Node (or finds it), reports its status and creates or renews its Lease.
func (h *heartbeat) register(ctx context.Context, n *hbNode) bool {
	node := map[string]any{
		"apiVersion": "v1", "kind": "Node",
		"metadata": map[string]any{"name": n.name, "labels": map[string]string{
			"kubernetes.io/hostname": n.name, "kubernetes.io/os": "linux", "kinspect.dev/lab-role": "ssh-only"}},
		"spec": map[string]any{"taints": []map[string]string{{"key": "kinspect.dev/ssh-only", "effect": "NoSchedule"}}},
	}
	code, body, err := h.api.do(ctx, "POST", "/api/v1/nodes", "application/json", node)
	if err == nil && code == http.StatusConflict {
		code, body, err = h.api.do(ctx, "GET", "/api/v1/nodes/"+n.name, "", nil)
	}
	if err = expect(err, code, body, "register node "+n.name, http.StatusOK, http.StatusCreated); err != nil {
		fmt.Fprintln(os.Stderr, "heartbeat:", err)
		return false
	}
	var got struct {
		Metadata struct{ UID string } `json:"metadata"`
	}
	json.Unmarshal(body, &got)
	n.mu.Lock()
	n.uid, n.since = got.Metadata.UID, time.Now()
	n.mu.Unlock()
	return h.patchStatus(ctx, n) && h.renewLease(ctx, n)
}

// patchStatus reports the node Ready with its address and capacity (one strategic-merge PATCH).
func (h *heartbeat) patchStatus(ctx context.Context, n *hbNode) bool {
	n.mu.Lock()
	since := n.since
	n.mu.Unlock()
	capacity := map[string]string{"cpu": "1", "memory": "1Gi", "pods": "0"}
	patch := map[string]any{"status": map[string]any{
		"addresses":   []map[string]string{{"type": "InternalIP", "address": n.addr}, {"type": "Hostname", "address": n.name}},
		"capacity":    capacity,
		"allocatable": capacity,
		"conditions": []map[string]string{{"type": "Ready", "status": "True", "reason": "SSHOnlyLabNode",
			"message": "lab node kept Ready by the lab heartbeat", "lastHeartbeatTime": rfc3339(time.Now()), "lastTransitionTime": rfc3339(since)}},
	}}
	code, body, err := h.api.do(ctx, "PATCH", "/api/v1/nodes/"+n.name+"/status", "application/strategic-merge-patch+json", patch)
	if code == http.StatusNotFound { // deleted under us: register it again on the next turn
		n.mu.Lock()
		n.uid = ""
		n.mu.Unlock()
	}
	if err = expect(err, code, body, "status of "+n.name, http.StatusOK); err != nil {
		fmt.Fprintln(os.Stderr, "heartbeat:", err)
		return false
	}
	return true
}

// renewLease moves the node's Lease renewTime to now (one merge PATCH); creates the Lease when it is missing.
func (h *heartbeat) renewLease(ctx context.Context, n *hbNode) bool {
	path := "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/" + n.name
	now := microTime(time.Now())
	code, body, err := h.api.do(ctx, "PATCH", path, "application/merge-patch+json", map[string]any{"spec": map[string]any{"renewTime": now}})
	if err == nil && code == http.StatusNotFound {
		n.mu.Lock()
		uid := n.uid
		n.mu.Unlock()
		// labelled like its Node, so the lab deletes every fan-out Lease in one request (fanout 0)
		meta := map[string]any{"name": n.name, "namespace": "kube-node-lease",
			"labels": map[string]string{"kinspect.dev/lab-role": "ssh-only"}}
		if uid != "" { // as the kubelet does: the Node owns its Lease, so deleting the Node collects it
			meta["ownerReferences"] = []map[string]string{{"apiVersion": "v1", "kind": "Node", "name": n.name, "uid": uid}}
		}
		lease := map[string]any{"apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "metadata": meta,
			"spec": map[string]any{"holderIdentity": n.name, "leaseDurationSeconds": h.leaseSeconds, "renewTime": now}}
		code, body, err = h.api.do(ctx, "POST", "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases", "application/json", lease)
	}
	if err = expect(err, code, body, "lease of "+n.name, http.StatusOK, http.StatusCreated); err != nil {
		if ctx.Err() == nil {
			fmt.Fprintln(os.Stderr, "heartbeat:", err)
		}
		return false
	}
	return true
}

// repairLoop lists the nodes every interval (one request) and has any that is missing or not Ready reported at once.
func (h *heartbeat) repairLoop(ctx context.Context, nodes []*hbNode, every time.Duration) {
	byName := map[string]*hbNode{}
	for _, n := range nodes {
		byName[n.name] = n
	}
	for sleepCtx(ctx, every) {
		code, body, err := h.api.do(ctx, "GET", "/api/v1/nodes?labelSelector="+url.QueryEscape("kinspect.dev/lab-role=ssh-only"), "", nil)
		if err = expect(err, code, body, "list nodes", http.StatusOK); err != nil {
			fmt.Fprintln(os.Stderr, "heartbeat:", err)
			continue
		}
		var list struct {
			Items []struct {
				Metadata struct{ Name string } `json:"metadata"`
				Status   struct {
					Conditions []struct{ Type, Status string } `json:"conditions"`
				} `json:"status"`
			} `json:"items"`
		}
		if json.Unmarshal(body, &list) != nil {
			continue
		}
		for _, it := range list.Items {
			n := byName[it.Metadata.Name]
			if n == nil {
				continue
			}
			ready := false
			for _, c := range it.Status.Conditions {
				ready = ready || (c.Type == "Ready" && c.Status == "True")
			}
			if !ready {
				select {
				case n.fix <- struct{}{}:
				default:
				}
			}
		}
	}
}
