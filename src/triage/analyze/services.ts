// Services: no ready endpoints (and why: no pod matches, or the matching pods are not ready), and a targetPort that
// no selected pod declares.
import type { Pod, Service } from '../../kube/types.ts'
import {
  ageSeconds,
  containerStatuses,
  endpointCounts,
  matchesLabels,
  nsName,
  oneLine,
  podCauses,
  podReady,
  recipeStep,
  refOf,
  selectorText,
  slicesOf,
} from '../objects.ts'
import type { Snapshot, Symptom } from '../types.ts'

/** A new Service gets its EndpointSlices within a moment: its endpoints are not judged before this age. */
export const SERVICE_GRACE_SECONDS = 5

/** What a not-ready pod is doing, in a few words ("CrashLoopBackOff", "Pending", "not Ready"). */
function podState(p: Pod): string {
  const waiting = containerStatuses(p)
    .map((c) => c.state?.waiting?.reason)
    .find(Boolean)
  if (waiting) return waiting
  if (p.status?.phase !== 'Running') return p.status?.phase ?? 'no phase'
  return podReady(p) ? 'Ready' : 'not Ready'
}

/** Why no selected pod serves a port: undefined when some selected pod declares it (or none declares any port). */
function targetPortProblem(svc: Service, pods: readonly Pod[]): string | undefined {
  const declaring = pods.filter((p) => p.spec.containers.some((c) => (c.ports ?? []).length))
  if (!declaring.length) return undefined
  for (const sp of svc.spec.ports ?? []) {
    const target = sp.targetPort ?? sp.port
    const proto = sp.protocol ?? 'TCP'
    const served = declaring.some((p) =>
      p.spec.containers.some((c) =>
        (c.ports ?? []).some(
          (cp) =>
            (cp.protocol ?? 'TCP') === proto &&
            (typeof target === 'number' || /^\d+$/.test(String(target))
              ? cp.containerPort === Number(target)
              : cp.name === target),
        ),
      ),
    )
    if (served) continue
    const declared = [
      ...new Set(
        declaring.flatMap((p) =>
          p.spec.containers.flatMap((c) =>
            (c.ports ?? []).map((cp) => `${cp.name ? `${cp.name}=` : ''}${cp.containerPort}/${cp.protocol ?? 'TCP'}`),
          ),
        ),
      ),
    ]
    return `port ${sp.name ? `${sp.name} ` : ''}${sp.port}/${proto} -> targetPort ${target}: the ${declaring.length} selected pod${declaring.length === 1 ? ' declares' : 's declare'} ${declared.join(', ')}`
  }
  return undefined
}

/** Every Service symptom of the snapshot (skip: Services another analyzer reports, e.g. kube-dns). */
export function analyzeServices(
  snap: Pick<Snapshot, 'now' | 'services' | 'slices' | 'pods'>,
  skip: (s: Service) => boolean = () => false,
): Symptom[] {
  const out: Symptom[] = []
  for (const svc of snap.services) {
    if (skip(svc) || svc.spec.type === 'ExternalName' || !Object.keys(svc.spec.selector ?? {}).length) continue
    const ns = svc.metadata.namespace ?? 'default'
    const selected = snap.pods.filter(
      (p) =>
        (p.metadata.namespace ?? 'default') === ns &&
        !p.metadata.deletionTimestamp &&
        matchesLabels(svc.spec.selector, p.metadata.labels),
    )
    const { ready, notReady } = endpointCounts(slicesOf(snap.slices, ns, svc.metadata.name))
    const base = {
      layer: 'service' as const,
      object: refOf('Service', svc),
      next: recipeStep('svc', { service: nsName(svc) }),
      causes: podCauses(selected),
    }
    const sel = selectorText(svc.spec.selector)
    const young = (ageSeconds(svc.metadata.creationTimestamp, snap.now) ?? Infinity) < SERVICE_GRACE_SECONDS
    if (ready === 0 && !young) {
      const evidence = selected.length
        ? `selector ${sel} matches ${selected.length} pod${selected.length === 1 ? '' : 's'}, none ready: ${selected
            .slice(0, 3)
            .map((p) => `${p.metadata.name} ${podState(p)}`)
            .join(', ')}${selected.length > 3 ? ', …' : ''}${notReady ? ` (${notReady} not-ready endpoints)` : ''}`
        : `selector ${sel} matches no pod in ${ns}`
      out.push({
        ...base,
        code: 'svc-no-endpoints',
        severity: 'fail',
        symptom: 'no ready endpoints',
        evidence: oneLine(evidence),
      })
      continue
    }
    // The targetPort is judged on the pods' declared ports, so even a Service too young for its endpoints.
    const problem = targetPortProblem(svc, selected)
    if (problem)
      out.push({
        ...base,
        code: 'svc-targetport',
        severity: 'fail',
        symptom: 'targetPort matches no container port',
        evidence: oneLine(problem),
        causes: [],
      })
  }
  return out
}
