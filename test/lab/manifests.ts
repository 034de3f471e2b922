// The lab's workloads as Kubernetes manifests (applied with kubectl).
import { NET, VERSIONS } from './layout.ts'

export const IMAGES = {
  pause: 'kinspect.local/pause:3.10',
  busybox: 'kinspect.local/busybox:1.35',
  httpd: 'kinspect.local/labhttpd:1',
  coredns: `kinspect.local/coredns:${VERSIONS.coredns}`,
} as const

/** CoreDNS: RBAC, Corefile (no forwarder: names outside the cluster get NXDOMAIN), 2 replicas, kube-dns Service. */
export function corednsManifest(): string {
  return `apiVersion: v1
kind: ServiceAccount
metadata: {name: coredns, namespace: kube-system}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: "system:coredns"}
rules:
- apiGroups: [""]
  resources: [endpoints, services, pods, namespaces]
  verbs: [list, watch]
- apiGroups: [discovery.k8s.io]
  resources: [endpointslices]
  verbs: [list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: "system:coredns"}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "system:coredns"}
subjects: [{kind: ServiceAccount, name: coredns, namespace: kube-system}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: coredns, namespace: kube-system}
data:
  Corefile: |
    .:53 {
        errors
        log . "{remote}:{port} {type} {name} {rcode} {duration}"
        health {
            lameduck 2s
        }
        ready
        kubernetes cluster.local in-addr.arpa ip6.arpa {
            pods insecure
            fallthrough in-addr.arpa ip6.arpa
            ttl 30
        }
        hosts {
            127.0.0.1 external.lab.example
            fallthrough
        }
        template ANY ANY {
            rcode NXDOMAIN
        }
        prometheus :9153
        cache 5
        loadbalance
        reload 5s
    }
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: coredns
  namespace: kube-system
  labels: {k8s-app: kube-dns}
spec:
  replicas: 2
  selector: {matchLabels: {k8s-app: kube-dns}}
  template:
    metadata: {labels: {k8s-app: kube-dns}}
    spec:
      serviceAccountName: coredns
      dnsPolicy: Default
      priorityClassName: system-cluster-critical
      terminationGracePeriodSeconds: 5
      containers:
      - name: coredns
        image: ${IMAGES.coredns}
        imagePullPolicy: Never
        args: ["-conf", "/etc/coredns/Corefile"]
        ports:
        - {containerPort: 53, name: dns, protocol: UDP}
        - {containerPort: 53, name: dns-tcp, protocol: TCP}
        - {containerPort: 9153, name: metrics, protocol: TCP}
        securityContext:
          capabilities: {add: [NET_BIND_SERVICE]}
        volumeMounts: [{name: config, mountPath: /etc/coredns, readOnly: true}]
        livenessProbe:
          httpGet: {path: /health, port: 8080}
          initialDelaySeconds: 10
          periodSeconds: 10
        readinessProbe:
          httpGet: {path: /ready, port: 8181}
          periodSeconds: 2
      volumes:
      - name: config
        configMap: {name: coredns, items: [{key: Corefile, path: Corefile}]}
---
apiVersion: v1
kind: Service
metadata:
  name: kube-dns
  namespace: kube-system
  labels: {k8s-app: kube-dns}
spec:
  clusterIP: ${NET.dnsIP}
  selector: {k8s-app: kube-dns}
  ports:
  - {name: dns, port: 53, protocol: UDP, targetPort: 53}
  - {name: dns-tcp, port: 53, protocol: TCP, targetPort: 53}
  - {name: metrics, port: 9153, protocol: TCP, targetPort: 9153}
`
}

/** The shop namespace: web (2 replicas, ClusterIP + NodePort), client (shell), distroless (no shell), ndots. */
export function shopManifest(): string {
  const sleeper = `["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 3600 & wait; done"]`
  return `apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop, labels: {app: web}}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web, tier: frontend}}
    spec:
      terminationGracePeriodSeconds: 2
      containers:
      - name: web
        image: ${IMAGES.httpd}
        imagePullPolicy: Never
        args: ["-listen", ":8080"]
        ports: [{containerPort: 8080, name: http}]
        readinessProbe:
          httpGet: {path: /healthz, port: http}
          periodSeconds: 2
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: http}]
---
apiVersion: v1
kind: Service
metadata: {name: web-nodeport, namespace: shop}
spec:
  type: NodePort
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: 8080, nodePort: 30080}]
---
apiVersion: v1
kind: Pod
metadata: {name: client, namespace: shop, labels: {app: client}}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: client
    image: ${IMAGES.busybox}
    imagePullPolicy: Never
    command: ${sleeper}
---
apiVersion: v1
kind: Pod
metadata: {name: distroless, namespace: shop, labels: {app: distroless}}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: app
    image: ${IMAGES.httpd}
    imagePullPolicy: Never
    args: ["-listen", ":8080"]
    ports: [{containerPort: 8080, name: http}]
---
apiVersion: v1
kind: Pod
metadata: {name: ndots, namespace: shop, labels: {app: ndots}}
spec:
  terminationGracePeriodSeconds: 1
  dnsConfig:
    options: [{name: ndots, value: "5"}, {name: timeout, value: "2"}]
    searches: [lab.example]
  containers:
  - name: shell
    image: ${IMAGES.busybox}
    imagePullPolicy: Never
    command: ${sleeper}
`
}
