// Fault scenarios: each a real break, reversible and idempotent (`lab scenario NAME on|off`).
import fs from 'node:fs'
import path from 'node:path'
import { LAB_DIR, NET, NODE, RUN_DIR } from './layout.ts'
import { bin } from './build.ts'
import { running, start, stop } from './components.ts'
import { kubectl, kubectlJSON, waitHealthy } from './lab.ts'
import { IMAGES } from './manifests.ts'
import { alivePid, run, startDaemon, stopPid, waitFor, progress } from './sh.ts'

/** A reversible fault. */
export interface Scenario {
  name: string
  breaks: string
  on(): Promise<void>
  off(): Promise<void>
}

const FILL_PID = path.join(RUN_DIR, 'connfill.pid')
const apply = (yaml: string) => kubectl(['apply', '-f', '-'], { input: yaml })
const del = (...args: string[]) => kubectl(['delete', '--ignore-not-found', '--wait=true', '--grace-period=1', ...args])
const readSys = (k: string) => fs.readFileSync(`/proc/sys/${k}`, 'utf8').trim()

function nodeReady(): string {
  return kubectl(['get', 'node', NODE, '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}'], { ok: true }).stdout.trim()
}

/** The Available condition of the metrics.k8s.io APIService ("True", "False" or ""). */
export function metricsAvailable(): string {
  return kubectl(['get', 'apiservice', 'v1beta1.metrics.k8s.io', '-o', 'jsonpath={.status.conditions[?(@.type=="Available")].status}'], { ok: true }).stdout.trim()
}

function setMetricsSelector(app: string): void {
  kubectl(['patch', 'service', 'metrics-server', '-n', 'kube-system', '--type=merge', '-p', JSON.stringify({ spec: { selector: { 'k8s-app': app } } })])
}

/** Pod IPs of ready endpoints in the Service's EndpointSlices. */
export function sliceIPs(ns: string, svc: string): string[] {
  const slices = kubectlJSON(['get', 'endpointslices', '-n', ns, '-l', `kubernetes.io/service-name=${svc}`]).items as any[]
  return slices.flatMap((s) => (s.endpoints ?? []).filter((e: any) => e.conditions?.ready !== false).flatMap((e: any) => e.addresses)).sort()
}

/** DNAT targets (ip) of kube-proxy's KUBE-SEP chains for ns/svc in iptables-save. */
export function iptablesEndpointIPs(ns: string, svc: string): string[] {
  const out = run(['iptables-save', '-t', 'nat']).stdout
  const re = new RegExp(`^-A KUBE-SEP-\\S+ .*--comment "?${ns}/${svc}:[^ "]*"? .*--to-destination (\\d+\\.\\d+\\.\\d+\\.\\d+):`, 'gm')
  return [...new Set([...out.matchAll(re)].map((m) => m[1]))].sort()
}

/** PID of a pod's first container process on this node, via the CRI. */
export function podPid(ns: string, pod: string): number {
  const ids = run([bin('crictl'), 'ps', '-q', '--name', '.', '--pod', podSandbox(ns, pod)]).stdout.trim().split('\n').filter(Boolean)
  if (!ids.length) throw new Error(`lab: no running container for ${ns}/${pod}`)
  return JSON.parse(run([bin('crictl'), 'inspect', ids[0]]).stdout).info.pid
}
function podSandbox(ns: string, pod: string): string {
  const id = run([bin('crictl'), 'pods', '-q', '--name', `^${pod}$`, '--namespace', `^${ns}$`, '--state', 'ready']).stdout.trim().split('\n')[0]
  if (!id) throw new Error(`lab: no ready sandbox for ${ns}/${pod}`)
  return id
}

