// Warning events by reason: attached to the row of their object, or (for kinds no analyzer judges) rows of their own
// while they are recent. Events of objects judged healthy, or gone, are history and are left out.
import type { KubeEvent } from '../../kube/types.ts'
import { eventTime } from '../../kube/status.ts'
import { ageSeconds, commandStep, humanAge, objectKey, oneLine } from '../objects.ts'
import type { ObjectRef, RowEvent, Snapshot, Symptom } from '../types.ts'

/** Kinds an analyzer judges: their events attach to that analyzer's rows, or are history when it found nothing. */
export const JUDGED_KINDS = new Set([
  'Pod',
  'Node',
  'Service',
  'Endpoints',
  'EndpointSlice',
  'Deployment',
  'ReplicaSet',
  'StatefulSet',
  'DaemonSet',
  'APIService',
])
/** Events of other kinds count while their last occurrence is this recent. */
export const EVENT_WINDOW_SECONDS = 15 * 60

/** The object an event is about. */
export function eventObject(e: KubeEvent): ObjectRef {
  const o = e.involvedObject
  return o.namespace
    ? { kind: o.kind ?? '?', namespace: o.namespace, name: o.name ?? '?' }
    : { kind: o.kind ?? '?', name: o.name ?? '?' }
}

const countOf = (e: KubeEvent) => e.series?.count ?? e.count ?? 1

/** Warning events grouped per object and reason: count summed, the last message kept. */
export function warningsByReason(events: readonly KubeEvent[]): Map<string, RowEvent[]> {
  const by = new Map<string, Map<string, RowEvent>>()
  for (const e of events) {
    if (e.type !== 'Warning') continue
    const key = objectKey(eventObject(e))
    const reasons = by.get(key) ?? new Map<string, RowEvent>()
    const r = reasons.get(e.reason ?? '') ?? {
      object: key,
      reason: e.reason ?? '',
      count: 0,
      message: '',
      last: undefined,
    }
    r.count += countOf(e)
    const t = eventTime(e)
    if (!r.last || (t && t >= r.last)) {
      r.message = (e.message ?? '').trim()
      r.last = t
    }
    reasons.set(e.reason ?? '', r)
    by.set(key, reasons)
  }
  return new Map([...by].map(([k, m]) => [k, [...m.values()]]))
}

/** Rows for recent Warning events on objects of kinds no analyzer judges (a PVC that cannot bind, a failing Job…). */
export function analyzeEvents(snap: Pick<Snapshot, 'now' | 'events'>): Symptom[] {
  const out: Symptom[] = []
  for (const [key, reasons] of warningsByReason(
    snap.events.filter((e) => !JUDGED_KINDS.has(e.involvedObject.kind ?? '')),
  )) {
    for (const r of reasons) {
      const age = ageSeconds(r.last, snap.now)
      if (age === undefined || age > EVENT_WINDOW_SECONDS) continue
      const [kind, namespace, name] = key.split('/')
      const object = namespace ? { kind, namespace, name } : { kind, name }
      out.push({
        code: 'events',
        severity: 'warn',
        layer: 'event',
        object,
        symptom: `Warning ${r.reason}`,
        evidence: oneLine(`${r.reason} x${r.count}, last ${humanAge(age)} ago: ${r.message}`),
        next: commandStep(`kubectl events${namespace ? ` -n ${namespace}` : ''} --for ${kind.toLowerCase()}/${name}`),
        causes: [],
      })
    }
  }
  return out
}
