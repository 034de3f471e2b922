// Whether the lab is up: daemons running, nodes Ready, the expected pods Ready on their nodes; the status table.
import { LAB_DIR, NODES } from './layout.ts'
import { BASELINE_NS } from './access.ts'
import { COMPONENTS, running } from './components.ts'
import { fanoutStatus } from './fanout.ts'
import { initPid } from './nodes.ts'
import { sshIsOff } from './sshswitch.ts'
import { waitFor } from './sh.ts'
import { kubectl } from './kubectl.ts'

/** Pods that must be Ready for the lab to count as up, and the nodes they must run on. */
const EXPECTED = [
  ['kube-system', 'k8s-app=kube-dns', 2, ['lab-1', 'lab-2']],
  ['kube-system', 'k8s-app=metrics-server', 1, ['lab-1']],
  ['shop', 'app=web', 2, ['lab-2', 'lab-3']],
  ['shop', 'app=client', 1, ['lab-3']],
  ['shop', 'app=distroless', 1, ['lab-1']],
  ['shop', 'app=ndots', 1, ['lab-1']],
] as const

function readyPods(ns: string, selector: string): any[] {
  const r = kubectl(['get', 'pods', '-n', ns, '-l', selector, '-o', 'json'], { ok: true })
  if (r.code !== 0) return []
  const pods = JSON.parse(r.stdout).items as any[]
  return pods.filter(
    (p) =>
      !p.metadata.deletionTimestamp &&
      p.status?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True'),
  )
}

/** Components that should run but do not (sshd is expected off after `lab ssh off`). */
export function downComponents(): string[] {
  const off = sshIsOff()
  const dead = NODES.filter((n) => !n.host && !initPid(n.name)).map((n) => `node@${n.name}`)
  return [...dead, ...COMPONENTS.filter((c) => !(off && c.name === 'sshd') && !running(c.id)).map((c) => c.id)]
}

/** Lab nodes whose Ready condition is not True. */
export function notReadyNodes(): string[] {
  const r = kubectl(['get', 'nodes', '-o', 'json'], { ok: true })
  if (r.code !== 0) return NODES.map((n) => n.name)
  const ready = new Set(
    (JSON.parse(r.stdout).items as any[])
      .filter((n) => n.status?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True'))
      .map((n) => n.metadata.name),
  )
  return NODES.map((n) => n.name).filter((n) => !ready.has(n))
}

/** True when every daemon runs, every node is Ready and every expected pod is Ready. */
export function healthy(): boolean {
  return downComponents().length === 0 && workloadsReady()
}

/** True when every node and every expected pod is Ready, on its node. */
export function workloadsReady(): boolean {
  if (notReadyNodes().length) return false
  return EXPECTED.every(([ns, sel, want, on]) => {
    const pods = readyPods(ns, sel)
    return pods.length >= want && pods.every((p) => (on as readonly string[]).includes(p.spec.nodeName))
  })
}

/** The expected pods (not being deleted) for which pick() gives a reason: each is deleted, its controller makes a fresh one. */
function replaceExpectedPods(pick: (p: any) => string | undefined): void {
  for (const [ns, sel] of EXPECTED) {
    const r = kubectl(['get', 'pods', '-n', ns, '-l', sel, '-o', 'json'], { ok: true })
    if (r.code !== 0) continue
    for (const p of JSON.parse(r.stdout).items as any[]) {
      const why = p.metadata.deletionTimestamp ? undefined : pick(p)
      if (!why) continue
      console.log(`lab: ${ns}/${p.metadata.name} ${why}: deleting it for a fresh start`)
      kubectl(['delete', 'pod', '-n', ns, p.metadata.name, '--wait=false'], { ok: true })
    }
  }
}

const containers = (p: any): any[] => p.status?.containerStatuses ?? []

/** Replaces the expected pods a container of which restarted after `since` (epoch ms). */
export function restartPodsRestartedSince(since: number): void {
  replaceExpectedPods((p) =>
    containers(p).some((c) => Date.parse(c.lastState?.terminated?.finishedAt ?? '') >= since - 1000)
      ? 'restarted during the fault'
      : undefined,
  )
}

/**
 * Replaces the expected pods whose container waits in CrashLoopBackOff (once each): a fault that cut their
 * connections (conntrack-full, a node down) made them crash, and the kubelet's backoff (up to 5 min) would outlast it.
 */
function restartCrashLooping(done: Set<string>): void {
  replaceExpectedPods((p) => {
    if (done.has(p.metadata.uid) || !containers(p).some((c) => c.state?.waiting?.reason === 'CrashLoopBackOff'))
      return undefined
    done.add(p.metadata.uid)
    return 'is in CrashLoopBackOff after the fault'
  })
}

/** Waits until every node and every expected pod is Ready (restarting expected pods a fault left crash-looping). */
export async function waitHealthy(timeoutMs = 120_000): Promise<void> {
  const restarted = new Set<string>()
  // The crash-loop check lists the pods again (a kubectl call per workload): every 5th poll, not every second.
  let polls = 0
  await waitFor(
    'the nodes and all lab pods to be Ready',
    () => {
      if (workloadsReady()) return true
      if (polls++ % 5 === 0) restartCrashLooping(restarted)
      return false
    },
    timeoutMs,
    1000,
  )
}

/** Prints a status table (every node's daemons, what is down, nodes and pods); returns true when healthy. */
export function status(): boolean {
  const rows: string[][] = [['NODE', 'COMPONENT', 'STATE', 'PID']]
  const sshOff = sshIsOff()
  for (const c of COMPONENTS) {
    const pid = running(c.id)
    const state = pid ? 'running' : sshOff && c.name === 'sshd' ? 'off (lab ssh off)' : 'DOWN'
    rows.push([c.node ?? '(control plane)', c.name, state, pid ? String(pid) : '-'])
  }
  for (const n of NODES.filter((x) => !x.host)) {
    const pid = initPid(n.name)
    rows.push([n.name, 'init (namespaces)', pid ? 'running' : 'DOWN', pid ? String(pid) : '-'])
  }
  const width = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)))
  for (const r of rows) console.log(r.map((c, i) => c.padEnd(width[i])).join('  '))
  const dead = downComponents()
  console.log(dead.length ? `\ndown: ${dead.join(', ')}` : '\ndown: nothing')
  const fan = fanoutStatus()
  if (fan) console.log(fan)
  if (running('kube-apiserver')) {
    console.log('')
    console.log(kubectl(['get', 'nodes', '-o', 'wide', '-l', '!kinspect.dev/lab-role'], { ok: true }).stdout.trim())
    console.log('')
    console.log(kubectl(['get', 'pods', '-A', '-o', 'wide'], { ok: true }).stdout.trim())
  }
  console.log(
    `\nstate: ${LAB_DIR}   use it: eval "$(npm run -s lab -- env)"   extra users: ${BASELINE_NS} namespace, kubeconfig-view, kubeconfig-no-exec`,
  )
  return dead.length === 0 && workloadsReady()
}
