package main

// A crictl-compatible subset (ps, pods, inspect, inspectp, info, images, version)
// speaking the CRI gRPC API. Upstream cri-tools is not served by the Go module
// proxy this machine reaches, so the lab ships this stand-in; its JSON comes
// from containerd's own CRI answers (verbose info included), in crictl's shape.

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

func criEndpoint(flagVal string) string {
	if flagVal != "" {
		return flagVal
	}
	if v := os.Getenv("CONTAINER_RUNTIME_ENDPOINT"); v != "" {
		return v
	}
	cfg := os.Getenv("CRI_CONFIG_FILE")
	if cfg == "" {
		cfg = "/etc/crictl.yaml"
	}
	if b, err := os.ReadFile(cfg); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "runtime-endpoint" {
				return strings.Trim(strings.TrimSpace(v), `"'`)
			}
		}
	}
	return "unix:///run/containerd/containerd.sock"
}

// camel turns encoding/json's snake_case keys into crictl's lowerCamelCase.
func camel(v any) any {
	switch t := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, val := range t {
			parts := strings.Split(k, "_")
			for i := 1; i < len(parts); i++ {
				if parts[i] != "" {
					r := []rune(parts[i])
					r[0] = unicode.ToUpper(r[0])
					parts[i] = string(r)
				}
			}
			out[strings.Join(parts, "")] = camel(val)
		}
		return out
	case []any:
		for i := range t {
			t[i] = camel(t[i])
		}
		return t
	}
	return v
}

func toJSONValue(x any) any {
	b, _ := json.Marshal(x)
	var v any
	json.Unmarshal(b, &v)
	return camel(v)
}

func printJSON(v any) {
	b, _ := json.MarshalIndent(v, "", "  ")
	fmt.Println(string(b))
}

// verboseInfo decodes the runtime's verbose info; a lone "info" key is unwrapped
// (as crictl does), so `crictl inspect` has .info.pid, .info.runtimeSpec, ...
func verboseInfo(info map[string]string) map[string]any {
	if v, ok := info["info"]; ok && len(info) == 1 {
		var m map[string]any
		if json.Unmarshal([]byte(v), &m) == nil {
			return m
		}
	}
	out := map[string]any{}
	for k, v := range info {
		var parsed any
		if json.Unmarshal([]byte(v), &parsed) == nil {
			out[k] = parsed
		} else {
			out[k] = v
		}
	}
	return out
}

func age(ns int64) string {
	d := time.Since(time.Unix(0, ns)).Round(time.Second)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%d seconds ago", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%d minutes ago", int(d.Minutes()))
	default:
		return fmt.Sprintf("%d hours ago", int(d.Hours()))
	}
}

func trunc(id string) string {
	if len(id) > 13 {
		return id[:13]
	}
	return id
}

