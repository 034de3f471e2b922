// kubectl's status logic as pure functions over API objects: pod READY/STATUS/RESTARTS (printPod), node status
// and roles, and when an event happened (the order events() and describe() use). Renderers and describe use it.
import type { KubeEvent, Node, Pod } from './types.ts'

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
  for (const c of st.conditions ?? [])
    if (c.type === 'PodScheduled' && c.reason === 'SchedulingGated') reason = 'SchedulingGated'
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
      reason = term.reason
        ? `Init:${term.reason}`
        : term.signal
          ? `Init:Signal:${term.signal}`
          : `Init:ExitCode:${term.exitCode}`
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

/** The time an event last happened: lastTimestamp, series.lastObservedTime, eventTime, firstTimestamp, creation. */
export function eventTime(e: KubeEvent): string | undefined {
  return (
    e.lastTimestamp ||
    e.series?.lastObservedTime ||
    e.eventTime ||
    e.firstTimestamp ||
    e.metadata?.creationTimestamp ||
    undefined
  )
}

/** Who reported an event: source.component or reportingComponent (with host, as describe shows). */
export function eventSource(e: KubeEvent): string {
  const comp = e.source?.component || e.reportingComponent || ''
  const host = e.source?.host || ''
  return comp && host ? `${comp}, ${host}` : comp || host || ''
}

/** Sorts events oldest first by lastTimestamp / series / eventTime / firstTimestamp (stable for ties). */
export function sortEvents<T extends KubeEvent>(events: T[]): T[] {
  const key = (e: KubeEvent) => {
    const t = Date.parse(eventTime(e) ?? '')
    return Number.isNaN(t) ? 0 : t
  }
  return events
    .map((e, i) => ({ e, i, k: key(e) }))
    .sort((a, b) => a.k - b.k || a.i - b.i)
    .map((x) => x.e)
}
