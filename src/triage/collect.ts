// The collector: every list the analyzers need, fetched in parallel, one call per kind per namespace (one per kind
// with -A), plus nodes, node leases, the metrics APIService and the cluster DNS. A call that fails is a check NOT
// SEEN with the reason and the access that would let it look; the other calls still run.
import type { EndpointSlice, KubeEvent, KubeObject, Lease, Node, Pod, Service } from '../kube/types.ts'
import type { KubeApi } from '../session.ts'
import { DNS, METRICS_APISERVICE } from './analyze/cluster.ts'
import type { CheckStatus, Snapshot, TriageScope } from './types.ts'
import { couldNotSee, type Access } from '../notseen.ts'

/** What the collector needs from the cluster client. */
export type TriageKube = Pick<KubeApi, 'get'>

/** The per-namespace kinds, as the API names their resources. */
export const NAMESPACED_KINDS = [
  'pods',
  'services',
  'endpointslices',
  'deployments',
  'replicasets',
  'statefulsets',
  'daemonsets',
  'events',
] as const
type Kind = (typeof NAMESPACED_KINDS)[number]

/** Options of collect(). */
export interface CollectOptions {
  /** Deadline of each API call in ms (default 10000): a call that takes longer is NOT SEEN. */
  timeoutMs?: number
  /** The clock ages are measured with (default Date.now; tests replay a capture at its own time). */
  now?: () => number
}

/** How an error reads in a check: its reason, and what to grant or configure when it could not look (src/notseen.ts). */
export function notSeen(check: string, e: unknown, access: Access): CheckStatus {
  const n = couldNotSee(e, access)
  const first = (t: string) => t.split('\n')[0]
  return {
    check,
    status: 'not-seen',
    reason: first(n?.reason ?? String((e as { message?: unknown })?.message ?? e)),
    ...(n?.grant ? { grant: n.grant } : n?.configure ? { configure: n.configure } : {}),
  }
}

const asList = <T>(v: unknown): T[] => (Array.isArray(v) ? (v as T[]) : v ? [v as T] : [])

