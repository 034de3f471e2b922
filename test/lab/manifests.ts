// The lab's workloads as Kubernetes manifests (applied with kubectl).
import { NET, VERSIONS } from './layout.ts'

export const IMAGES = {
  pause: 'kinspect.local/pause:3.10',
  busybox: 'kinspect.local/busybox:1.35',
  httpd: 'kinspect.local/labhttpd:1',
  coredns: `kinspect.local/coredns:${VERSIONS.coredns}`,
  metricsServer: `kinspect.local/metrics-server:${VERSIONS.metricsServer}`,
  /** kinspect's node pod: busybox, util-linux nsenter, coreutils timeout, conntrack, dig, nft, iptables, ip. */
  nodePod: 'kinspect.local/nodepod:1',
} as const

/**
 * Pod placement across the three nodes: the replicas of `app` on distinct nodes among `nodes` (required
 * anti-affinity), as a scheduler would spread them with these rules; deterministic, so tests know where pods run.
 */
function spread(labelKey: string, app: string, nodes: string[], indent: string): string {
  return `affinity:
  nodeAffinity:
    requiredDuringSchedulingIgnoredDuringExecution:
      nodeSelectorTerms:
      - matchExpressions: [{key: kubernetes.io/hostname, operator: In, values: [${nodes.join(', ')}]}]
  podAntiAffinity:
    requiredDuringSchedulingIgnoredDuringExecution:
    - labelSelector: {matchLabels: {${labelKey}: ${app}}}
      topologyKey: kubernetes.io/hostname`
    .split('\n')
    .map((l, i) => (i === 0 ? l : indent + l))
    .join('\n')
}

/** A pod pinned to one node by nodeSelector (a bare pod cannot move: the lab deletes it first when this changes). */
const onNodeSel = (node: string) => `nodeSelector: {kubernetes.io/hostname: ${node}}`

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
  # Required anti-affinity over two nodes leaves no room for a surge pod: replace one at a time instead.
  strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 0, maxUnavailable: 1}}
  selector: {matchLabels: {k8s-app: kube-dns}}
  template:
    metadata: {labels: {k8s-app: kube-dns}}
    spec:
      # One replica on lab-1 and one on lab-2; shop/client runs on lab-3, where no CoreDNS runs.
      ${spread('k8s-app', 'kube-dns', ['lab-1', 'lab-2'], '      ')}
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
  strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 0, maxUnavailable: 1}}
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web, tier: frontend}}
    spec:
      ${spread('app', 'web', ['lab-2', 'lab-3'], '      ')}
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
kind: Service
metadata: {name: web-local, namespace: shop}
spec:
  # Local policy: outside clients reach only the endpoints on the node they hit (none on lab-1), pods and nodes reach all.
  type: NodePort
  externalTrafficPolicy: Local
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: 8080, nodePort: 30081}]
---
apiVersion: v1
kind: Pod
metadata: {name: client, namespace: shop, labels: {app: client}}
spec:
  ${onNodeSel('lab-3')}
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
  ${onNodeSel('lab-1')}
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
  ${onNodeSel('lab-1')}
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

/**
 * metrics-server behind the aggregation layer, as its upstream manifest sets it up, with two lab changes:
 * its serving cert and the CA that checks the kubelet's come from the lab's PKI (hostPath, read-only), so
 * the APIService carries a real caBundle instead of insecureSkipTLSVerify, and the kubelet's cert is verified.
 */
