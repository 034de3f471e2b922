package main

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// runOCIImage packs -rootfs into a one-layer OCI image archive named -name, which
// `ctr -n k8s.io images import` loads without any registry.
func runOCIImage(args []string) int {
	fset := flag.NewFlagSet("ociimage", flag.ContinueOnError)
	rootfs := fset.String("rootfs", "", "directory that becomes the image's filesystem")
	name := fset.String("name", "", "image reference, e.g. kinspect.local/busybox:1.35")
	entry := fset.String("entrypoint", "", "comma-separated entrypoint")
	cmd := fset.String("cmd", "", "comma-separated default command")
	out := fset.String("out", "", "output archive")
	if err := fset.Parse(args); err != nil {
		return 2
	}
	if *rootfs == "" || *name == "" || *out == "" {
		fmt.Fprintln(os.Stderr, "ociimage: -rootfs, -name and -out are required")
		return 2
	}
	if err := buildImage(*rootfs, *name, split(*entry), split(*cmd), *out); err != nil {
		fmt.Fprintln(os.Stderr, "ociimage:", err)
		return 1
	}
	return 0
}

func split(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

func digest(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

func layerTar(root string) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	epoch := time.Unix(0, 0)
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if rel == "." {
			return nil
		}
		info, err := os.Lstat(p)
		if err != nil {
			return err
		}
		link := ""
		if info.Mode()&os.ModeSymlink != 0 {
			link, _ = os.Readlink(p)
		}
		h, err := tar.FileInfoHeader(info, link)
		if err != nil {
			return err
		}
		h.Name = rel
		if info.IsDir() {
			h.Name += "/"
		}
		h.Uid, h.Gid, h.Uname, h.Gname = 0, 0, "", ""
		h.ModTime, h.AccessTime, h.ChangeTime = epoch, epoch, epoch
		h.Format = tar.FormatPAX
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if info.Mode().IsRegular() {
			f, err := os.Open(p)
			if err != nil {
				return err
			}
			defer f.Close()
			if _, err := io.Copy(tw, f); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = tw.Close()
	return buf.Bytes(), err
}

func buildImage(rootfs, name string, entry, cmd []string, out string) error {
	layer, err := layerTar(rootfs)
	if err != nil {
		return err
	}
	ld := digest(layer)
	cfg := map[string]any{
		"architecture": "amd64", "os": "linux",
		"config":  map[string]any{"Entrypoint": entry, "Cmd": cmd, "Env": []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}},
		"rootfs":  map[string]any{"type": "layers", "diff_ids": []string{"sha256:" + ld}},
		"created": "1970-01-01T00:00:00Z",
	}
	cfgB, _ := json.Marshal(cfg)
	man := map[string]any{
		"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
		"config": map[string]any{"mediaType": "application/vnd.oci.image.config.v1+json", "digest": "sha256:" + digest(cfgB), "size": len(cfgB)},
		"layers": []any{map[string]any{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": "sha256:" + ld, "size": len(layer)}},
	}
	manB, _ := json.Marshal(man)
	idx := map[string]any{
		"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
		"manifests": []any{map[string]any{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "sha256:" + digest(manB), "size": len(manB),
			"annotations": map[string]string{"io.containerd.image.name": name, "org.opencontainers.image.ref.name": name},
			"platform":    map[string]string{"architecture": "amd64", "os": "linux"}}},
	}
	idxB, _ := json.Marshal(idx)
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	defer f.Close()
	tw := tar.NewWriter(f)
	add := func(n string, b []byte) error {
		if err := tw.WriteHeader(&tar.Header{Name: n, Mode: 0o644, Size: int64(len(b)), ModTime: time.Unix(0, 0)}); err != nil {
			return err
		}
		_, err := tw.Write(b)
		return err
	}
	for _, e := range []struct {
		n string
		b []byte
	}{{"oci-layout", []byte(`{"imageLayoutVersion":"1.0.0"}`)}, {"index.json", idxB},
		{"blobs/sha256/" + ld, layer}, {"blobs/sha256/" + digest(cfgB), cfgB}, {"blobs/sha256/" + digest(manB), manB}} {
		if err := add(e.n, e.b); err != nil {
			return err
		}
	}
	return tw.Close()
}
