// top(): metrics.k8s.io objects -> usage rows with exact quantity arithmetic, summed, rounded and sorted as kubectl top does.
import { KubeError } from './errors.ts'
import { addQuantities, ceilMilli, ceilValue, parseQuantityExact, type Fraction } from './quantity.ts'
import type { Node, NodeMetrics, PodMetrics } from './types.ts'
import { received } from '../errors.ts'

/** One container's usage. */
export interface ContainerUsage {
  name: string
  /** CPU in millicores (kubectl top's "m" column). */
  cpuMillicores: number
  /** Working-set memory in bytes. */
  memoryBytes: number
}

/** One pod's usage (sum of its containers), as kubectl top pod shows it. */
export interface PodUsage {
  kind: 'PodUsage'
  namespace: string
  name: string
  cpuMillicores: number
  memoryBytes: number
  containers: ContainerUsage[]
  /** When metrics-server sampled it, and over which window. */
  timestamp?: string
  window?: string
}

/** One node's usage against its allocatable, as kubectl top node shows it; usage fields are absent when the node has no metrics. */
export interface NodeUsage {
  kind: 'NodeUsage'
  name: string
  cpuMillicores?: number
  memoryBytes?: number
  cpuPercent?: number
  memoryPercent?: number
  allocatable?: { cpuMillicores: number; memoryBytes: number }
  timestamp?: string
  window?: string
}

/** How top() sorts: by name (default, namespace first with allNamespaces), or descending by cpu or memory (kubectl --sort-by). */
export type TopSort = 'cpu' | 'memory'

/** Checks sortBy; throws KubeError naming the accepted values. */
export function checkSort(sortBy: unknown): TopSort | undefined {
  if (sortBy === undefined || sortBy === 'cpu' || sortBy === 'memory') return sortBy
  throw new KubeError('invalid', `sortBy: expected "cpu" or "memory", received ${received(sortBy)}`)
}

function usageOf(
  name: string,
  u: { cpu?: string; memory?: string } | undefined,
  where: string,
): { cpu: Fraction; mem: Fraction } {
  return {
    cpu: parseQuantityExact(u?.cpu ?? '0', `${where} ${name} usage.cpu`),
    mem: parseQuantityExact(u?.memory ?? '0', `${where} ${name} usage.memory`),
  }
}

const byName = (a: { name: string }, b: { name: string }) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
function sortRows<T extends { name: string; namespace?: string; cpuMillicores?: number; memoryBytes?: number }>(
  rows: T[],
  sortBy: TopSort | undefined,
  withNamespace = false,
): T[] {
  const key = sortBy === 'cpu' ? 'cpuMillicores' : 'memoryBytes'
  return rows.sort((a, b) => {
    if (sortBy) return (b[key] ?? -1) - (a[key] ?? -1) || byName(a, b)
    if (withNamespace && a.namespace !== b.namespace) return (a.namespace ?? '') < (b.namespace ?? '') ? -1 : 1
    return byName(a, b)
  })
}

/** PodMetrics -> PodUsage rows: containers summed exactly, then rounded up (millicores, bytes) like kubectl. */
export function podUsage(items: PodMetrics[], opts: { sortBy?: TopSort; allNamespaces?: boolean } = {}): PodUsage[] {
  const rows = items.map((m): PodUsage => {
    let cpu: Fraction = { num: 0n, den: 1n }
    let mem: Fraction = { num: 0n, den: 1n }
    const containers = (m.containers ?? []).map((c): ContainerUsage => {
      const u = usageOf(c.name, c.usage, `pod ${m.metadata.name} container`)
      cpu = addQuantities(cpu, u.cpu)
      mem = addQuantities(mem, u.mem)
      return { name: c.name, cpuMillicores: ceilMilli(u.cpu), memoryBytes: ceilValue(u.mem) }
    })
    sortRows(containers, opts.sortBy)
    return {
      kind: 'PodUsage',
      namespace: m.metadata.namespace ?? '',
      name: m.metadata.name,
      cpuMillicores: ceilMilli(cpu),
      memoryBytes: ceilValue(mem),
      containers,
      timestamp: m.timestamp,
      window: m.window,
    }
  })
  return sortRows(rows, opts.sortBy, opts.allNamespaces)
}

/** NodeMetrics + Nodes -> NodeUsage rows with CPU% and MEMORY% of allocatable (truncated, like kubectl); nodes without metrics are kept. */
export function nodeUsage(metrics: NodeMetrics[], nodes: Node[], opts: { sortBy?: TopSort } = {}): NodeUsage[] {
  const alloc = new Map<string, { cpu: Fraction; mem: Fraction }>()
  for (const n of nodes) {
    const a = n.status?.allocatable as { cpu?: string; memory?: string } | undefined
    if (a?.cpu && a?.memory) alloc.set(n.metadata.name, usageOf(n.metadata.name, a, 'node allocatable of'))
  }
  const pct = (u: Fraction, a: Fraction) => Math.trunc((ceilMilli(u) / ceilMilli(a)) * 100)
  const rows = metrics.map((m): NodeUsage => {
    const u = usageOf(m.metadata.name, m.usage, 'node')
    const a = alloc.get(m.metadata.name)
    alloc.delete(m.metadata.name)
    return {
      kind: 'NodeUsage',
      name: m.metadata.name,
      cpuMillicores: ceilMilli(u.cpu),
      memoryBytes: ceilValue(u.mem),
      ...(a && {
        cpuPercent: pct(u.cpu, a.cpu),
        memoryPercent: pct(u.mem, a.mem),
        allocatable: { cpuMillicores: ceilMilli(a.cpu), memoryBytes: ceilValue(a.mem) },
      }),
      timestamp: m.timestamp,
      window: m.window,
    }
  })
  const seen = new Set(rows.map((r) => r.name))
  const missing = nodes
    .filter((n) => !seen.has(n.metadata.name))
    .map((n): NodeUsage => ({ kind: 'NodeUsage', name: n.metadata.name }))
  return [...sortRows(rows, opts.sortBy), ...missing.sort(byName)]
}
