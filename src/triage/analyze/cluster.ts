// The cluster's shared services: the cluster DNS (CoreDNS behind kube-system/kube-dns) and the metrics API.
import type { KubeObject, Pod } from '../../kube/types.ts'
import {
  commandStep,
  containerStatuses,
  endpointCounts,
  objectKey,
  oneLine,
  podCauses,
  podReady,
  recipeStep,
  refOf,
} from '../objects.ts'
import type { NextStep, Snapshot, Symptom } from '../types.ts'

/** The label CoreDNS (and kube-dns before it) carries, and the Service in front of it. */
export const DNS = { namespace: 'kube-system', service: 'kube-dns', label: 'k8s-app', value: 'kube-dns' } as const
/** The APIService of the resource metrics API (metrics-server). */
export const METRICS_APISERVICE = 'v1beta1.metrics.k8s.io'

/** A running, ready pod to test DNS from (the dns recipe needs one): outside kube-system if there is one. */
export function dnsProbePod(pods: readonly Pod[]): Pod | undefined {
  const ok = pods.filter(
    (p) => p.status?.phase === 'Running' && podReady(p) && !p.spec.hostNetwork && !p.metadata.deletionTimestamp,
  )
  return ok.find((p) => p.metadata.namespace !== DNS.namespace) ?? ok[0]
}

function dnsSymptom(snap: Pick<Snapshot, 'dns' | 'pods'>): Symptom | undefined {
  const dns = snap.dns
  if (!dns?.service) return undefined
  const { ready } = endpointCounts(dns.slices)
  const desired = dns.deployments.reduce((n, d) => n + (d.spec?.replicas ?? 1), 0)
  const probe = dnsProbePod(snap.pods)
  const next: NextStep = probe
    ? recipeStep('dns', { pod: `${probe.metadata.namespace}/${probe.metadata.name}` })
    : commandStep(`kubectl get pods -n ${DNS.namespace} -l ${DNS.label}=${DNS.value} -o wide`)
  const base = { layer: 'cluster' as const, object: refOf('Service', dns.service), next, causes: podCauses(dns.pods) }
  const podText = dns.pods
    .map(
      (p) =>
        `${p.metadata.name} ${
          containerStatuses(p)
            .map((c) => c.state?.waiting?.reason)
            .find(Boolean) ?? (podReady(p) ? 'Ready' : (p.status?.phase ?? '?'))
        }`,
    )
    .join(', ')
  const deploys = dns.deployments.map((d) => d.metadata.name).join(', ')
  if (ready === 0) {
    const why =
      dns.deployments.length && desired === 0
        ? `Deployment ${deploys} is scaled to 0 replicas`
        : dns.pods.length
          ? `${dns.pods.filter(podReady).length} of ${dns.pods.length} CoreDNS pods ready (${podText})`
          : 'no CoreDNS pod exists'
    return {
      ...base,
      code: 'cluster-dns',
      severity: 'fail',
      symptom: 'cluster DNS down: no ready endpoint',
      evidence: oneLine(`${DNS.namespace}/${DNS.service} has no ready endpoint: ${why}; every lookup from a pod fails`),
    }
  }
  if (desired > 0 && ready < desired)
    return {
      ...base,
      code: 'cluster-dns',
      severity: 'warn',
      symptom: 'cluster DNS degraded',
      evidence: oneLine(`${ready} of ${desired} CoreDNS endpoints ready (${podText})`),
    }
  return undefined
}

function metricsSymptom(api: KubeObject | null | undefined): Symptom | undefined {
  if (!api) return undefined
  const c = (
    (api.status?.conditions ?? []) as { type: string; status: string; reason?: string; message?: string }[]
  ).find((x) => x.type === 'Available')
  if (c?.status === 'True') return undefined
  const svc = api.spec?.service as { namespace?: string; name?: string } | undefined
  const svcRef = svc?.name ? { kind: 'Service', namespace: svc.namespace ?? 'default', name: svc.name } : undefined
  return {
    code: 'metrics-api',
    severity: 'warn',
    layer: 'cluster',
    object: { kind: 'APIService', name: api.metadata.name },
    symptom: 'metrics API unavailable',
    evidence: oneLine(
      `Available=${c?.status ?? 'Unknown'}${c?.reason ? ` (${c.reason})` : ''}: ${c?.message ?? 'no condition'}; kubectl top and autoscaling do not work`,
    ),
    next: svcRef
      ? recipeStep('svc', { service: `${svcRef.namespace}/${svcRef.name}` })
      : commandStep(`kubectl describe apiservice ${api.metadata.name}`),
    causes: svcRef ? [objectKey(svcRef)] : [],
  }
}

/** The cluster DNS and metrics API symptoms of the snapshot. */
export function analyzeCluster(snap: Pick<Snapshot, 'dns' | 'pods' | 'metricsAPI'>): Symptom[] {
  return [dnsSymptom(snap), metricsSymptom(snap.metricsAPI)].filter((s): s is Symptom => s !== undefined)
}

/** True for the kube-dns Service and CoreDNS Deployments, which the cluster DNS symptom covers. */
export function isClusterDns(o: KubeObject): boolean {
  return (
    o.metadata.namespace === DNS.namespace &&
    (o.metadata.name === DNS.service || o.metadata.labels?.[DNS.label] === DNS.value)
  )
}
