// Snapshots for the analyzers from the objects captured on the lab (test/fixtures/lab/triage/CASE.json, written by
// `npm run lab -- capture triage`), scoped as the collector scopes them: -A, or namespaces plus the cluster DNS.
import fs from 'node:fs'
import path from 'node:path'
import type { EndpointSlice, KubeEvent, KubeObject, Lease, Node, Pod, Service } from '../../src/kube/types.ts'
import type { Snapshot, TriageScope } from '../../src/triage/types.ts'

const dir = path.resolve(import.meta.dirname, '..', 'fixtures', 'lab', 'triage')

/** The cases captured: each a set of lab scenarios that were on. */
export const CASES = fs
  .readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .map((f) => f.replace(/\.json$/, ''))
  .sort()

interface Capture {
  capturedAt: string
  scenarios: string[]
  lists: Record<
    | 'pods'
    | 'services'
    | 'endpointslices'
    | 'deployments'
    | 'replicasets'
    | 'statefulsets'
    | 'daemonsets'
    | 'events'
    | 'nodes'
    | 'leases'
    | 'apiservices',
    KubeObject[]
  >
}

/** The raw capture of a case. */
export function capture(name: string): Capture {
  return JSON.parse(fs.readFileSync(path.join(dir, `${name}.json`), 'utf8')) as Capture
}

/** The snapshot the collector would have read in that state, for that scope (`now` is the capture time). */
export function labSnapshot(name: string, scope: TriageScope = { allNamespaces: true }): Snapshot {
  const c = capture(name)
  const l = c.lists
  const inScope = <T extends KubeObject>(xs: KubeObject[]) =>
    ('allNamespaces' in scope ? xs : xs.filter((x) => scope.namespaces.includes(x.metadata.namespace ?? ''))) as T[]
  const sys = <T extends KubeObject>(xs: KubeObject[]) =>
    xs.filter((x) => x.metadata.namespace === 'kube-system') as T[]
  return {
    now: Date.parse(c.capturedAt),
    scope,
    pods: inScope<Pod>(l.pods),
    services: inScope<Service>(l.services),
    slices: inScope<EndpointSlice>(l.endpointslices),
    deployments: inScope(l.deployments),
    replicasets: inScope(l.replicasets),
    statefulsets: inScope(l.statefulsets),
    daemonsets: inScope(l.daemonsets),
    events: inScope<KubeEvent>(l.events),
    nodes: l.nodes as Node[],
    leases: l.leases as Lease[],
    metricsAPI: l.apiservices[0] ?? null,
    dns: {
      service: sys<Service>(l.services).find((s) => s.metadata.name === 'kube-dns'),
      pods: sys<Pod>(l.pods).filter((p) => p.metadata.labels?.['k8s-app'] === 'kube-dns'),
      slices: sys<EndpointSlice>(l.endpointslices).filter(
        (s) => s.metadata.labels?.['kubernetes.io/service-name'] === 'kube-dns',
      ),
      deployments: sys(l.deployments).filter((d) => d.metadata.labels?.['k8s-app'] === 'kube-dns'),
    },
  }
}
