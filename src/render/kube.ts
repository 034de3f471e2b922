// kubectl-like tables for API objects: object -> rows -> text (pure; `now` and colour are parameters).
import type {
  EndpointSlice,
  KubeEvent,
  KubeObject,
  Node,
  NodeMetrics,
  Pod,
  PodMetrics,
  Service,
} from '../kube/types.ts'
import { renderTable, colorEnabled, type Cell, type Rows } from './table.ts'
import { nodeUsage, podUsage } from '../kube/top.ts'
import { nodeUsageRows, podUsageRows } from './top.ts'
import { eventTime, nodeRoles, nodeStatus, podColumns } from '../kube/status.ts'
import {
  age,
  formatLabels,
  nodeAddress,
  restartsCell,
  serviceExternalIP,
  servicePorts,
  statusStyle,
} from './kube-format.ts'

/** Options shared by the kube tables. */
export interface KubeTableOptions {
  /** Reference time for ages (default Date.now()). */
  now?: number
  color?: boolean
  /** Show a NAMESPACE column; default: when the rows span more than one namespace. */
  namespaceColumn?: boolean
}

function withNamespace(items: KubeObject[], r: Rows, opt?: boolean): Rows {
  const show = opt ?? new Set(items.map((i) => i.metadata?.namespace ?? '')).size > 1
  if (!show) return r
  return {
    headers: ['NAMESPACE', ...r.headers],
    rows: r.rows.map((row, i) => [items[i].metadata?.namespace ?? '', ...row]),
  }
}

