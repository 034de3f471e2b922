// Pods: crash loops, OOM kills, image pulls, config errors, Pending, not Ready, restarts, Evicted and Failed pods.
import type { KubeEvent, Pod } from '../../kube/types.ts'
import { eventTime } from '../../kube/status.ts'
import {
  ageSeconds,
  commandStep,
  containerStatuses,
  humanAge,
  nsName,
  objectKey,
  oneLine,
  podCondition,
  podOwner,
  podReady,
  recipeStep,
  refOf,
} from '../objects.ts'
import type { Snapshot, Symptom, SymptomCode, TriageSeverity } from '../types.ts'

/** How long a pod may be not Ready (less while its readiness probe keeps failing), unscheduled without a verdict, or creating its containers, before it counts. */
export const GRACE = {
  notReadySeconds: 60,
  probeFailingSeconds: 15,
  pendingSeconds: 60,
  startingSeconds: 120,
  restartWindowSeconds: 600,
  oomWindowSeconds: 3600,
} as const

const NODE_CAUSED: readonly SymptomCode[] = ['not-ready', 'pending', 'evicted']
const IMAGE_WAIT = [
  'ErrImagePull',
  'ImagePullBackOff',
  'ErrImageNeverPull',
  'InvalidImageName',
  'ErrImageInspect',
  'RegistryUnavailable',
]
const CONFIG_WAIT = ['CreateContainerConfigError', 'CreateContainerError', 'RunContainerError']

/** The part of a pull error that says why (the runtime wraps it in several layers of "failed to …"). */
export function pullReason(message: string): string {
  const m =
    /(Container image .* is not present with pull policy of Never|lookup [^:]+ on [^:]+:\d+: .*|[^:]*not found.*|[^:]*unauthorized.*|[^:]*manifest unknown.*|[^:]*denied.*|[^:]*toomanyrequests.*)$/i.exec(
      message,
    )
  return (m?.[1] ?? message).trim()
}

/** Warning events of one pod, oldest first. */
function podEvents(p: Pod, events: readonly KubeEvent[]): KubeEvent[] {
  return events.filter(
    (e) =>
      e.involvedObject.kind === 'Pod' &&
      e.involvedObject.name === p.metadata.name &&
      (e.involvedObject.namespace ?? '') === (p.metadata.namespace ?? '') &&
      (!e.involvedObject.uid || !p.metadata.uid || e.involvedObject.uid === p.metadata.uid),
  )
}

