// From symptoms to ranked rows: pods of one owner with one symptom share a row; a symptom whose cause has a row of
// its own becomes an effect of that row (a Service without endpoints under its crash-looping pods, the pods of a
// NotReady node under the node); Warning events attach to the rows of their objects.
import type { KubeEvent } from '../kube/types.ts'
import { warningsByReason } from './analyze/events.ts'
import { objectKey, refText } from './objects.ts'
import type { Effect, Layer, Symptom, TriageRow } from './types.ts'

const LAYER_ORDER: readonly Layer[] = ['node', 'cluster', 'workload', 'service', 'pod', 'event']

interface Draft {
  s: Symptom
  also: string[]
  effects: Effect[]
  /** Object keys this row covers: its own, its grouped replicas', its effects'. */
  members: string[]
  parent?: Draft
  /** An effect under this row fails. */
  failing?: boolean
}

const sameRef = (
  a: { kind: string; namespace?: string; name: string } | undefined,
  b: { kind: string; namespace?: string; name: string },
) => !!a && a.kind === b.kind && a.name === b.name && (a.namespace ?? '') === (b.namespace ?? '')

/** The row a draft ended up in (following what it was attached to). */
function rootOf(d: Draft): Draft {
  let r = d
  while (r.parent) r = r.parent
  return r
}

function attach(child: Draft, parent: Draft): void {
  parent.effects.push(
    { object: refText(child.s.object), symptom: child.s.symptom, evidence: child.s.evidence },
    ...child.also.map((o) => ({ object: o, symptom: child.s.symptom, evidence: child.s.evidence })),
    ...child.effects,
  )
  parent.members.push(...child.members)
  if (child.s.severity === 'fail' || child.failing) parent.failing = true
  child.parent = parent
}

/** Groups, links and ranks the symptoms into the rows of the triage table (rank 1 first). */
export function buildRows(symptoms: readonly Symptom[], events: readonly KubeEvent[] = []): TriageRow[] {
  const severityOrder = (s: Symptom) => (s.severity === 'fail' ? 0 : 1)
  const sorted = [...symptoms].sort((a, b) => severityOrder(a) - severityOrder(b))
  const drafts: Draft[] = []
  const byMember = new Map<string, Draft>()
  const byGroup = new Map<string, Draft>()
  for (const s of sorted) {
    const key = objectKey(s.object)
    const group = s.layer === 'pod' && s.owner ? `${objectKey(s.owner)}|${s.code}` : undefined
    const existing = group ? byGroup.get(group) : undefined
    if (existing) {
      existing.also.push(refText(s.object))
      existing.members.push(key)
      existing.s = { ...existing.s, causes: [...new Set([...(existing.s.causes ?? []), ...(s.causes ?? [])])] }
      if (!byMember.has(key)) byMember.set(key, existing)
      continue
    }
    const d: Draft = { s, also: [], effects: [], members: [key] }
    drafts.push(d)
    if (group) byGroup.set(group, d)
    if (!byMember.has(key)) byMember.set(key, d)
  }
  // A Deployment whose rollout is stuck takes its pods' rows: the rollout recipe explains both and hands over.
  for (const d of drafts) {
    if (d.s.code !== 'rollout-stuck' || d.s.object.kind !== 'Deployment') continue
    for (const p of drafts)
      if (!p.parent && p !== d && p.s.layer === 'pod' && sameRef(p.s.owner, d.s.object)) attach(p, d)
  }
  // Every other symptom goes under the row of its first cause that has one (at most one level per pass, until stable).
  for (let changed = true; changed;) {
    changed = false
    for (const d of drafts) {
      if (d.parent) continue
      for (const c of d.s.causes ?? []) {
        const target = byMember.get(c)
        if (!target) continue
        const root = rootOf(target)
        if (root === d) continue
        attach(d, root)
        changed = true
        break
      }
    }
  }
  const warnings = warningsByReason(events)
  const ranked = drafts
    .filter((d) => !d.parent && (!d.s.onlyAsEffect || d.effects.length))
    .map((d) => ({
      layer: d.s.layer,
      row: {
        rank: 0,
        // A row whose effects fail is a failure even when its cause alone would only warn.
        severity: d.s.severity === 'fail' || d.failing ? 'fail' : 'warn',
        code: d.s.code,
        object: refText(d.s.object),
        kind: d.s.object.kind,
        ...(d.s.object.namespace ? { namespace: d.s.object.namespace } : {}),
        name: d.s.object.name,
        symptom: d.s.symptom,
        evidence: d.s.evidence,
        next: d.s.next,
        also: d.also,
        effects: d.effects,
        events: [...new Set(d.members)].flatMap((m) => warnings.get(m) ?? []),
      } satisfies TriageRow as TriageRow,
    }))
  // Failures first; then the lower layer (a node before the pods on it); then the row explaining more; then by name.
  ranked.sort(
    (a, b) =>
      Number(a.row.severity !== 'fail') - Number(b.row.severity !== 'fail') ||
      LAYER_ORDER.indexOf(a.layer) - LAYER_ORDER.indexOf(b.layer) ||
      b.row.effects.length - a.row.effects.length ||
      a.row.object.localeCompare(b.row.object),
  )
  return ranked.map(({ row }, i) => ({ ...row, rank: i + 1 }))
}