/** Host-side veth of a pod (the interface whose ifindex is the pod eth0's iflink). */
export function hostVeth(pid: number): string {
  // Ask netlink inside the netns: /sys under `nsenter -n` still shows the host's interfaces.
  const [eth0] = JSON.parse(run(['nsenter', '-t', String(pid), '-n', 'ip', '-j', 'link', 'show', 'eth0']).stdout) as any[]
  const iflink = String(eth0?.link_index ?? '')
  const links = JSON.parse(run(['ip', '-j', 'link', 'show', 'type', 'veth']).stdout) as any[]
  const l = links.find((x) => String(x.ifindex) === iflink)
  if (!l) throw new Error(`lab: no host interface with ifindex ${iflink}`)
  return l.ifname
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

export const SCENARIOS: Scenario[] = [
  {
    name: 'dns-down',
    breaks: 'CoreDNS scaled to 0: the kube-dns Service has no endpoints, every lookup times out',
    async on() {
      kubectl(['scale', 'deployment/coredns', '-n', 'kube-system', '--replicas=0'])
      // Terminating pods keep serving (kube-proxy falls back to them): wait until they are gone.
      await waitFor('CoreDNS pods to be gone', () => kubectl(['get', 'pods', '-n', 'kube-system', '-l', 'k8s-app=kube-dns', '-o', 'name']).stdout.trim() === '', 30_000)
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
      await waitFor('shop/dns-ndots to run', () => kubectl(['get', 'pod', 'dns-ndots', '-n', 'shop', '-o', 'jsonpath={.status.phase}'], { ok: true }).stdout === 'Running', 30_000)
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
    breaks: 'Deployment shop/crasher exits 3 at start: CrashLoopBackOff, Last State Terminated (Error), restarts rising',
    async on() {
      apply(crasher)
      await waitFor('shop/crasher to restart', () => {
        const pods = kubectlJSON(['get', 'pods', '-n', 'shop', '-l', 'app=crasher']).items as any[]
        return pods.some((p) => (p.status.containerStatuses?.[0]?.restartCount ?? 0) >= 1)
      }, 60_000, 1000)
    },
    async off() {
      del('deployment', 'crasher', '-n', 'shop')
      await waitFor('crasher pods gone', () => kubectl(['get', 'pods', '-n', 'shop', '-l', 'app=crasher', '-o', 'name'], { ok: true }).stdout.trim() === '', 30_000)
    },
  },
  {
    name: 'conntrack-full',
    breaks: 'nf_conntrack_max lowered to the current count + 600, then filled with loopback TCP flows for at most 3 min: the kernel drops new connections',
    async on() {
      const drops0 = conntrackDrops()
      if (!alivePid(FILL_PID)) {
        const count = Number(readSys('net/netfilter/nf_conntrack_count'))
        fs.writeFileSync('/proc/sys/net/netfilter/nf_conntrack_max', String(count + 600))
        // The filler restores the original max itself when its time is up, so a forgotten "on" heals.
        startDaemon('connfill', [bin('connfill'), '-max', '5000', '-duration', '3m', '-probe', '1s', '-restore-max', originalConntrackMax()], FILL_PID, path.join(LAB_DIR, 'logs', 'connfill.log'))
      }
      // Done when the table is (nearly) full and the kernel is dropping now, not just historically.
      const full = () => Number(readSys('net/netfilter/nf_conntrack_count')) >= 0.95 * Number(readSys('net/netfilter/nf_conntrack_max'))
      await waitFor('a full conntrack table with rising drops', () => full() && conntrackDrops() > drops0, 30_000, 500)
    },
    async off() {
      await stopPid(FILL_PID, 3000)
      fs.writeFileSync('/proc/sys/net/netfilter/nf_conntrack_max', originalConntrackMax())
    },
  },
  {
    name: 'stale-rules',
    breaks: 'kube-proxy stopped, then a shop/web pod replaced: the node still DNATs to the old pod IP',
    async on() {
      if (running('kube-proxy')) {
        await stop('kube-proxy')
        const victim = (kubectlJSON(['get', 'pods', '-n', 'shop', '-l', 'app=web']).items as any[])[0].metadata.name
        del('pod', victim, '-n', 'shop')
      }
      await waitFor('web slices to differ from the node rules', () => {
        const ips = sliceIPs('shop', 'web')
        return ips.length >= 2 && ips.join() !== iptablesEndpointIPs('shop', 'web').join()
      }, 60_000, 1000)
    },
    async off() {
      start('kube-proxy')
      await waitFor('node rules to match the slices', () => sliceIPs('shop', 'web').join() === iptablesEndpointIPs('shop', 'web').join(), 30_000, 500)
    },
  },
  {
    name: 'node-notready',
    breaks: 'kubelet stopped: the node goes NotReady after the 16 s grace period; SSH and containers keep running',
    async on() {
      await stop('kubelet')
      await waitFor(`${NODE} NotReady`, () => nodeReady() !== 'True', 40_000, 1000)
    },
    async off() {
      start('kubelet')
      await waitFor(`${NODE} Ready`, () => nodeReady() === 'True', 60_000, 1000)
      await waitHealthy(90_000)
    },
  },
  {
    name: 'metrics-unavailable',
    breaks: 'the metrics-server Service selects no pod (a bad edit): the metrics.k8s.io APIService is unavailable (MissingEndpoints), kubectl top fails',
    async on() {
      setMetricsSelector('kinspect-lab-nothing')
      await waitFor('the metrics APIService to be unavailable', () => metricsAvailable() === 'False', 30_000, 500)
      await waitFor('kubectl top to fail', () => kubectl(['top', 'node', NODE], { ok: true }).code !== 0, 30_000, 500)
    },
    async off() {
      setMetricsSelector('metrics-server')
      await waitFor('the metrics APIService to be available', () => metricsAvailable() === 'True', 30_000, 500)
      await waitFor('node metrics to be served', () => kubectl(['top', 'node', NODE], { ok: true }).code === 0, 30_000, 500)
    },
  },
  {
    name: 'mtu-mismatch',
    breaks: `shop/client's eth0 and its host veth set to MTU 9000 while the bridge ${NET.cniBridge} is 1500`,
    async on() {
      setClientMtu(9000)
    },
    async off() {
      setClientMtu(1500)
    },
  },
]

function setClientMtu(mtu: number): void {
  const pid = podPid('shop', 'client')
  run(['nsenter', '-t', String(pid), '-n', 'ip', 'link', 'set', 'eth0', 'mtu', String(mtu)])
  run(['ip', 'link', 'set', hostVeth(pid), 'mtu', String(mtu)])
}

/** nf_conntrack_max as it was before the lab first came up (saved with the other sysctls it changes). */
export function originalConntrackMax(): string {
  const saved = path.join(LAB_DIR, 'sysctl.orig.json')
  return JSON.parse(fs.readFileSync(saved, 'utf8'))['net/netfilter/nf_conntrack_max']
}

/** The sum of the per-CPU `drop` counters in conntrack -S. */
export function conntrackDrops(): number {
  return run(['conntrack', '-S']).stdout.split('\n').reduce((n, l) => n + Number(l.match(/\bdrop=(\d+)/)?.[1] ?? 0), 0)
}

/** Turns a scenario on or off by name; unknown names list the known ones. */
export async function scenario(name: string, state: string): Promise<void> {
  const s = SCENARIOS.find((x) => x.name === name)
  if (!s) throw new Error(`lab: unknown scenario "${name}"; known: ${SCENARIOS.map((x) => x.name).join(', ')}`)
  if (state !== 'on' && state !== 'off') throw new Error(`lab: scenario state must be "on" or "off", got "${state}"`)
  const t0 = Date.now()
  await (state === 'on' ? s.on() : s.off())
  progress(`scenario ${name} ${state} in ${((Date.now() - t0) / 1000).toFixed(1)}s: ${s.breaks}`)
}