const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? '' : 's'}`

// What every check of one pod reads; `base` makes a symptom of it.
interface PodCheck {
  p: Pod
  snap: Pick<Snapshot, 'now' | 'events' | 'replicasets'>
  now: Snapshot['now']
  statuses: ReturnType<typeof containerStatuses>
  podRef: { pod: string }
  /** "NAME: " before a container's words when the pod has more than one. */
  who: (name: string) => string
  base: (
    code: SymptomCode,
    severity: TriageSeverity,
    symptom: string,
    evidence: string,
    next?: Symptom['next'],
  ) => Symptom
}

/** A check's verdict that the pod has no symptom, which ends the search (undefined lets the next check look). */
const NONE = null

/** The one symptom of a pod that matters most (an image pull before a crash loop, a crash loop before not Ready), if any. */
export function podSymptom(p: Pod, snap: Pick<Snapshot, 'now' | 'events' | 'replicasets'>): Symptom | undefined {
  if (p.metadata.deletionTimestamp || p.status?.phase === 'Succeeded') return undefined
  const podRef = { pod: nsName(p) }
  const statuses = containerStatuses(p)
  const many = statuses.length > 1
  const c: PodCheck = {
    p,
    snap,
    now: snap.now,
    statuses,
    podRef,
    who: (name) => (many ? `${name}: ` : ''),
    base: (code, severity, symptom, evidence, next = recipeStep('crashloop', podRef)) => ({
      code,
      severity,
      layer: 'pod',
      object: refOf('Pod', p),
      symptom,
      evidence: oneLine(evidence),
      next,
      // A node's trouble explains its pods not being Ready, not starting or being evicted; not a crash loop or a pull error.
      causes: p.spec.nodeName && NODE_CAUSED.includes(code) ? [objectKey({ kind: 'Node', name: p.spec.nodeName })] : [],
      owner: podOwner(p, snap.replicasets),
    }),
  }
  for (const check of [failedPod, waitingContainer, terminatedContainer, pendingPod, restartedContainer, notReadyPod]) {
    const found = check(c)
    if (found !== undefined) return found ?? undefined
  }
  return undefined
}

// A Failed pod: Evicted, or what its containers exited with.
function failedPod({ p, statuses, who, base }: PodCheck): Symptom | undefined {
  if (p.status?.phase !== 'Failed') return undefined
  if (p.status.reason === 'Evicted')
    return base(
      'evicted',
      'warn',
      'Evicted',
      `${p.status.message ?? 'evicted by the kubelet'}`,
      p.spec.nodeName
        ? recipeStep('node', { node: p.spec.nodeName })
        : commandStep(`kubectl describe pod ${p.metadata.name} -n ${p.metadata.namespace}`),
    )
  return base(
    'failed',
    'warn',
    `Failed${p.status.reason ? ` (${p.status.reason})` : ''}`,
    p.status.message ??
      statuses
        .map(
          (c) => `${who(c.name)}exit ${c.state?.terminated?.exitCode ?? '?'} (${c.state?.terminated?.reason ?? '?'})`,
        )
        .join('; '),
  )
}

// A container waiting on its image or on its configuration.
function waitingContainer({ p, statuses, who, base, podRef }: PodCheck): Symptom | undefined {
  for (const c of statuses) {
    const w = c.state?.waiting
    if (w?.reason && IMAGE_WAIT.includes(w.reason)) {
      const spec = [...(p.spec.initContainers ?? []), ...p.spec.containers].find((x) => x.name === c.name)
      return base(
        'image-pull',
        'fail',
        w.reason,
        `${who(c.name)}${spec?.image ?? c.image}: ${pullReason(w.message ?? '') || w.reason}`,
        recipeStep('image-pull', podRef),
      )
    }
    if (w?.reason && CONFIG_WAIT.includes(w.reason))
      return base('container-config', 'fail', w.reason, `${who(c.name)}${w.message ?? w.reason}`)
  }
  return undefined
}

// A container OOM-killed (looping, or recently), or crash-looping.
function terminatedContainer({ p, now, statuses, who, base, podRef }: PodCheck): Symptom | undefined {
  for (const c of statuses) {
    const last = c.lastState?.terminated
    const cur = c.state?.terminated
    const oom = [cur, last].find((t) => t?.reason === 'OOMKilled')
    const limit = [...(p.spec.initContainers ?? []), ...p.spec.containers].find((x) => x.name === c.name)?.resources
      ?.limits?.memory
    if (
      oom &&
      (c.state?.waiting?.reason === 'CrashLoopBackOff' ||
        cur === oom ||
        (ageSeconds(oom.finishedAt, now) ?? Infinity) <= GRACE.oomWindowSeconds)
    ) {
      const looping = c.state?.waiting?.reason === 'CrashLoopBackOff' || cur === oom
      return base(
        'oomkilled',
        looping ? 'fail' : 'warn',
        looping ? 'OOMKilled, restarting' : 'OOMKilled earlier',
        `${who(c.name)}OOMKilled (exit ${oom.exitCode}) ${humanAge(ageSeconds(oom.finishedAt, now))} ago${limit ? ` at a ${limit} limit` : ', no memory limit'}; ${plural(c.restartCount, 'restart')}`,
        recipeStep('oom', podRef),
      )
    }
    if (c.state?.waiting?.reason === 'CrashLoopBackOff' || (cur && cur.exitCode !== 0 && c.restartCount > 0)) {
      const t = last ?? cur
      return base(
        'crashloop',
        'fail',
        'CrashLoopBackOff',
        `${who(c.name)}last run exited ${t?.exitCode ?? '?'} (${t?.reason ?? 'no reason'}) ${humanAge(ageSeconds(t?.finishedAt, now))} ago; ${plural(c.restartCount, 'restart')}`,
      )
    }
  }
  return undefined
}

// Pending: unschedulable, no scheduler verdict after its grace, or containers not started after theirs. An
// unscheduled pod still within its grace has no symptom (NONE): nothing after this check applies to it.
function pendingPod({ p, snap, now, statuses, base, podRef }: PodCheck): Symptom | typeof NONE | undefined {
  if (p.status?.phase !== 'Pending') return undefined
  const scheduled = podCondition(p, 'PodScheduled')
  const age = ageSeconds(p.metadata.creationTimestamp, now) ?? 0
  if (!p.spec.nodeName) {
    if (scheduled?.status === 'False' && scheduled.reason === 'Unschedulable')
      return base(
        'pending',
        'fail',
        'Pending: unschedulable',
        (scheduled.message ?? '').split(' preemption:')[0],
        recipeStep('pending', podRef),
      )
    if (age >= GRACE.pendingSeconds)
      return base(
        'pending',
        'warn',
        'Pending: not scheduled',
        `no scheduler verdict after ${humanAge(age)} (schedulerName ${p.spec.schedulerName ?? 'default-scheduler'})`,
        recipeStep('pending', podRef),
      )
    return NONE
  }
  if (age < GRACE.startingSeconds) return undefined
  const warn = podEvents(p, snap.events)
    .filter((e) => e.type === 'Warning')
    .pop()
  const waits = statuses
    .map((c) => c.state?.waiting?.reason)
    .filter(Boolean)
    .join(', ')
  return base(
    'pending',
    'warn',
    'Pending: containers not started',
    `${waits || 'no container state'} for ${humanAge(age)} on ${p.spec.nodeName}${warn ? `; ${warn.reason}: ${warn.message ?? ''}` : ''}`,
    commandStep(`kubectl events -n ${p.metadata.namespace} --for pod/${p.metadata.name}`),
  )
}

// A container that exited non-zero within the restart window and runs again.
function restartedContainer({ now, statuses, who, base }: PodCheck): Symptom | undefined {
  for (const c of statuses) {
    const last = c.lastState?.terminated
    if (
      c.restartCount > 0 &&
      last &&
      last.exitCode !== 0 &&
      (ageSeconds(last.finishedAt, now) ?? Infinity) <= GRACE.restartWindowSeconds
    ) {
      return base(
        'restarting',
        'warn',
        'restarted recently',
        `${who(c.name)}last run exited ${last.exitCode} (${last.reason ?? 'no reason'}) ${humanAge(ageSeconds(last.finishedAt, now))} ago; ${plural(c.restartCount, 'restart')}; running again`,
      )
    }
  }
  return undefined
}

// Running but not Ready for longer than its grace, or sooner while its readiness probe keeps failing.
function notReadyPod({ p, snap, now, statuses, base }: PodCheck): Symptom | undefined {
  const age = ageSeconds(p.metadata.creationTimestamp, now) ?? 0
  const ready = podCondition(p, 'Ready')
  const notReadyFor = ageSeconds(ready?.lastTransitionTime, now) ?? age
  const probe = podEvents(p, snap.events)
    .filter((e) => e.reason === 'Unhealthy' && /^Readiness probe failed/.test(e.message ?? ''))
    .pop()
  // A readiness probe that keeps failing has said so already; without one, give a starting pod its grace period.
  const probeSaysNo =
    probe !== undefined && (probe.series?.count ?? probe.count ?? 1) >= 3 && notReadyFor >= GRACE.probeFailingSeconds
  if (p.status?.phase !== 'Running' || podReady(p) || !(notReadyFor >= GRACE.notReadySeconds || probeSaysNo))
    return undefined
  const notReady = statuses.filter((c) => !c.ready).map((c) => c.name)
  const why = probe
    ? `${probe.message?.trim()} (x${probe.series?.count ?? probe.count ?? 1}, last ${humanAge(ageSeconds(eventTime(probe), now))} ago)`
    : (ready?.message ?? `containers not ready: ${notReady.join(', ')}`)
  return base('not-ready', 'fail', 'Running, not Ready', `not Ready for ${humanAge(notReadyFor)}: ${why}`)
}

/** Every pod symptom of the snapshot. */
export function analyzePods(snap: Pick<Snapshot, 'now' | 'pods' | 'events' | 'replicasets'>): Symptom[] {
  return snap.pods.map((p) => podSymptom(p, snap)).filter((s): s is Symptom => s !== undefined)
}
