package main

// nodeinit is PID 1 of a lab node that lives in namespaces of its own (lab-2, lab-3). The lab starts it as
//
//	unshare --net --pid --mount --uts --ipc --fork --propagation private -- labtools nodeinit -hostname lab-2 -dir D
//
// and enters its namespaces (nsenter -t PID -m -u -i -n -p) to start the node's containerd, kubelet, kube-proxy and
// sshd. Inside the new mount namespace it gives the node what a separate machine would have of its own: /proc for its
// PID namespace, /sys for its network namespace (the cgroup mounts kept), an empty /run/netns, and node-local
// /var/lib/cni, /var/log/pods, /var/log/containers and /etc/crictl.yaml bound from D. It reaps orphans (it is their
// init), and on SIGTERM ends every process of the node, then exits (the kernel kills what is left).

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"
)

func runNodeInit(args []string) int {
	fs := flag.NewFlagSet("nodeinit", flag.ContinueOnError)
	hostname := fs.String("hostname", "", "the node's host name")
	dir := fs.String("dir", "", "the node's state directory (node-local binds come from here)")
	ready := fs.String("ready", "", "file written once the node's mounts are in place")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *hostname == "" || *dir == "" {
		fmt.Fprintln(os.Stderr, "nodeinit: -hostname and -dir are required")
		return 2
	}
	if os.Getpid() != 1 {
		fmt.Fprintln(os.Stderr, "nodeinit: must be PID 1 of a new PID namespace (start it under unshare --pid --fork)")
		return 2
	}
	if err := setupNode(*hostname, *dir); err != nil {
		fmt.Fprintln(os.Stderr, "nodeinit:", err)
		return 1
	}
	if *ready != "" {
		if err := os.WriteFile(*ready, []byte(fmt.Sprintf("%s ready\n", *hostname)), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "nodeinit:", err)
			return 1
		}
	}
	fmt.Fprintf(os.Stderr, "nodeinit: %s is up\n", *hostname)
	return reapUntilTerm()
}

func setupNode(hostname, dir string) error {
	if err := syscall.Sethostname([]byte(hostname)); err != nil {
		return fmt.Errorf("sethostname: %w", err)
	}
	// Nothing this node mounts may reach the host's mount namespace.
	if err := syscall.Mount("", "/", "", syscall.MS_REC|syscall.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("make / rprivate: %w", err)
	}
	if err := syscall.Mount("proc", "/proc", "proc", syscall.MS_NOSUID|syscall.MS_NODEV|syscall.MS_NOEXEC, ""); err != nil {
		return fmt.Errorf("mount /proc: %w", err)
	}
	// A sysfs of this network namespace (so /sys/class/net lists the node's interfaces), with the cgroup tree kept.
	hold := filepath.Join(dir, "cgroup-hold")
	if err := os.MkdirAll(hold, 0o755); err != nil {
		return err
	}
	if err := syscall.Mount("/sys/fs/cgroup", hold, "", syscall.MS_BIND|syscall.MS_REC, ""); err != nil {
		return fmt.Errorf("hold /sys/fs/cgroup: %w", err)
	}
	if err := syscall.Mount("sysfs", "/sys", "sysfs", syscall.MS_NOSUID|syscall.MS_NODEV|syscall.MS_NOEXEC, ""); err != nil {
		return fmt.Errorf("mount /sys: %w", err)
	}
	if err := syscall.Mount(hold, "/sys/fs/cgroup", "", syscall.MS_MOVE, ""); err != nil {
		return fmt.Errorf("move the cgroup tree back under /sys: %w", err)
	}
	if err := os.MkdirAll("/run/netns", 0o755); err != nil {
		return err
	}
	if err := syscall.Mount("tmpfs", "/run/netns", "tmpfs", syscall.MS_NOSUID|syscall.MS_NODEV, "mode=755,size=1m"); err != nil {
		return fmt.Errorf("mount /run/netns: %w", err)
	}
	binds := [][2]string{
		{"cni-state", "/var/lib/cni"},
		{"pod-logs", "/var/log/pods"},
		{"container-logs", "/var/log/containers"},
	}
	for _, b := range binds {
		src := filepath.Join(dir, b[0])
		if err := os.MkdirAll(src, 0o755); err != nil {
			return err
		}
		if err := os.MkdirAll(b[1], 0o755); err != nil {
			return err
		}
		if err := syscall.Mount(src, b[1], "", syscall.MS_BIND, ""); err != nil {
			return fmt.Errorf("bind %s on %s: %w", src, b[1], err)
		}
	}
	crictl := filepath.Join(dir, "crictl.yaml")
	if _, err := os.Stat(crictl); err == nil {
		if _, err := os.Stat("/etc/crictl.yaml"); err != nil {
			if f, err := os.OpenFile("/etc/crictl.yaml", os.O_CREATE|os.O_WRONLY, 0o644); err == nil {
				f.Close()
			}
		}
		if err := syscall.Mount(crictl, "/etc/crictl.yaml", "", syscall.MS_BIND, ""); err != nil {
			return fmt.Errorf("bind %s on /etc/crictl.yaml: %w", crictl, err)
		}
	}
	return nil
}

// reapUntilTerm reaps every child that exits; on SIGTERM or SIGINT it signals all of the node's processes, waits up to
// 10 s for them, and returns (exiting PID 1 kills whatever is left).
func reapUntilTerm() int {
	sigs := make(chan os.Signal, 16)
	signal.Notify(sigs, syscall.SIGCHLD, syscall.SIGTERM, syscall.SIGINT)
	reap := func() int {
		n := 0
		for {
			var ws syscall.WaitStatus
			pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
			if pid <= 0 || err != nil {
				return n
			}
			n++
		}
	}
	for s := range sigs {
		if s == syscall.SIGCHLD {
			reap()
			continue
		}
		fmt.Fprintln(os.Stderr, "nodeinit: stopping the node's processes")
		syscall.Kill(-1, syscall.SIGTERM)
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) {
			reap()
			var ws syscall.WaitStatus
			if _, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil); err == syscall.ECHILD {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		return 0
	}
	return 0
}
