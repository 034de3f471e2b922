// Kind names -> REST resources (built-in table, then API discovery), name args and selectors -> URL parts. Pure.
import { received } from '../errors.ts'
import { isLabelKey, isObjectName } from '../names.ts'
import { KubeError } from './errors.ts'
import type { NameArg, Selector } from './types.ts'

/** A REST resource: where a kind lives. */
export interface ResourceInfo {
  group: string
  version: string
  /** Plural, lower case: "pods". */
  resource: string
  kind: string
  namespaced: boolean
  /** Names that select it: singular, short names, kind. */
  aliases: string[]
}

const r = (
  group: string,
  version: string,
  resource: string,
  kind: string,
  namespaced: boolean,
  ...aliases: string[]
): ResourceInfo => ({ group, version, resource, kind, namespaced, aliases })

/** The common kinds, so get() needs no discovery round trip for them. */
export const BUILTIN_RESOURCES: ResourceInfo[] = [
  r('', 'v1', 'pods', 'Pod', true, 'pod', 'po'),
  r('', 'v1', 'services', 'Service', true, 'service', 'svc'),
  r('', 'v1', 'endpoints', 'Endpoints', true, 'ep'),
  r('', 'v1', 'nodes', 'Node', false, 'node', 'no'),
  r('', 'v1', 'namespaces', 'Namespace', false, 'namespace', 'ns'),
  r('', 'v1', 'events', 'Event', true, 'event', 'ev'),
  r('', 'v1', 'configmaps', 'ConfigMap', true, 'configmap', 'cm'),
  r('', 'v1', 'secrets', 'Secret', true, 'secret'),
  r('', 'v1', 'serviceaccounts', 'ServiceAccount', true, 'serviceaccount', 'sa'),
  r('', 'v1', 'persistentvolumeclaims', 'PersistentVolumeClaim', true, 'persistentvolumeclaim', 'pvc'),
  r('', 'v1', 'persistentvolumes', 'PersistentVolume', false, 'persistentvolume', 'pv'),
  r('', 'v1', 'resourcequotas', 'ResourceQuota', true, 'resourcequota', 'quota'),
  r('apps', 'v1', 'deployments', 'Deployment', true, 'deployment', 'deploy'),
  r('apps', 'v1', 'replicasets', 'ReplicaSet', true, 'replicaset', 'rs'),
  r('apps', 'v1', 'statefulsets', 'StatefulSet', true, 'statefulset', 'sts'),
  r('apps', 'v1', 'daemonsets', 'DaemonSet', true, 'daemonset', 'ds'),
  r('batch', 'v1', 'jobs', 'Job', true, 'job'),
  r('batch', 'v1', 'cronjobs', 'CronJob', true, 'cronjob', 'cj'),
  r('discovery.k8s.io', 'v1', 'endpointslices', 'EndpointSlice', true, 'endpointslice'),
  r('networking.k8s.io', 'v1', 'ingresses', 'Ingress', true, 'ingress', 'ing'),
  r('networking.k8s.io', 'v1', 'networkpolicies', 'NetworkPolicy', true, 'networkpolicy', 'netpol'),
  r('coordination.k8s.io', 'v1', 'leases', 'Lease', true, 'lease'),
  r('apiregistration.k8s.io', 'v1', 'apiservices', 'APIService', false, 'apiservice'),
]

/** Finds a resource by plural, singular, short name or Kind (case-insensitive), optionally "plural.group". */
export function findResource(kind: string, table: ResourceInfo[]): ResourceInfo | undefined {
  const k = kind.toLowerCase()
  const dot = k.indexOf('.')
  const [name, group] = dot > 0 ? [k.slice(0, dot), k.slice(dot + 1)] : [k, undefined]
  const matches = (x: ResourceInfo) => x.resource === name || x.kind.toLowerCase() === name || x.aliases.includes(name)
  return table.find((x) => matches(x) && (group === undefined || x.group === group))
}

/** Reads an aggregated discovery document (apidiscovery.k8s.io/v2 APIGroupDiscoveryList) into ResourceInfos. */
export function resourcesFromDiscovery(doc: any): ResourceInfo[] {
  const out: ResourceInfo[] = []
  for (const g of doc?.items ?? []) {
    const group = g?.metadata?.name ?? ''
    const v = (g?.versions ?? [])[0] // versions are listed in preference order
    for (const res of v?.resources ?? []) {
      if (!res?.resource || !res?.responseKind?.kind) continue
      out.push(
        r(
          group,
          v.version,
          res.resource,
          res.responseKind.kind,
          res.scope === 'Namespaced',
          ...[res.singularResource, ...(res.shortNames ?? [])].filter(Boolean),
        ),
      )
    }
  }
  return out
}

/** Reads a legacy APIResourceList (/api/v1 or /apis/G/V) into ResourceInfos (subresources dropped). */
export function resourcesFromList(doc: any, group: string, version: string): ResourceInfo[] {
  return (doc?.resources ?? [])
    .filter((x: any) => x?.name && !x.name.includes('/'))
    .map((x: any) =>
      r(
        group,
        version,
        x.name,
        x.kind,
        x.namespaced === true,
        ...[x.singularName, ...(x.shortNames ?? [])].filter(Boolean),
      ),
    )
}

/** URL path of a resource collection or object. */
export function resourcePath(
  res: Pick<ResourceInfo, 'group' | 'version' | 'resource' | 'namespaced'>,
  namespace?: string,
  name?: string,
  sub?: string,
): string {
  const base = res.group ? `/apis/${res.group}/${res.version}` : `/api/${res.version}`
  const ns = res.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : ''
  return `${base}${ns}/${res.resource}${name ? `/${encodeURIComponent(name)}` : ''}${sub ? `/${sub}` : ''}`
}