/** kubectl get pods -o wide (first columns): NAME READY STATUS RESTARTS AGE IP NODE. */
export function podRows(pods: Pod[], o: KubeTableOptions = {}): Rows {
  const now = o.now ?? Date.now()
  const rows = pods.map((p): Cell[] => {
    const c = podColumns(p)
    const ip = p.status?.podIPs?.[0]?.ip || p.status?.podIP || '<none>'
    return [
      p.metadata.name,
      c.ready,
      { text: c.status, style: statusStyle(c.status) },
      { text: restartsCell(c, now), style: c.restarts > 0 ? 'yellow' : undefined },
      age(p.metadata.creationTimestamp, now),
      ip,
      p.spec?.nodeName || '<none>',
    ]
  })
  return withNamespace(
    pods,
    { headers: ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE', 'IP', 'NODE'], rows },
    o.namespaceColumn,
  )
}

/** kubectl get svc -o wide: NAME TYPE CLUSTER-IP EXTERNAL-IP PORT(S) AGE SELECTOR. */
export function serviceRows(svcs: Service[], o: KubeTableOptions = {}): Rows {
  const now = o.now ?? Date.now()
  const rows = svcs.map((s): Cell[] => [
    s.metadata.name,
    s.spec?.type ?? 'ClusterIP',
    s.spec?.clusterIPs?.[0] || s.spec?.clusterIP || '<none>',
    serviceExternalIP(s),
    servicePorts(s),
    age(s.metadata.creationTimestamp, now),
    formatLabels(s.spec?.selector),
  ])
  return withNamespace(
    svcs,
    { headers: ['NAME', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'AGE', 'SELECTOR'], rows },
    o.namespaceColumn,
  )
}

/** kubectl get nodes -o wide (first columns): NAME STATUS ROLES AGE VERSION INTERNAL-IP. */
export function nodeRows(nodes: Node[], o: KubeTableOptions = {}): Rows {
  const now = o.now ?? Date.now()
  const rows = nodes.map((n): Cell[] => {
    const st = nodeStatus(n)
    const roles = nodeRoles(n)
    return [
      n.metadata.name,
      { text: st, style: statusStyle(st.split(',')[0]) },
      roles.length ? roles.join(',') : '<none>',
      age(n.metadata.creationTimestamp, now),
      n.status?.nodeInfo?.kubeletVersion ?? '',
      nodeAddress(n, 'InternalIP'),
    ]
  })
  return { headers: ['NAME', 'STATUS', 'ROLES', 'AGE', 'VERSION', 'INTERNAL-IP'], rows }
}

/** kubectl get events: LAST SEEN TYPE REASON OBJECT MESSAGE (oldest first). */
export function eventRows(events: KubeEvent[], o: KubeTableOptions = {}): Rows {
  const now = o.now ?? Date.now()
  const rows = events.map((e): Cell[] => {
    const n = e.series?.count ?? e.count ?? 1
    const last = age(eventTime(e), now)
    const seen = n > 1 && e.firstTimestamp ? `${last} (x${n} over ${age(e.firstTimestamp, now)})` : last
    return [
      seen,
      { text: e.type ?? '', style: e.type === 'Warning' ? 'yellow' : undefined },
      e.reason ?? '',
      `${(e.involvedObject?.kind ?? '').toLowerCase()}/${e.involvedObject?.name ?? ''}`,
      e.message ?? '',
    ]
  })
  return withNamespace(
    events,
    { headers: ['LAST SEEN', 'TYPE', 'REASON', 'OBJECT', 'MESSAGE'], rows },
    o.namespaceColumn,
  )
}

/** One row per endpoint of EndpointSlices: SLICE ADDRESS READY TARGET NODE PORTS. */
export function endpointSliceRows(slices: EndpointSlice[], _o: KubeTableOptions = {}): Rows {
  const rows: Cell[][] = []
  for (const s of slices) {
    const ports =
      (s.ports ?? []).map((p) => `${p.name ? `${p.name} ` : ''}${p.port ?? '*'}/${p.protocol ?? 'TCP'}`).join(',') ||
      '<none>'
    const eps = s.endpoints ?? []
    if (eps.length === 0) rows.push([s.metadata.name, '<none>', '', '', '', ports])
    for (const e of eps) {
      const ready = e.conditions?.ready !== false
      const t = e.targetRef ? `${(e.targetRef.kind ?? '').toLowerCase()}/${e.targetRef.name ?? ''}` : ''
      const state = ready ? 'true' : e.conditions?.terminating ? 'terminating' : 'false'
      rows.push([
        s.metadata.name,
        e.addresses.join(','),
        { text: state, style: ready ? 'green' : 'red' },
        t,
        e.nodeName ?? '',
        ports,
      ])
    }
  }
  return { headers: ['SLICE', 'ADDRESS', 'READY', 'TARGET', 'NODE', 'PORTS'], rows }
}

/** Raw metrics.k8s.io lists (e.g. get('pods.metrics.k8s.io')): the same numbers as top(), NAME CPU(cores) MEMORY(bytes). */
export function metricsRows(items: (PodMetrics | NodeMetrics)[], o: KubeTableOptions = {}): Rows {
  if (items.length > 0 && (items[0] as NodeMetrics).usage) return nodeUsageRows(nodeUsage(items as NodeMetrics[], []))
  return podUsageRows(podUsage(items as PodMetrics[]), { namespaceColumn: o.namespaceColumn })
}

/** Any kind: NAME AGE (Deployments add READY UP-TO-DATE AVAILABLE). */
export function genericRows(items: KubeObject[], o: KubeTableOptions = {}): Rows {
  const now = o.now ?? Date.now()
  const deploy =
    items.length > 0 &&
    items.every((i) => i.kind === 'Deployment' || i.kind === 'StatefulSet' || i.kind === 'ReplicaSet')
  const rows = items.map((i): Cell[] => {
    if (!deploy) return [i.metadata.name, age(i.metadata.creationTimestamp, now)]
    const want = i.spec?.replicas ?? 0
    const ready = i.status?.readyReplicas ?? 0
    return [
      i.metadata.name,
      { text: `${ready}/${want}`, style: ready === want ? undefined : 'yellow' },
      String(i.status?.updatedReplicas ?? 0),
      String(i.status?.availableReplicas ?? 0),
      age(i.metadata.creationTimestamp, now),
    ]
  })
  const headers = deploy ? ['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE'] : ['NAME', 'AGE']
  return withNamespace(items, { headers, rows }, o.namespaceColumn)
}

/** Rows for a homogeneous list, chosen by kind (items carry kind). */
export function kubeRows(kind: string, items: KubeObject[], o: KubeTableOptions = {}): Rows {
  switch (kind) {
    case 'Pod':
      return podRows(items as Pod[], o)
    case 'Service':
      return serviceRows(items as Service[], o)
    case 'Node':
      return nodeRows(items as Node[], o)
    case 'Event':
      return eventRows(items as KubeEvent[], o)
    case 'EndpointSlice':
      return endpointSliceRows(items as EndpointSlice[], o)
    case 'PodMetrics':
    case 'NodeMetrics':
      return metricsRows(items as (PodMetrics | NodeMetrics)[], o)
    default:
      return genericRows(items, o)
  }
}

/** Text table for a list of one kind ("No resources found in NS namespace." when empty). */
export function renderKubeList(
  kind: string,
  items: KubeObject[],
  o: KubeTableOptions & { namespace?: string } = {},
): string {
  const r = kubeRows(kind, items, o)
  const empty = o.namespace ? `No resources found in ${o.namespace} namespace.` : 'No resources found.'
  return renderTable(r.headers, r.rows, {
    color: o.color ?? colorEnabled(),
    empty,
    maxLastWidth: kind === 'Event' ? 160 : 0,
  })
}
