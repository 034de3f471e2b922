// kubectl's column logic as pure functions: ages, pod STATUS/READY/RESTARTS, node status and roles, service ports.
import type { Node, Pod, Service, KubeEvent } from '../kube/types.ts'

/** kubectl's HumanDuration: "45s", "5m30s", "3h12m", "4d2h", "2y3d". */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000)
  if (seconds < -1) return '<invalid>'
  if (seconds < 0) return '0s'
  if (seconds < 120) return `${seconds}s`
  const minutes = Math.floor(seconds / 60)
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`
  if (minutes < 180) return `${minutes}m`
  const hours = Math.floor(minutes / 60)
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`
  if (hours < 48) return `${hours}h`
  if (hours < 24 * 8) return hours % 24 === 0 ? `${Math.floor(hours / 24)}d` : `${Math.floor(hours / 24)}d${hours % 24}h`
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24)}d`
  if (hours < 24 * 365 * 8) {
    const dy = Math.floor(hours / 24) % 365
    return dy === 0 ? `${Math.floor(hours / 24 / 365)}y` : `${Math.floor(hours / 24 / 365)}y${dy}d`
  }
  return `${Math.floor(hours / 24 / 365)}y`
}

/** Age of an RFC3339 timestamp relative to now ("<unknown>" when absent), as kubectl prints it. */
export function age(ts: string | null | undefined, now: number = Date.now()): string {
  if (!ts) return '<unknown>'
  const t = Date.parse(ts)
  if (Number.isNaN(t)) return '<unknown>'
  return humanDuration(now - t)
}

/** The READY, STATUS and RESTARTS columns of kubectl get pods (kubectl's printPod). */
export interface PodColumns {
  ready: string
  status: string
  restarts: number
  /** finishedAt of the most recent restart, when there was one. */
  lastRestart?: string
}

function later(a: string | undefined, b: string | undefined): string | undefined {
  if (!b) return a
  if (!a) return b
  return Date.parse(b) > Date.parse(a) ? b : a
}

/** Computes READY/STATUS/RESTARTS exactly as kubectl's printPod does. */
export function podColumns(pod: Pod): PodColumns {
  const st = pod.status ?? {}
  const spec = pod.spec ?? { containers: [] }
  let restarts = 0
  let sidecarRestarts = 0
  let total = (spec.containers ?? []).length
  let ready = 0
  let lastRestart: string | undefined
  let lastSidecarRestart: string | undefined
  let reason = st.reason || st.phase || ''
  for (const c of st.conditions ?? []) if (c.type === 'PodScheduled' && c.reason === 'SchedulingGated') reason = 'SchedulingGated'
  const inits = new Map((spec.initContainers ?? []).map((c) => [c.name, c]))
  for (const c of spec.initContainers ?? []) if (c.restartPolicy === 'Always') total++
  const isSidecar = (name: string) => inits.get(name)?.restartPolicy === 'Always'
  let initializing = false
  const initStatuses = st.initContainerStatuses ?? []
  for (let i = 0; i < initStatuses.length; i++) {
    const c = initStatuses[i]
    restarts += c.restartCount ?? 0
    lastRestart = later(lastRestart, c.lastState?.terminated?.finishedAt)
    if (isSidecar(c.name)) {
      sidecarRestarts += c.restartCount ?? 0
      lastSidecarRestart = later(lastSidecarRestart, c.lastState?.terminated?.finishedAt)
    }
    const term = c.state?.terminated
    const wait = c.state?.waiting
    if (term && term.exitCode === 0) continue
    if (isSidecar(c.name) && c.started) {
      if (c.ready) ready++
      continue
    }
    if (term) {
      reason = term.reason ? `Init:${term.reason}` : term.signal ? `Init:Signal:${term.signal}` : `Init:ExitCode:${term.exitCode}`
    } else if (wait && wait.reason && wait.reason !== 'PodInitializing') {
      reason = `Init:${wait.reason}`
    } else {
      reason = `Init:${i}/${(spec.initContainers ?? []).length}`
    }
    initializing = true
    break
  }
  const initialized = (st.conditions ?? []).some((c) => c.type === 'Initialized' && c.status === 'True')
  if (!initializing || initialized) {
    restarts = sidecarRestarts
    lastRestart = lastSidecarRestart
    let hasRunning = false
    const cs = st.containerStatuses ?? []
    for (let i = cs.length - 1; i >= 0; i--) {
      const c = cs[i]
      restarts += c.restartCount ?? 0
      lastRestart = later(lastRestart, c.lastState?.terminated?.finishedAt)
      const term = c.state?.terminated
      if (c.state?.waiting?.reason) reason = c.state.waiting.reason
      else if (term?.reason) reason = term.reason
      else if (term) reason = term.signal ? `Signal:${term.signal}` : `ExitCode:${term.exitCode}`
      else if (c.ready && c.state?.running) {
        hasRunning = true
        ready++
      }
    }
    if (reason === 'Completed' && hasRunning) {
      reason = (st.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True') ? 'Running' : 'NotReady'
    }
  }
  const terminal = st.phase === 'Succeeded' || st.phase === 'Failed'
  if (pod.metadata.deletionTimestamp && st.reason === 'NodeLost') reason = 'Unknown'
  else if (pod.metadata.deletionTimestamp && !terminal) reason = 'Terminating'
  return { ready: `${ready}/${total}`, status: reason, restarts, lastRestart: restarts > 0 ? lastRestart : undefined }
}

/** kubectl's RESTARTS cell: "3" or "3 (2m ago)". */
export function restartsCell(c: PodColumns, now: number = Date.now()): string {
  return c.restarts !== 0 && c.lastRestart ? `${c.restarts} (${age(c.lastRestart, now)} ago)` : String(c.restarts)
}

/** Colour class of a pod/container status word. */
export function statusStyle(status: string): 'green' | 'yellow' | 'red' | 'dim' | undefined {
  if (status === 'Running' || status === 'Ready') return 'green'
  if (status === 'Completed' || status === 'Succeeded') return 'dim'
  if (/^(Pending|ContainerCreating|PodInitializing|Terminating|Init:\d+\/\d+|SchedulingGated|NotReady,SchedulingDisabled|Ready,SchedulingDisabled)$/.test(status)) return 'yellow'
  if (/Err|BackOff|Error|Failed|OOMKilled|Crash|Unknown|Evicted|NotReady|Invalid|ExitCode|Signal|Lost/.test(status)) return 'red'
  return undefined
}

/** STATUS of kubectl get nodes: Ready / NotReady / Unknown, plus ",SchedulingDisabled". */
export function nodeStatus(node: Node): string {
  const readyCond = (node.status?.conditions ?? []).find((c) => c.type === 'Ready')
  const parts = [readyCond ? (readyCond.status === 'True' ? 'Ready' : 'NotReady') : 'Unknown']
  if (node.spec?.unschedulable) parts.push('SchedulingDisabled')
  return parts.join(',')
}

/** Node roles from node-role.kubernetes.io/ROLE and kubernetes.io/role labels, sorted. */
export function nodeRoles(node: Node): string[] {
  const roles = new Set<string>()
  for (const [k, v] of Object.entries(node.metadata.labels ?? {})) {
    if (k.startsWith('node-role.kubernetes.io/')) {
      const r = k.slice('node-role.kubernetes.io/'.length)
      if (r) roles.add(r)
    } else if (k === 'kubernetes.io/role' && v) roles.add(v)
  }
  return [...roles].sort()
}

/** A node address of a type ("InternalIP"), or "<none>". */
export function nodeAddress(node: Node, type: string): string {
  return (node.status?.addresses ?? []).find((a) => a.type === type)?.address ?? '<none>'
}

/** PORT(S) of kubectl get svc: "80/TCP,443:30443/TCP". */
export function servicePorts(svc: Service): string {
  const ps = (svc.spec?.ports ?? []).map((p) => (p.nodePort ? `${p.port}:${p.nodePort}/${p.protocol ?? 'TCP'}` : `${p.port}/${p.protocol ?? 'TCP'}`))
  return ps.length ? ps.join(',') : '<none>'
}

/** EXTERNAL-IP of kubectl get svc. */
export function serviceExternalIP(svc: Service): string {
  const ext = svc.spec?.externalIPs ?? []
  switch (svc.spec?.type) {
    case 'ExternalName':
      return svc.spec.externalName ?? '<none>'
    case 'LoadBalancer': {
      const lb = (svc.status?.loadBalancer?.ingress ?? []).map((i) => i.ip || i.hostname || '').filter(Boolean)
      const all = [...lb, ...ext]
      return all.length ? all.join(',') : '<pending>'
    }
    default:
      return ext.length ? ext.join(',') : '<none>'
  }
}

/** Labels as "k=v,k2=v2" (sorted), or "<none>". */
export function formatLabels(labels: Record<string, string> | undefined): string {
  const e = Object.entries(labels ?? {}).sort(([a], [b]) => a.localeCompare(b))
  return e.length ? e.map(([k, v]) => `${k}=${v}`).join(',') : '<none>'
}

/** The time an event last happened: lastTimestamp, series.lastObservedTime, eventTime, firstTimestamp, creation. */
export function eventTime(e: KubeEvent): string | undefined {
  return e.lastTimestamp || e.series?.lastObservedTime || e.eventTime || e.firstTimestamp || e.metadata?.creationTimestamp || undefined
}

/** Who reported an event: source.component or reportingComponent (with host, as describe shows). */
export function eventSource(e: KubeEvent): string {
  const comp = e.source?.component || e.reportingComponent || ''
  const host = e.source?.host || ''
  return comp && host ? `${comp}, ${host}` : comp || host || ''
}
