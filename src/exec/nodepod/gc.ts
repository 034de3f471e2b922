// Leftover node pods and fleet DaemonSets: a pure plan of which belong to no live session, and gc() that deletes them.
import os from 'node:os'
import type { DaemonSet, Pod } from '../../kube/types.ts'
import type { DaemonSetApi, NodePodApi } from './api.ts'
import { ANNOTATION, LABEL, MANAGED_SELECTOR } from './spec.ts'

/** Default age of a heartbeat after which its session counts as gone (the heartbeat is renewed every minute). */
export const STALE_MINUTES = 5

/** One pod and the verdict on it. */
export interface GcEntry {
  namespace: string
  /** The pod's name, or daemonset/NAME for a fleet's DaemonSet. */
  name: string
  node: string
  session: string
  /** Why it is a leftover, or why it is kept. */
  reason: string
  leftover: boolean
}

/** What the plan knows about this machine. */
export interface GcContext {
  /** This machine's host name (annotation kinspect.dev/host of pods made here). */
  host: string
  /** Whether a process with this pid runs on this machine. */
  localPidAlive: (pid: number) => boolean
  /** The running session's id: its pods are kept. */
  session?: string
  /** Heartbeat age that counts as dead (default 5 minutes). */
  staleMinutes?: number
}

const ms = (iso: string | undefined) => {
  const t = Date.parse(iso ?? '')
  return Number.isFinite(t) ? t : undefined
}

function age(now: number, t: number): string {
  const s = Math.max(0, Math.round((now - t) / 1000))
  return s < 120 ? `${s} s` : s < 7200 ? `${Math.round(s / 60)} min` : `${Math.round(s / 3600)} h`
}

/**
 * Decides for each kinspect pod whether it is a leftover: finished (Succeeded/Failed) or past its deadline;
 * made on this host by a pid that no longer runs; or its heartbeat older than staleMinutes. The current
 * session's pods, and pods with a fresh heartbeat from a live (or foreign) process, are kept.
 */
export function gcPlan(pods: readonly Pod[], now: number, ctx: GcContext): GcEntry[] {
  return pods.map((p) => {
    const l = p.metadata.labels ?? {}
    const e = {
      namespace: p.metadata.namespace ?? '',
      name: p.metadata.name,
      node: p.spec?.nodeName ?? l[LABEL.node] ?? '',
      session: l[LABEL.session] ?? '',
    }
    const verdict = (leftover: boolean, reason: string): GcEntry => ({ ...e, leftover, reason })
    if (ctx.session && e.session === ctx.session) return verdict(false, 'this session')
    // A DaemonSet's pod is never deleted alone (the DaemonSet would make it again): its DaemonSet's entry decides.
    const owner = l[LABEL.daemonSet] ?? p.metadata.ownerReferences?.find((o) => o.kind === 'DaemonSet')?.name
    if (owner) return verdict(false, `pod of daemonset ${owner} (deleted with it)`)
    if (p.metadata.deletionTimestamp) return verdict(false, 'being deleted')
    const phase = p.status?.phase
    if (phase === 'Succeeded' || phase === 'Failed')
      return verdict(true, `finished (${phase}${p.status?.reason ? `: ${p.status.reason}` : ''})`)
    const a = p.metadata.annotations ?? {}
    const created = ms(p.metadata.creationTimestamp) ?? ms(a[ANNOTATION.started])
    const deadline = Number(p.spec?.activeDeadlineSeconds)
    if (created !== undefined && Number.isFinite(deadline) && created + deadline * 1000 <= now)
      return verdict(true, `past its deadline (${deadline} s, created ${age(now, created)} ago)`)
    return liveness(a, created, now, ctx, verdict)
  })
}

// The rules shared by pods and DaemonSets: the session's process gone (same host), or its heartbeat stale.
function liveness(
  a: Record<string, string>,
  created: number | undefined,
  now: number,
  ctx: GcContext,
  verdict: (leftover: boolean, reason: string) => GcEntry,
): GcEntry {
  const stale = (ctx.staleMinutes ?? STALE_MINUTES) * 60_000
  const pid = Number(a[ANNOTATION.pid])
  if (a[ANNOTATION.host] === ctx.host && Number.isInteger(pid) && pid > 0 && !ctx.localPidAlive(pid))
    return verdict(true, `its session (pid ${pid} on ${ctx.host}) is gone`)
  const beat = ms(a[ANNOTATION.heartbeat]) ?? created
  if (beat === undefined) return verdict(true, 'no heartbeat or creation time')
  if (now - beat > stale)
    return verdict(
      true,
      `heartbeat ${age(now, beat)} old${a[ANNOTATION.host] ? ` (session on ${a[ANNOTATION.host]})` : ''}`,
    )
  return verdict(
    false,
    `live session${a[ANNOTATION.host] ? ` on ${a[ANNOTATION.host]}` : ''} (heartbeat ${age(now, beat)} ago)`,
  )
}

