// top(): metrics.k8s.io objects -> usage rows with exact quantity arithmetic, summed, rounded and sorted as kubectl top does.
import { KubeError } from './errors.ts'
import type { Node, NodeMetrics, PodMetrics } from './types.ts'

/** A Kubernetes quantity as an exact fraction num/den (den > 0). */
export interface Fraction {
  num: bigint
  den: bigint
}

const SUFFIX: Record<string, Fraction> = {
  n: { num: 1n, den: 1_000_000_000n },
  u: { num: 1n, den: 1_000_000n },
  m: { num: 1n, den: 1000n },
  '': { num: 1n, den: 1n },
  k: { num: 1000n, den: 1n },
  M: { num: 10n ** 6n, den: 1n },
  G: { num: 10n ** 9n, den: 1n },
  T: { num: 10n ** 12n, den: 1n },
  P: { num: 10n ** 15n, den: 1n },
  E: { num: 10n ** 18n, den: 1n },
  Ki: { num: 1n << 10n, den: 1n },
  Mi: { num: 1n << 20n, den: 1n },
  Gi: { num: 1n << 30n, den: 1n },
  Ti: { num: 1n << 40n, den: 1n },
  Pi: { num: 1n << 50n, den: 1n },
  Ei: { num: 1n << 60n, den: 1n },
}

/** Parses a quantity ("250m", "123456789n", "1.5Gi", "12e3") exactly; throws KubeError naming the bad string. */
export function parseQuantityExact(q: string, what = 'quantity'): Fraction {
  const m = typeof q === 'string' ? /^([+-]?)(\d*)(?:\.(\d*))?(?:([numkMGTPE]|[KMGTPE]i)|[eE]([+-]?\d+))?$/.exec(q.trim()) : null
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) {
    throw new KubeError('invalid', `${what}: expected a Kubernetes quantity like "250m", "128974848" or "129Mi", received ${JSON.stringify(q)}`)
  }
  const frac = m[3] ?? ''
  let num = BigInt(`${m[2] || '0'}${frac}`) * (m[1] === '-' ? -1n : 1n)
  let den = 10n ** BigInt(frac.length)
  const s = SUFFIX[m[4] ?? '']
  num *= s.num
  den *= s.den
  if (m[5] !== undefined) {
    // 10n ** 10n ** 8n takes seconds and gigabytes: far beyond any resource amount, so refused
    if (!/^[+-]?\d{1,4}$/.test(m[5]) || Math.abs(Number(m[5])) > 1000) throw new KubeError('invalid', `${what}: the exponent of ${JSON.stringify(q.slice(0, 40))} is out of range (at most e±1000)`)
    const e = BigInt(m[5])
    if (e >= 0n) num *= 10n ** e
    else den *= 10n ** -e
  }
  return { num, den }
}

const add = (a: Fraction, b: Fraction): Fraction => ({ num: a.num * b.den + b.num * a.den, den: a.den * b.den })
const ceilDiv = (n: bigint, d: bigint): bigint => (n >= 0n ? (n + d - 1n) / d : n / d)
/** Value rounded up to an integer, as resource.Quantity.Value() does. */
export const ceilValue = (f: Fraction): number => Number(ceilDiv(f.num, f.den))
/** Value x1000 rounded up, as resource.Quantity.MilliValue() does. */
export const ceilMilli = (f: Fraction): number => Number(ceilDiv(f.num * 1000n, f.den))

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
  throw new KubeError('invalid', `sortBy: expected "cpu" or "memory", received ${JSON.stringify(sortBy)}`)
}

function usageOf(name: string, u: { cpu?: string; memory?: string } | undefined, where: string): { cpu: Fraction; mem: Fraction } {
  return {
    cpu: parseQuantityExact(u?.cpu ?? '0', `${where} ${name} usage.cpu`),
    mem: parseQuantityExact(u?.memory ?? '0', `${where} ${name} usage.memory`),
  }
}

const byName = (a: { name: string }, b: { name: string }) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
function sortRows<T extends { name: string; namespace?: string; cpuMillicores?: number; memoryBytes?: number }>(rows: T[], sortBy: TopSort | undefined, withNamespace = false): T[] {
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
      cpu = add(cpu, u.cpu)
      mem = add(mem, u.mem)
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
      ...(a && { cpuPercent: pct(u.cpu, a.cpu), memoryPercent: pct(u.mem, a.mem), allocatable: { cpuMillicores: ceilMilli(a.cpu), memoryBytes: ceilValue(a.mem) } }),
      timestamp: m.timestamp,
      window: m.window,
    }
  })
  const seen = new Set(rows.map((r) => r.name))
  const missing = nodes.filter((n) => !seen.has(n.metadata.name)).map((n): NodeUsage => ({ kind: 'NodeUsage', name: n.metadata.name }))
  return [...sortRows(rows, opts.sortBy), ...missing.sort(byName)]
}
