package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"flag"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"
)

type certSpec struct {
	name, cn string
	orgs     []string
	client   bool
	server   bool
	dns      []string
	ips      []string
	expired  bool // NotAfter in the past: a client certificate the apiserver must refuse
}

func splitList(s string) []string {
	var out []string
	for _, x := range strings.Split(s, ",") {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}

// runCerts writes a CA and the lab's certificates into -dir; files that exist are kept.
func runCerts(args []string) int {
	fs := flag.NewFlagSet("certs", flag.ContinueOnError)
	dir := fs.String("dir", "", "output directory")
	nodesFlag := fs.String("nodes", "", "nodes as name=ip,name=ip (the first is the control-plane host)")
	svcIP := fs.String("service-ip", "", "first service IP (kubernetes.default)")
	usersFlag := fs.String("users", "", "extra client identities (user names, comma-separated): user-NAME.crt/key")
	expiredFlag := fs.String("expired-users", "", "extra client identities whose certificate has already expired")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	type nodeAddr struct{ name, ip string }
	var nodes []nodeAddr
	for _, kv := range strings.Split(*nodesFlag, ",") {
		if kv = strings.TrimSpace(kv); kv == "" {
			continue
		}
		name, ip, ok := strings.Cut(kv, "=")
		if !ok || name == "" || net.ParseIP(ip) == nil {
			fmt.Fprintf(os.Stderr, "certs: -nodes: expected name=ip, got %q\n", kv)
			return 2
		}
		nodes = append(nodes, nodeAddr{name, ip})
	}
	if *dir == "" || len(nodes) == 0 || *svcIP == "" {
		fmt.Fprintln(os.Stderr, "certs: -dir, -nodes and -service-ip are required")
		return 2
	}
	node, nodeIP := &nodes[0].name, &nodes[0].ip
	if err := os.MkdirAll(*dir, 0o700); err != nil {
		fmt.Fprintln(os.Stderr, "certs:", err)
		return 1
	}
	caCert, caKey, err := loadOrMakeCA(*dir, "ca", "kinspect-lab-ca")
	if err != nil {
		fmt.Fprintln(os.Stderr, "certs:", err)
		return 1
	}
	// The aggregation layer's own CA, as kubeadm makes it: the apiserver proxies to metrics-server with a client cert from it.
	fpCert, fpKey, err := loadOrMakeCA(*dir, "front-proxy-ca", "kinspect-lab-front-proxy-ca")
	if err != nil {
		fmt.Fprintln(os.Stderr, "certs:", err)
		return 1
	}
	specs := []certSpec{
		{name: "apiserver", cn: "kube-apiserver", server: true, dns: []string{"kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local", "localhost", *node}, ips: []string{"127.0.0.1", *nodeIP, *svcIP}},
		{name: "admin", cn: "lab-admin", orgs: []string{"system:masters"}, client: true},
		{name: "controller-manager", cn: "system:kube-controller-manager", client: true},
		{name: "scheduler", cn: "system:kube-scheduler", client: true},
		{name: "kube-proxy", cn: "system:kube-proxy", client: true},
		{name: "apiserver-kubelet-client", cn: "kube-apiserver-kubelet-client", orgs: []string{"system:masters"}, client: true},
		{name: "front-proxy-client", cn: "front-proxy-client", client: true},
		{name: "metrics-server", cn: "metrics-server", server: true, dns: []string{"metrics-server.kube-system.svc", "metrics-server.kube-system.svc.cluster.local"}},
	}
	for _, n := range nodes {
		specs = append(specs,
			certSpec{name: "kubelet-client-" + n.name, cn: "system:node:" + n.name, orgs: []string{"system:nodes"}, client: true},
			certSpec{name: "kubelet-serving-" + n.name, cn: "system:node:" + n.name, orgs: []string{"system:nodes"}, server: true, dns: []string{n.name, "localhost"}, ips: []string{n.ip, "127.0.0.1"}})
	}
	for _, u := range splitList(*usersFlag) {
		specs = append(specs, certSpec{name: "user-" + u, cn: u, client: true})
	}
	for _, u := range splitList(*expiredFlag) {
		specs = append(specs, certSpec{name: "user-" + u, cn: u, client: true, expired: true})
	}
	for _, s := range specs {
		if _, err := os.Stat(filepath.Join(*dir, s.name+".crt")); err == nil {
			continue
		}
		ca, key := caCert, caKey
		if s.name == "front-proxy-client" {
			ca, key = fpCert, fpKey
		}
		if err := makeCert(*dir, s, ca, key); err != nil {
			fmt.Fprintln(os.Stderr, "certs:", s.name, err)
			return 1
		}
	}
	if _, err := os.Stat(filepath.Join(*dir, "sa.key")); err != nil {
		k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err := writeKey(filepath.Join(*dir, "sa.key"), k); err != nil {
			fmt.Fprintln(os.Stderr, "certs:", err)
			return 1
		}
		pub, _ := x509.MarshalPKIXPublicKey(&k.PublicKey)
		os.WriteFile(filepath.Join(*dir, "sa.pub"), pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub}), 0o644)
	}
	return 0
}

func serial() *big.Int {
	n, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	return n
}

func writeKey(path string, k *ecdsa.PrivateKey) error {
	der, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		return err
	}
	return os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}), 0o600)
}

// loadOrMakeCA reads NAME.crt/NAME.key from dir, or makes a new CA with common name cn.
func loadOrMakeCA(dir, name, cn string) (*x509.Certificate, *ecdsa.PrivateKey, error) {
	crtPath, keyPath := filepath.Join(dir, name+".crt"), filepath.Join(dir, name+".key")
	if crtPEM, err := os.ReadFile(crtPath); err == nil {
		keyPEM, err := os.ReadFile(keyPath)
		if err != nil {
			return nil, nil, err
		}
		cb, _ := pem.Decode(crtPEM)
		kb, _ := pem.Decode(keyPEM)
		if cb == nil || kb == nil {
			return nil, nil, fmt.Errorf("bad PEM in %s", dir)
		}
		c, err := x509.ParseCertificate(cb.Bytes)
		if err != nil {
			return nil, nil, err
		}
		k, err := x509.ParseECPrivateKey(kb.Bytes)
		return c, k, err
	}
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: serial(), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().AddDate(5, 0, 0), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		return nil, nil, err
	}
	if err := writeKey(keyPath, k); err != nil {
		return nil, nil, err
	}
	if err := os.WriteFile(crtPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		return nil, nil, err
	}
	c, err := x509.ParseCertificate(der)
	return c, k, err
}

func makeCert(dir string, s certSpec, ca *x509.Certificate, caKey *ecdsa.PrivateKey) error {
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: serial(), Subject: pkix.Name{CommonName: s.cn, Organization: s.orgs},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().AddDate(1, 0, 0),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment, DNSNames: s.dns}
	if s.expired {
		tmpl.NotBefore, tmpl.NotAfter = time.Now().AddDate(0, 0, -30), time.Now().AddDate(0, 0, -1)
	}
	if s.client {
		tmpl.ExtKeyUsage = append(tmpl.ExtKeyUsage, x509.ExtKeyUsageClientAuth)
	}
	if s.server {
		tmpl.ExtKeyUsage = append(tmpl.ExtKeyUsage, x509.ExtKeyUsageServerAuth)
	}
	for _, ip := range s.ips {
		if p := net.ParseIP(strings.TrimSpace(ip)); p != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, p)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &k.PublicKey, caKey)
	if err != nil {
		return err
	}
	if err := writeKey(filepath.Join(dir, s.name+".key"), k); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, s.name+".crt"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
}