/**
 * The same verdict for fleet DaemonSets (name daemonset/NAME, node "N nodes"): past the deadline annotation (its
 * containers have exited), its session's process gone, or its heartbeat stale; this session's and live ones are kept.
 */
export function gcPlanDaemonSets(sets: readonly DaemonSet[], now: number, ctx: GcContext): GcEntry[] {
  return sets.map((d) => {
    const l = d.metadata.labels ?? {}
    const a = d.metadata.annotations ?? {}
    const e = {
      namespace: d.metadata.namespace ?? '',
      name: `daemonset/${d.metadata.name}`,
      node: `${a[ANNOTATION.nodes] ?? d.status?.desiredNumberScheduled ?? '?'} nodes`,
      session: l[LABEL.session] ?? '',
    }
    const verdict = (leftover: boolean, reason: string): GcEntry => ({ ...e, leftover, reason })
    if (ctx.session && e.session === ctx.session) return verdict(false, 'this session')
    if (d.metadata.deletionTimestamp) return verdict(false, 'being deleted')
    const deadline = ms(a[ANNOTATION.deadline])
    if (deadline !== undefined && deadline <= now)
      return verdict(true, `past its deadline (${a[ANNOTATION.deadline]}, ${age(now, deadline)} ago)`)
    return liveness(a, ms(d.metadata.creationTimestamp) ?? ms(a[ANNOTATION.started]), now, ctx, verdict)
  })
}

/** True when a process with this pid exists here (kill 0; EPERM means it exists but is not ours). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** What gc() found and did. */
export interface GcResult {
  entries: GcEntry[]
  deleted: string[]
  failed: { name: string; namespace: string; why: string }[]
}

/**
 * Lists kinspect's pods and fleet DaemonSets (all namespaces; only `namespace` when listing all is forbidden), plans,
 * and deletes the leftovers unless dryRun (a leftover DaemonSet is deleted with its pods).
 */
export async function gc(
  api: NodePodApi & Partial<DaemonSetApi>,
  o: {
    namespace?: string
    session?: string
    dryRun?: boolean
    staleMinutes?: number
    now?: number
    host?: string
  } = {},
): Promise<GcResult> {
  let pods: Pod[]
  try {
    pods = await api.listPods(MANAGED_SELECTOR)
  } catch (e) {
    if (!o.namespace) throw e
    pods = await api.listPods(MANAGED_SELECTOR, o.namespace)
  }
  let sets: DaemonSet[] = []
  if (api.listDaemonSets) {
    try {
      sets = await api.listDaemonSets(MANAGED_SELECTOR)
    } catch {
      sets = o.namespace ? await api.listDaemonSets(MANAGED_SELECTOR, o.namespace).catch(() => []) : []
    }
  }
  const ctx = {
    host: o.host ?? os.hostname(),
    localPidAlive: pidAlive,
    session: o.session,
    staleMinutes: o.staleMinutes,
  }
  const now = o.now ?? Date.now()
  const entries = [...gcPlanDaemonSets(sets, now, ctx), ...gcPlan(pods, now, ctx)]
  const result: GcResult = { entries, deleted: [], failed: [] }
  if (o.dryRun) return result
  await Promise.all(
    entries
      .filter((x) => x.leftover)
      .map(async (x) => {
        try {
          if (x.name.startsWith('daemonset/'))
            await api.deleteDaemonSet!(x.namespace, x.name.slice('daemonset/'.length))
          else await api.deletePod(x.namespace, x.name, 1)
          result.deleted.push(`${x.namespace}/${x.name}`)
        } catch (e) {
          result.failed.push({ name: x.name, namespace: x.namespace, why: (e as Error).message })
        }
      }),
  )
  return result
}