func runCrictl(args []string) int {
	global := flag.NewFlagSet("crictl", flag.ContinueOnError)
	endpoint := global.String("r", "", "runtime endpoint")
	global.StringVar(endpoint, "runtime-endpoint", "", "runtime endpoint")
	timeout := global.Duration("timeout", 60*time.Second, "timeout")
	if err := global.Parse(args); err != nil {
		return 2
	}
	rest := global.Args()
	if len(rest) == 0 {
		fmt.Fprintln(os.Stderr, "usage: crictl [-r ENDPOINT] ps|pods|inspect|inspectp|info|images|rmp|version [flags]")
		return 2
	}
	ep := criEndpoint(*endpoint)
	conn, err := grpc.NewClient(ep, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		fmt.Fprintln(os.Stderr, "crictl: connect:", err)
		return 1
	}
	defer conn.Close()
	rt := runtimeapi.NewRuntimeServiceClient(conn)
	img := runtimeapi.NewImageServiceClient(conn)
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	cmd, cargs := rest[0], rest[1:]
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	output := fs.String("o", "table", "output: json or table")
	all := fs.Bool("a", false, "all containers")
	quiet := fs.Bool("q", false, "IDs only")
	podID := fs.String("pod", "", "pod sandbox ID (prefix)")
	name := fs.String("name", "", "name regexp")
	namespace := fs.String("namespace", "", "namespace regexp (pods)")
	state := fs.String("state", "", "state filter")
	if err := fs.Parse(reorder(cargs)); err != nil {
		return 2
	}
	fail := func(err error) int { fmt.Fprintln(os.Stderr, "crictl:", err); return 1 }
	switch cmd {
	case "version":
		v, err := rt.Version(ctx, &runtimeapi.VersionRequest{})
		if err != nil {
			return fail(err)
		}
		fmt.Printf("Version:  %s\nRuntimeName:  %s\nRuntimeVersion:  %s\nRuntimeApiVersion:  %s\n", v.Version, v.RuntimeName, v.RuntimeVersion, v.RuntimeApiVersion)
	case "info":
		s, err := rt.Status(ctx, &runtimeapi.StatusRequest{Verbose: true})
		if err != nil {
			return fail(err)
		}
		out := verboseInfo(s.Info)
		out["status"] = toJSONValue(s.Status)
		printJSON(out)
	case "images":
		r, err := img.ListImages(ctx, &runtimeapi.ListImagesRequest{})
		if err != nil {
			return fail(err)
		}
		if *output == "json" {
			printJSON(toJSONValue(r))
			return 0
		}
		tw := tabwriter.NewWriter(os.Stdout, 0, 8, 3, ' ', 0)
		fmt.Fprintln(tw, "IMAGE\tTAG\tIMAGE ID\tSIZE")
		for _, im := range r.Images {
			for _, t := range im.RepoTags {
				repo, tag, _ := strings.Cut(t, ":")
				fmt.Fprintf(tw, "%s\t%s\t%s\t%d\n", repo, tag, strings.TrimPrefix(im.Id, "sha256:")[:13], im.Size_)
			}
		}
		tw.Flush()
	case "pods":
		r, err := rt.ListPodSandbox(ctx, &runtimeapi.ListPodSandboxRequest{})
		if err != nil {
			return fail(err)
		}
		var items []*runtimeapi.PodSandbox
		for _, p := range r.Items {
			if !match(*name, p.Metadata.Name) || !match(*namespace, p.Metadata.Namespace) || (*state != "" && !strings.EqualFold(p.State.String(), "SANDBOX_"+*state)) {
				continue
			}
			items = append(items, p)
		}
		sort.Slice(items, func(i, j int) bool { return items[i].CreatedAt > items[j].CreatedAt })
		if *quiet {
			for _, p := range items {
				fmt.Println(p.Id)
			}
			return 0
		}
		if *output == "json" {
			printJSON(map[string]any{"items": toJSONValue(items)})
			return 0
		}
		tw := tabwriter.NewWriter(os.Stdout, 0, 8, 3, ' ', 0)
		fmt.Fprintln(tw, "POD ID\tCREATED\tSTATE\tNAME\tNAMESPACE\tATTEMPT\tRUNTIME")
		for _, p := range items {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%s\n", trunc(p.Id), age(p.CreatedAt), strings.TrimPrefix(p.State.String(), "SANDBOX_"), p.Metadata.Name, p.Metadata.Namespace, p.Metadata.Attempt, orDefault(p.RuntimeHandler, "(default)"))
		}
		tw.Flush()
	case "ps":
		filter := &runtimeapi.ContainerFilter{}
		if !*all {
			filter.State = &runtimeapi.ContainerStateValue{State: runtimeapi.ContainerState_CONTAINER_RUNNING}
		}
		r, err := rt.ListContainers(ctx, &runtimeapi.ListContainersRequest{Filter: filter})
		if err != nil {
			return fail(err)
		}
		pods, _ := rt.ListPodSandbox(ctx, &runtimeapi.ListPodSandboxRequest{})
		podName := map[string]string{}
		if pods != nil {
			for _, p := range pods.Items {
				podName[p.Id] = p.Metadata.Name
			}
		}
		var items []*runtimeapi.Container
		for _, c := range r.Containers {
			if *podID != "" && !strings.HasPrefix(c.PodSandboxId, *podID) {
				continue
			}
			if !match(*name, c.Metadata.Name) {
				continue
			}
			items = append(items, c)
		}
		sort.Slice(items, func(i, j int) bool { return items[i].CreatedAt > items[j].CreatedAt })
		if *quiet {
			for _, c := range items {
				fmt.Println(c.Id)
			}
			return 0
		}
		if *output == "json" {
			printJSON(map[string]any{"containers": toJSONValue(items)})
			return 0
		}
		tw := tabwriter.NewWriter(os.Stdout, 0, 8, 3, ' ', 0)
		fmt.Fprintln(tw, "CONTAINER\tIMAGE\tCREATED\tSTATE\tNAME\tATTEMPT\tPOD ID\tPOD")
		for _, c := range items {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n", trunc(c.Id), c.Image.GetImage(), age(c.CreatedAt), strings.TrimPrefix(c.State.String(), "CONTAINER_"), c.Metadata.Name, c.Metadata.Attempt, trunc(c.PodSandboxId), podName[c.PodSandboxId])
		}
		tw.Flush()
	case "inspect", "inspectp":
		if fs.NArg() == 0 {
			fmt.Fprintf(os.Stderr, "crictl: %s needs an ID\n", cmd)
			return 2
		}
		for _, id := range fs.Args() {
			if cmd == "inspect" {
				full, err := resolveContainer(ctx, rt, id)
				if err != nil {
					return fail(err)
				}
				s, err := rt.ContainerStatus(ctx, &runtimeapi.ContainerStatusRequest{ContainerId: full, Verbose: true})
				if err != nil {
					return fail(err)
				}
				printJSON(map[string]any{"status": toJSONValue(s.Status), "info": verboseInfo(s.Info)})
			} else {
				full, err := resolvePod(ctx, rt, id)
				if err != nil {
					return fail(err)
				}
				s, err := rt.PodSandboxStatus(ctx, &runtimeapi.PodSandboxStatusRequest{PodSandboxId: full, Verbose: true})
				if err != nil {
					return fail(err)
				}
				printJSON(map[string]any{"status": toJSONValue(s.Status), "info": verboseInfo(s.Info)})
			}
		}
	case "rmp":
		// Stops and removes pod sandboxes (all with -a); the runtime runs CNI DEL for each.
		ids := fs.Args()
		if *all {
			r, err := rt.ListPodSandbox(ctx, &runtimeapi.ListPodSandboxRequest{})
			if err != nil {
				return fail(err)
			}
			ids = nil
			for _, p := range r.Items {
				ids = append(ids, p.Id)
			}
		}
		for _, id := range ids {
			full, err := resolvePod(ctx, rt, id)
			if err != nil {
				return fail(err)
			}
			if _, err := rt.StopPodSandbox(ctx, &runtimeapi.StopPodSandboxRequest{PodSandboxId: full}); err != nil {
				return fail(err)
			}
			if _, err := rt.RemovePodSandbox(ctx, &runtimeapi.RemovePodSandboxRequest{PodSandboxId: full}); err != nil {
				return fail(err)
			}
			fmt.Println("Removed sandbox", full)
		}
	default:
		fmt.Fprintf(os.Stderr, "crictl: unknown command %q\n", cmd)
		return 2
	}
	return 0
}

