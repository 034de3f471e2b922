package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	coordv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

// runHeartbeat registers extra Nodes (name=address pairs) and keeps them Ready
// by renewing their Leases and Ready condition, as kwok does for fake nodes.
// These nodes run no pods (they carry a NoSchedule taint); they exist so that
// kinspect sees a cluster with many SSH-reachable nodes.
func runHeartbeat(args []string) int {
	fs := flag.NewFlagSet("heartbeat", flag.ContinueOnError)
	kubeconfig := fs.String("kubeconfig", "", "kubeconfig")
	nodesFile := fs.String("nodes", "", "file with one 'name address' per line")
	interval := fs.Duration("interval", 10*time.Second, "renew interval")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", *kubeconfig)
	if err != nil {
		fmt.Fprintln(os.Stderr, "heartbeat:", err)
		return 1
	}
	cs := kubernetes.NewForConfigOrDie(cfg)
	data, err := os.ReadFile(*nodesFile)
	if err != nil {
		fmt.Fprintln(os.Stderr, "heartbeat:", err)
		return 1
	}
	type nd struct{ name, addr string }
	var nodes []nd
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) == 2 {
			nodes = append(nodes, nd{f[0], f[1]})
		}
	}
	ctx, cancel := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer cancel()
	for {
		for _, n := range nodes {
			if err := beat(ctx, cs, n.name, n.addr); err != nil {
				fmt.Fprintln(os.Stderr, "heartbeat:", n.name, err)
			}
		}
		select {
		case <-ctx.Done():
			return 0
		case <-time.After(*interval):
		}
	}
}

func beat(ctx context.Context, cs *kubernetes.Clientset, name, addr string) error {
	now := metav1.Now()
	node, err := cs.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		node = &corev1.Node{
			ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{
				"kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "kinspect.dev/lab-role": "ssh-only"}},
			Spec: corev1.NodeSpec{Taints: []corev1.Taint{{Key: "kinspect.dev/ssh-only", Effect: corev1.TaintEffectNoSchedule}}},
		}
		node, err = cs.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{})
	}
	if err != nil {
		return err
	}
	node.Status.Addresses = []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: addr}, {Type: corev1.NodeHostName, Address: name}}
	node.Status.Capacity = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1"), corev1.ResourceMemory: resource.MustParse("1Gi"), corev1.ResourcePods: resource.MustParse("0")}
	node.Status.Allocatable = node.Status.Capacity
	node.Status.Conditions = []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue, Reason: "SSHOnlyLabNode",
		Message: "lab node kept Ready by the lab heartbeat", LastHeartbeatTime: now, LastTransitionTime: now}}
	if _, err := cs.CoreV1().Nodes().UpdateStatus(ctx, node, metav1.UpdateOptions{}); err != nil {
		return err
	}
	leases := cs.CoordinationV1().Leases("kube-node-lease")
	l, err := leases.Get(ctx, name, metav1.GetOptions{})
	holder := name
	secs := int32(40)
	mt := metav1.NewMicroTime(time.Now())
	if apierrors.IsNotFound(err) {
		_, err = leases.Create(ctx, &coordv1.Lease{ObjectMeta: metav1.ObjectMeta{Name: name},
			Spec: coordv1.LeaseSpec{HolderIdentity: &holder, LeaseDurationSeconds: &secs, RenewTime: &mt}}, metav1.CreateOptions{})
		return err
	}
	if err != nil {
		return err
	}
	l.Spec.RenewTime = &mt
	_, err = leases.Update(ctx, l, metav1.UpdateOptions{})
	return err
}