export function metricsServerManifest(pkiDir: string, caPEM: string): string {
  const file = (name: string, f: string) => `      - {name: ${name}, hostPath: {path: ${pkiDir}/${f}, type: File}}`
  return `apiVersion: v1
kind: ServiceAccount
metadata: {name: metrics-server, namespace: kube-system, labels: {k8s-app: metrics-server}}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: system:aggregated-metrics-reader
  labels: {k8s-app: metrics-server, rbac.authorization.k8s.io/aggregate-to-admin: "true", rbac.authorization.k8s.io/aggregate-to-edit: "true", rbac.authorization.k8s.io/aggregate-to-view: "true"}
rules:
- apiGroups: [metrics.k8s.io]
  resources: [pods, nodes]
  verbs: [get, list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: "system:metrics-server", labels: {k8s-app: metrics-server}}
rules:
- apiGroups: [""]
  resources: [nodes/metrics]
  verbs: [get]
- apiGroups: [""]
  resources: [pods, nodes]
  verbs: [get, list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: "metrics-server-auth-reader", namespace: kube-system, labels: {k8s-app: metrics-server}}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: extension-apiserver-authentication-reader}
subjects: [{kind: ServiceAccount, name: metrics-server, namespace: kube-system}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: "metrics-server:system:auth-delegator", labels: {k8s-app: metrics-server}}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "system:auth-delegator"}
subjects: [{kind: ServiceAccount, name: metrics-server, namespace: kube-system}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: "system:metrics-server", labels: {k8s-app: metrics-server}}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "system:metrics-server"}
subjects: [{kind: ServiceAccount, name: metrics-server, namespace: kube-system}]
---
apiVersion: v1
kind: Service
metadata: {name: metrics-server, namespace: kube-system, labels: {k8s-app: metrics-server}}
spec:
  selector: {k8s-app: metrics-server}
  ports: [{name: https, port: 443, protocol: TCP, targetPort: https}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: metrics-server, namespace: kube-system, labels: {k8s-app: metrics-server}}
spec:
  replicas: 1
  selector: {matchLabels: {k8s-app: metrics-server}}
  template:
    metadata: {labels: {k8s-app: metrics-server}}
    spec:
      nodeSelector: {kubernetes.io/hostname: lab-1}
      serviceAccountName: metrics-server
      priorityClassName: system-cluster-critical
      terminationGracePeriodSeconds: 2
      containers:
      - name: metrics-server
        image: ${IMAGES.metricsServer}
        imagePullPolicy: Never
        args:
        - --secure-port=10250
        - --cert-dir=/tmp
        - --tls-cert-file=/pki/metrics-server.crt
        - --tls-private-key-file=/pki/metrics-server.key
        - --kubelet-certificate-authority=/pki/ca.crt
        - --kubelet-preferred-address-types=InternalIP
        - --kubelet-use-node-status-port
        - --metric-resolution=10s
        - --kubelet-request-timeout=5s
        ports: [{containerPort: 10250, name: https, protocol: TCP}]
        readinessProbe:
          httpGet: {path: /readyz, port: https, scheme: HTTPS}
          periodSeconds: 2
          failureThreshold: 15 # upstream tolerates 30 s of empty storage (e.g. a kubelet restart) before NotReady
        livenessProbe:
          httpGet: {path: /livez, port: https, scheme: HTTPS}
          periodSeconds: 10
        volumeMounts:
        - {name: tmp, mountPath: /tmp}
        - {name: serving-crt, mountPath: /pki/metrics-server.crt, readOnly: true}
        - {name: serving-key, mountPath: /pki/metrics-server.key, readOnly: true}
        - {name: ca, mountPath: /pki/ca.crt, readOnly: true}
      volumes:
      - {name: tmp, emptyDir: {}}
${file('serving-crt', 'metrics-server.crt')}
${file('serving-key', 'metrics-server.key')}
${file('ca', 'ca.crt')}
---
apiVersion: apiregistration.k8s.io/v1
kind: APIService
metadata: {name: v1beta1.metrics.k8s.io, labels: {k8s-app: metrics-server}}
spec:
  service: {name: metrics-server, namespace: kube-system, port: 443}
  group: metrics.k8s.io
  version: v1beta1
  caBundle: ${Buffer.from(caPEM).toString('base64')}
  groupPriorityMinimum: 100
  versionPriority: 100
`
}