// reorder moves flags before positional arguments, as urfave/cli allows.
func reorder(args []string) []string {
	var flags, pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if strings.HasPrefix(a, "-") {
			flags = append(flags, a)
			if !strings.Contains(a, "=") && i+1 < len(args) && a != "-a" && a != "-q" && a != "--all" && a != "--quiet" {
				i++
				flags = append(flags, args[i])
			}
		} else {
			pos = append(pos, a)
		}
	}
	return append(flags, pos...)
}

func match(re, s string) bool {
	if re == "" {
		return true
	}
	ok, _ := regexp.MatchString(re, s)
	return ok
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

func resolveContainer(ctx context.Context, rt runtimeapi.RuntimeServiceClient, id string) (string, error) {
	r, err := rt.ListContainers(ctx, &runtimeapi.ListContainersRequest{})
	if err != nil {
		return "", err
	}
	var hits []string
	for _, c := range r.Containers {
		if strings.HasPrefix(c.Id, id) {
			hits = append(hits, c.Id)
		}
	}
	if len(hits) != 1 {
		return "", fmt.Errorf("container %q: %d matches", id, len(hits))
	}
	return hits[0], nil
}

func resolvePod(ctx context.Context, rt runtimeapi.RuntimeServiceClient, id string) (string, error) {
	r, err := rt.ListPodSandbox(ctx, &runtimeapi.ListPodSandboxRequest{})
	if err != nil {
		return "", err
	}
	var hits []string
	for _, p := range r.Items {
		if strings.HasPrefix(p.Id, id) {
			hits = append(hits, p.Id)
		}
	}
	if len(hits) != 1 {
		return "", fmt.Errorf("pod sandbox %q: %d matches", id, len(hits))
	}
	return hits[0], nil
}