/** apiVersion string of a resource ("v1", "apps/v1"). */
export function apiVersionOf(res: Pick<ResourceInfo, 'group' | 'version'>): string {
  return res.group ? `${res.group}/${res.version}` : res.version
}

/** Splits "name" / "namespace/name" / {metadata} into parts; validates and names the argument on bad input. */
export function parseName(arg: NameArg, argName = 'name'): { name: string; namespace?: string } {
  if (arg && typeof arg === 'object' && typeof (arg as any).metadata?.name === 'string') {
    return { name: arg.metadata.name, namespace: arg.metadata.namespace || undefined }
  }
  if (typeof arg !== 'string') {
    throw new KubeError(
      'invalid',
      `${argName}: expected "name", "namespace/name" or an object with metadata.name, received ${received(arg)}`,
    )
  }
  const parts = arg.split('/')
  const bad = parts.length > 2 || parts.some((p) => !isObjectName(p))
  if (bad)
    throw new KubeError(
      'invalid',
      `${argName}: expected "name" or "namespace/name", received ${JSON.stringify(arg)}`,
      'names are lower-case letters, digits, "-" and "."',
    )
  return parts.length === 2 ? { namespace: parts[0], name: parts[1] } : { name: parts[0] }
}

/** A selector (string, label map or LabelSelector) as the labelSelector query string; validates. */
export function selectorString(sel: Selector | undefined, argName = 'selector'): string | undefined {
  if (sel === undefined || sel === null || sel === '') return undefined
  if (typeof sel === 'string') return sel.trim() || undefined
  if (typeof sel !== 'object' || Array.isArray(sel))
    throw new KubeError(
      'invalid',
      `${argName}: expected a label selector string ("app=web") or a map ({app: 'web'}), received ${received(sel)}`,
    )
  const out: string[] = []
  const isLabelSelector = 'matchLabels' in sel || 'matchExpressions' in sel
  const labels: Record<string, unknown> = isLabelSelector
    ? ((sel as any).matchLabels ?? {})
    : (sel as Record<string, unknown>)
  for (const [k, v] of Object.entries(labels)) {
    if (!isLabelKey(k) || typeof v !== 'string')
      throw new KubeError(
        'invalid',
        `${argName}: label ${JSON.stringify(k)} must map to a string value, received ${received(v)}`,
        'pass options (namespace, allNamespaces) as the second argument: pods(undefined, {namespace: "shop"})',
      )
    out.push(`${k}=${v}`)
  }
  for (const e of isLabelSelector ? ((sel as any).matchExpressions ?? []) : []) {
    const vals = (e.values ?? []).join(',')
    switch (e.operator) {
      case 'In':
        out.push(`${e.key} in (${vals})`)
        break
      case 'NotIn':
        out.push(`${e.key} notin (${vals})`)
        break
      case 'Exists':
        out.push(e.key)
        break
      case 'DoesNotExist':
        out.push(`!${e.key}`)
        break
      default:
        throw new KubeError(
          'invalid',
          `${argName}: unknown matchExpressions operator ${JSON.stringify(e.operator)}`,
          'expected In, NotIn, Exists or DoesNotExist',
        )
    }
  }
  return out.length ? out.join(',') : undefined
}

/** Duration for logs' since: number of seconds or "90s", "5m", "1h30m". */
export function parseSince(v: number | string, argName = 'since'): number {
  if (typeof v === 'number' && Number.isFinite(v) && v > 0) return Math.ceil(v)
  if (typeof v === 'string') {
    const m = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(v.trim())
    if (m && v.trim() !== '') {
      const s = Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0)
      if (s > 0) return s
    }
    if (/^\d+$/.test(v.trim()) && Number(v) > 0) return Number(v)
  }
  throw new KubeError(
    'invalid',
    `${argName}: expected seconds or a duration like "90s", "5m", "1h", received ${received(v)}`,
  )
}

/** Builds a query string from defined values ("" when none). */
export function query(q: Record<string, string | number | boolean | undefined>): string {
  const p = new URLSearchParams()
  for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== false) p.set(k, String(v))
  const s = p.toString()
  return s ? `?${s}` : ''
}

const AGGREGATED =
  'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json'

/** Every resource the server serves: aggregated discovery (2 requests), else the legacy per-group walk. */
export async function discoverResources(get: (path: string, accept?: string) => Promise<any>): Promise<ResourceInfo[]> {
  const [core, groups] = await Promise.all([get('/api', AGGREGATED), get('/apis', AGGREGATED)])
  if (core?.kind === 'APIGroupDiscoveryList' && groups?.kind === 'APIGroupDiscoveryList') {
    return [...resourcesFromDiscovery(core), ...resourcesFromDiscovery(groups)]
  }
  const lists = await Promise.all([
    get('/api/v1').then((d) => resourcesFromList(d, '', 'v1')),
    ...(groups?.groups ?? []).map((g: any) => {
      const gv = g.preferredVersion?.groupVersion ?? g.versions?.[0]?.groupVersion
      if (!gv) return Promise.resolve([])
      return get(`/apis/${gv}`).then(
        (d) => resourcesFromList(d, g.name, gv.split('/')[1]),
        () => [] as ResourceInfo[],
      )
    }),
  ])
  return lists.flat()
}
