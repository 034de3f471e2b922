// Small pure readers of API objects the analyzers share: names and keys, ages, owners, selectors, readiness.
import type { EndpointSlice, KubeObject, Pod } from '../kube/types.ts'
import { recipeCommand } from '../recipes/report.ts'
import type { NextStep, ObjectRef } from './types.ts'

/** A stable key of an object: "Kind/namespace/name" ("Node//lab-1" for cluster-scoped ones). */
export function objectKey(r: ObjectRef): string {
  return `${r.kind}/${r.namespace ?? ''}/${r.name}`
}

/** "Pod shop/web-1", "Node lab-1". */
export function refText(r: ObjectRef): string {
  return `${r.kind} ${r.namespace ? `${r.namespace}/` : ''}${r.name}`
}

/** The ObjectRef of an API object of a known kind. */
export function refOf(kind: string, o: KubeObject): ObjectRef {
  return o.metadata.namespace
    ? { kind, namespace: o.metadata.namespace, name: o.metadata.name }
    : { kind, name: o.metadata.name }
}

/** "namespace/name" of a namespaced object. */
export function nsName(o: { metadata: { namespace?: string; name: string } }): string {
  return `${o.metadata.namespace ?? 'default'}/${o.metadata.name}`
}

/** Seconds from an RFC 3339 time to `now` (undefined when the time is missing or unreadable). */
export function ageSeconds(time: string | null | undefined, now: number): number | undefined {
  const t = Date.parse(time ?? '')
  return Number.isNaN(t) ? undefined : Math.max(0, Math.round((now - t) / 1000))
}

/** "45s", "12 min", "3 h", "2 d". */
export function humanAge(s: number | undefined): string {
  if (s === undefined) return '?'
  if (s < 120) return `${s}s`
  if (s < 7200) return `${Math.round(s / 60)} min`
  if (s < 172800) return `${Math.round(s / 3600)} h`
  return `${Math.round(s / 86400)} d`
}

/** Shortens one line of evidence to `max` characters (the table shows one line; JSON keeps the rest of the row). */
export function oneLine(text: string, max = 200): string {
  const t = text.replace(/\s+/g, ' ').trim()
  return t.length > max ? `${t.slice(0, max - 1)}…` : t
}

/** Whether `labels` satisfy an equality selector (a Service's spec.selector, a matchLabels map). */
export function matchesLabels(
  selector: Record<string, string> | undefined,
  labels: Record<string, string> | undefined,
): boolean {
  const entries = Object.entries(selector ?? {})
  return entries.length > 0 && entries.every(([k, v]) => labels?.[k] === v)
}

/** A label selector as kubectl prints it: "app=web,tier=frontend". */
export function selectorText(selector: Record<string, string> | undefined): string {
  return Object.entries(selector ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(',')
}

/** The controller ownerReference of an object, if any. */
export function controllerOf(o: KubeObject): { kind: string; name: string; uid: string } | undefined {
  return (o.metadata.ownerReferences ?? []).find((r) => r.controller) ?? o.metadata.ownerReferences?.[0]
}

/** The top-level controller of a pod: its ReplicaSet's Deployment, else its direct controller (StatefulSet, DaemonSet, Job…). */
export function podOwner(p: Pod, replicasets: readonly KubeObject[]): ObjectRef | undefined {
  const c = controllerOf(p)
  if (!c) return undefined
  const ns = p.metadata.namespace
  if (c.kind === 'ReplicaSet') {
    const rs = replicasets.find(
      (r) => r.metadata.uid === c.uid || (r.metadata.name === c.name && r.metadata.namespace === ns),
    )
    const d = rs && controllerOf(rs)
    if (d?.kind === 'Deployment') return { kind: 'Deployment', namespace: ns, name: d.name }
  }
  return { kind: c.kind, namespace: ns, name: c.name }
}

/** True when the pod's Ready condition is True. */
export function podReady(p: Pod): boolean {
  return (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True')
}

/** The pod's condition of a type. */
export function podCondition(p: Pod, type: string) {
  return (p.status?.conditions ?? []).find((c) => c.type === type)
}

/** Every container status of a pod, init containers first. */
export function containerStatuses(p: Pod) {
  return [...(p.status?.initContainerStatuses ?? []), ...(p.status?.containerStatuses ?? [])]
}

/**
 * The causes a symptom about these pods can have: each pod, then the node of each pod that is not Ready (a pod on a
 * NotReady node may not have a symptom of its own yet, while its node has).
 */
export function podCauses(pods: readonly Pod[]): string[] {
  const nodes = pods
    .filter((p) => !podReady(p) && p.spec.nodeName)
    .map((p) => objectKey({ kind: 'Node', name: p.spec.nodeName! }))
  return [...pods.map((p) => objectKey(refOf('Pod', p))), ...new Set(nodes)]
}

/** The EndpointSlices of a Service (label kubernetes.io/service-name in its namespace). */
export function slicesOf(slices: readonly EndpointSlice[], ns: string, name: string): EndpointSlice[] {
  return slices.filter(
    (s) => (s.metadata.namespace ?? 'default') === ns && s.metadata.labels?.['kubernetes.io/service-name'] === name,
  )
}

/** Endpoints of slices by readiness (an endpoint without conditions counts as ready, as kube-proxy counts it). */
export function endpointCounts(slices: readonly EndpointSlice[]): { ready: number; notReady: number } {
  let ready = 0
  let notReady = 0
  for (const s of slices) for (const e of s.endpoints ?? []) e.conditions?.ready === false ? notReady++ : ready++
  return { ready, notReady }
}

/** A recipe as the next step: the exact `kinspect run` command line with these parameters. */
export function recipeStep(recipe: string, params: Record<string, string>): NextStep {
  return { recipe, params, command: recipeCommand(recipe, params) }
}

/** A command (no recipe fits) as the next step. */
export function commandStep(command: string): NextStep {
  return { command }
}
