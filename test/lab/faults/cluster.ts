// Cluster-wide faults: DNS, Services, a crash loop, the metrics API.
import { kubectl, kubectlJSON } from '../lab.ts'
import { IMAGES } from '../manifests.ts'
import { sliceIPs } from '../probe.ts'
import { waitFor } from '../sh.ts'
import type { Scenario } from './types.ts'

const apply = (yaml: string) => kubectl(['apply', '-f', '-'], { input: yaml })
const del = (...args: string[]) => kubectl(['delete', '--ignore-not-found', '--wait=true', '--grace-period=1', ...args])

/** The Available condition of the metrics.k8s.io APIService ("True", "False" or ""). */
export function metricsAvailable(): string {
  return kubectl(
    [
      'get',
      'apiservice',
      'v1beta1.metrics.k8s.io',
      '-o',
      'jsonpath={.status.conditions[?(@.type=="Available")].status}',
    ],
    { ok: true },
  ).stdout.trim()
}

function setMetricsSelector(app: string): void {
  kubectl([
    'patch',
    'service',
    'metrics-server',
    '-n',
    'kube-system',
    '--type=merge',
    '-p',
    JSON.stringify({ spec: { selector: { 'k8s-app': app } } }),
  ])
}

const crasher = `apiVersion: apps/v1
kind: Deployment
metadata: {name: crasher, namespace: shop, labels: {app: crasher}}
spec:
  replicas: 1
  selector: {matchLabels: {app: crasher}}
  template:
    metadata: {labels: {app: crasher}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: app
        image: ${IMAGES.busybox}
        imagePullPolicy: Never
        command: ["sh", "-c", "echo 'loading config from /etc/crasher/config.yaml'; echo 'fatal: open /etc/crasher/config.yaml: no such file or directory' >&2; exit 3"]
`

const ndotsPod = `apiVersion: v1
kind: Pod
metadata: {name: dns-ndots, namespace: shop, labels: {app: dns-ndots}}
spec:
  terminationGracePeriodSeconds: 1
  dnsConfig:
    options: [{name: ndots, value: "5"}]
    searches: [lab.example]
  containers:
  - name: resolver
    image: ${IMAGES.busybox}
    imagePullPolicy: Never
    command: ["sh", "-c", "resolve -count 60 -interval 5s external.lab.example api.partner.example; echo 'resolver: done'; trap 'exit 0' TERM; while :; do sleep 3600 & wait; done"]
`

const svcYaml = (name: string, selector: string, targetPort: number | string) => `apiVersion: v1
kind: Service
metadata: {name: ${name}, namespace: shop, labels: {kinspect.dev/scenario: "true"}}
spec:
  selector: {app: ${selector}}
  ports: [{name: http, port: 80, targetPort: ${targetPort}}]
`

/** Faults that are about the cluster, not one node. */
export const CLUSTER_FAULTS: Scenario[] = [
  {
    name: 'dns-down',
    breaks: 'CoreDNS scaled to 0: the kube-dns Service has no endpoints, every lookup times out',
    async on() {
      kubectl(['scale', 'deployment/coredns', '-n', 'kube-system', '--replicas=0'])
      // Terminating pods keep serving (kube-proxy falls back to them): wait until they are gone.
      await waitFor(
        'CoreDNS pods to be gone',
        () =>
          kubectl(['get', 'pods', '-n', 'kube-system', '-l', 'k8s-app=kube-dns', '-o', 'name']).stdout.trim() === '',
        30_000,
      )
      await waitFor('kube-dns to have no endpoints', () => sliceIPs('kube-system', 'kube-dns').length === 0, 30_000)
    },
    async off() {
      kubectl(['scale', 'deployment/coredns', '-n', 'kube-system', '--replicas=2'])
      await waitFor('2 kube-dns endpoints', () => sliceIPs('kube-system', 'kube-dns').length >= 2, 60_000)
    },
  },
  {
    name: 'dns-ndots',
    breaks: 'shop/dns-ndots (ndots:5) resolves external-looking names: each walks the search list through NXDOMAINs',
    async on() {
      apply(ndotsPod)
      await waitFor(
        'shop/dns-ndots to run',
        () =>
          kubectl(['get', 'pod', 'dns-ndots', '-n', 'shop', '-o', 'jsonpath={.status.phase}'], { ok: true }).stdout ===
          'Running',
        30_000,
      )
    },
    async off() {
      del('pod', 'dns-ndots', '-n', 'shop')
    },
  },
  {
    name: 'svc-no-endpoints',
    breaks: 'Service shop/orders selects app=orders, which no pod has: no endpoints, connections are rejected',
    async on() {
      apply(svcYaml('orders', 'orders', 8080))
    },
    async off() {
      del('service', 'orders', '-n', 'shop')
    },
  },
  {
    name: 'svc-targetport',
    breaks: 'Service shop/web-badport sends port 80 to targetPort 9090, where nothing listens (web listens on 8080)',
    async on() {
      apply(svcYaml('web-badport', 'web', 9090))
    },
    async off() {
      del('service', 'web-badport', '-n', 'shop')
    },
  },
  {
    name: 'crashloop',
    breaks:
      'Deployment shop/crasher exits 3 at start: CrashLoopBackOff, Last State Terminated (Error), restarts rising',
    async on() {
      apply(crasher)
      await waitFor(
        'shop/crasher to restart',
        () => {
          const pods = kubectlJSON(['get', 'pods', '-n', 'shop', '-l', 'app=crasher']).items as any[]
          return pods.some((p) => (p.status.containerStatuses?.[0]?.restartCount ?? 0) >= 1)
        },
        60_000,
        1000,
      )
    },
    async off() {
      del('deployment', 'crasher', '-n', 'shop')
      await waitFor(
        'crasher pods gone',
        () =>
          kubectl(['get', 'pods', '-n', 'shop', '-l', 'app=crasher', '-o', 'name'], { ok: true }).stdout.trim() === '',
        30_000,
      )
    },
  },
  {
    name: 'metrics-unavailable',
    breaks:
      'the metrics-server Service selects no pod (a bad edit): the metrics.k8s.io APIService is unavailable (MissingEndpoints), kubectl top fails',
    async on() {
      setMetricsSelector('kinspect-lab-nothing')
      await waitFor('the metrics APIService to be unavailable', () => metricsAvailable() === 'False', 30_000, 500)
      await waitFor(
        'kubectl top to fail',
        () => kubectl(['top', 'node', 'lab-1'], { ok: true }).code !== 0,
        30_000,
        500,
      )
    },
    async off() {
      setMetricsSelector('metrics-server')
      await waitFor('the metrics APIService to be available', () => metricsAvailable() === 'True', 30_000, 500)
      await waitFor(
        'node metrics to be served',
        () => kubectl(['top', 'node', 'lab-1'], { ok: true }).code === 0,
        30_000,
        500,
      )
    },
  },
]