/** Reads the snapshot the analyzers need; never throws for an API failure (see the checks). */
export async function collect(
  kube: TriageKube,
  scope: TriageScope,
  opts: CollectOptions = {},
): Promise<{ snapshot: Snapshot; checks: CheckStatus[] }> {
  const timeoutMs = opts.timeoutMs ?? 10_000
  const all = 'allNamespaces' in scope
  const namespaces = all ? [] : scope.namespaces
  const lists: Record<Kind, KubeObject[]> = {
    pods: [],
    services: [],
    endpointslices: [],
    deployments: [],
    replicasets: [],
    statefulsets: [],
    daemonsets: [],
    events: [],
  }
  const checks: CheckStatus[] = []
  const snap: Pick<Snapshot, 'scope' | 'nodes' | 'leases' | 'metricsAPI'> = { scope, nodes: [], leases: [] }
  const track = async (check: string, access: Access, read: () => Promise<number>) => {
    try {
      checks.push({ check, status: 'seen', count: await read() })
    } catch (e) {
      checks.push(notSeen(check, e, access))
    }
  }
  const tasks: Promise<void>[] = []
  for (const kind of NAMESPACED_KINDS) {
    if (all)
      tasks.push(
        track(
          `${kind} in all namespaces`,
          { verb: 'list', resource: kind, all: true },
          async () =>
            (lists[kind] = asList(await kube.get(kind, undefined, { allNamespaces: true, timeoutMs }))).length,
        ),
      )
    for (const ns of namespaces) {
      tasks.push(
        track(`${kind} in ${ns}`, { verb: 'list', resource: kind, namespace: ns }, async () => {
          const got = asList<KubeObject>(await kube.get(kind, undefined, { namespace: ns, timeoutMs }))
          lists[kind].push(...got)
          return got.length
        }),
      )
    }
  }
  tasks.push(
    track(
      'nodes',
      { verb: 'list', resource: 'nodes' },
      async () => (snap.nodes = asList<Node>(await kube.get('nodes', undefined, { timeoutMs }))).length,
    ),
  )
  tasks.push(
    track(
      'node leases',
      { verb: 'list', resource: 'leases', namespace: 'kube-node-lease' },
      async () =>
        (snap.leases = asList<Lease>(await kube.get('leases', undefined, { namespace: 'kube-node-lease', timeoutMs })))
          .length,
    ),
  )
  tasks.push(
    track('metrics APIService', { verb: 'get', resource: 'apiservices' }, async () => {
      try {
        snap.metricsAPI =
          asList<KubeObject>(await kube.get('apiservices', METRICS_APISERVICE, { timeoutMs }))[0] ?? null
        return 1
      } catch (e) {
        if ((e as { kind?: string }).kind !== 'notfound') throw e
        snap.metricsAPI = null // not registered: nothing to judge
        return 0
      }
    }),
  )
  const dnsInScope = all || namespaces.includes(DNS.namespace)
  let dns: Snapshot['dns']
  if (!dnsInScope) {
    const ns = { namespace: DNS.namespace, timeoutMs }
    const sel = { [DNS.label]: DNS.value }
    tasks.push(
      track(
        `cluster DNS in ${DNS.namespace}`,
        { verb: 'list', resource: 'pods, services, endpointslices, deployments', namespace: DNS.namespace },
        async () => {
          const [service, pods, slices, deployments] = await Promise.all([
            kube.get('services', DNS.service, ns).then(
              (s) => asList<Service>(s)[0],
              (e) => ((e as { kind?: string }).kind === 'notfound' ? undefined : Promise.reject(e)),
            ),
            kube.get('pods', undefined, { ...ns, selector: sel }),
            kube.get('endpointslices', undefined, { ...ns, selector: { 'kubernetes.io/service-name': DNS.service } }),
            kube.get('deployments', undefined, { ...ns, selector: sel }),
          ])
          dns = {
            service,
            pods: asList<Pod>(pods),
            slices: asList<EndpointSlice>(slices),
            deployments: asList<KubeObject>(deployments),
          }
          return dns.pods.length
        },
      ),
    )
  }
  await Promise.all(tasks)
  const pods = lists.pods as Pod[]
  const services = lists.services as Service[]
  const slices = lists.endpointslices as EndpointSlice[]
  if (dnsInScope && checks.some((c) => c.check.startsWith('services') && c.status === 'seen')) {
    const inSys = <T extends KubeObject>(xs: T[]) => xs.filter((x) => x.metadata.namespace === DNS.namespace)
    dns = {
      service: inSys(services).find((s) => s.metadata.name === DNS.service),
      pods: inSys(pods).filter((p) => p.metadata.labels?.[DNS.label] === DNS.value),
      slices: inSys(slices).filter((s) => s.metadata.labels?.['kubernetes.io/service-name'] === DNS.service),
      deployments: inSys(lists.deployments).filter((d) => d.metadata.labels?.[DNS.label] === DNS.value),
    }
  }
  // Checks in a stable order (they finish in any order).
  checks.sort((a, b) => a.check.localeCompare(b.check))
  return {
    snapshot: {
      ...snap,
      now: (opts.now ?? Date.now)(),
      pods,
      services,
      slices,
      deployments: lists.deployments,
      replicasets: lists.replicasets,
      statefulsets: lists.statefulsets,
      daemonsets: lists.daemonsets,
      events: lists.events as KubeEvent[],
      dns,
    },
    checks,
  }
}

/**
 * The namespaces of the scope that do not exist. The API lists nothing for a namespace that does not exist, as for an
 * empty one; only a namespace with nothing in any list is looked up (so a typo is not reported as "nothing wrong").
 * A lookup that fails for another reason (forbidden, timeout) proves nothing and is left out.
 */
export async function missingNamespaces(
  kube: TriageKube,
  scope: TriageScope,
  snapshot: Pick<
    Snapshot,
    'pods' | 'services' | 'slices' | 'deployments' | 'replicasets' | 'statefulsets' | 'daemonsets' | 'events'
  >,
  timeoutMs = 10_000,
): Promise<string[]> {
  if ('allNamespaces' in scope) return []
  const s = snapshot
  const seen = new Set(
    [s.pods, s.services, s.slices, s.deployments, s.replicasets, s.statefulsets, s.daemonsets, s.events]
      .flat()
      .map((o) => o.metadata.namespace),
  )
  const empty = scope.namespaces.filter((ns) => !seen.has(ns))
  const gone = await Promise.all(
    empty.map((ns) =>
      kube.get('namespaces', ns, { timeoutMs }).then(
        () => false,
        (e: unknown) => (e as { kind?: unknown })?.kind === 'notfound',
      ),
    ),
  )
  return empty.filter((_, i) => gone[i])
}
