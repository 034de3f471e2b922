// kubectl top tables for top()'s usage rows (pure): millicores as "250m", memory as whole "Mi", percentages of allocatable.
import type { NodeUsage, PodUsage } from '../kube/top.ts'
import { renderTable, colorEnabled, type Cell, type Rows, type Style } from './table.ts'

/** Options of the top tables. */
export interface TopTableOptions {
  color?: boolean
  /** NAMESPACE column; default: when the rows span more than one namespace. */
  namespaceColumn?: boolean
  /** One row per container (kubectl top pod --containers). */
  containers?: boolean
  /** Names the namespace when there is nothing to show. */
  namespace?: string
}

const cpu = (m: number | undefined) => (m === undefined ? '<unknown>' : `${m}m`)
const mem = (b: number | undefined) => (b === undefined ? '<unknown>' : `${Math.floor(b / 2 ** 20)}Mi`)
const pctStyle = (p: number): Style | undefined => (p >= 90 ? 'red' : p >= 75 ? 'yellow' : undefined)
const pct = (p: number | undefined): Cell => (p === undefined ? '<unknown>' : { text: `${p}%`, style: pctStyle(p) })

/** kubectl top pod [-A] [--containers]: [NAMESPACE] [POD] NAME CPU(cores) MEMORY(bytes). */
export function podUsageRows(items: PodUsage[], o: TopTableOptions = {}): Rows {
  const ns = o.namespaceColumn ?? new Set(items.map((i) => i.namespace)).size > 1
  const lead = (p: PodUsage): Cell[] => (ns ? [p.namespace] : [])
  const rows: Cell[][] = o.containers
    ? items.flatMap((p) =>
        p.containers.map((c): Cell[] => [...lead(p), p.name, c.name, cpu(c.cpuMillicores), mem(c.memoryBytes)]),
      )
    : items.map((p): Cell[] => [...lead(p), p.name, cpu(p.cpuMillicores), mem(p.memoryBytes)])
  const headers = [
    ...(ns ? ['NAMESPACE'] : []),
    ...(o.containers ? ['POD'] : []),
    'NAME',
    'CPU(cores)',
    'MEMORY(bytes)',
  ]
  return { headers, rows }
}

/** kubectl top node: NAME CPU(cores) CPU(%) MEMORY(bytes) MEMORY(%); <unknown> for a node without metrics. */
export function nodeUsageRows(items: NodeUsage[]): Rows {
  const withPct = items.some((n) => n.allocatable)
  const rows = items.map((n): Cell[] =>
    withPct
      ? [n.name, cpu(n.cpuMillicores), pct(n.cpuPercent), mem(n.memoryBytes), pct(n.memoryPercent)]
      : [n.name, cpu(n.cpuMillicores), mem(n.memoryBytes)],
  )
  return {
    headers: withPct
      ? ['NAME', 'CPU(cores)', 'CPU(%)', 'MEMORY(bytes)', 'MEMORY(%)']
      : ['NAME', 'CPU(cores)', 'MEMORY(bytes)'],
    rows,
  }
}

/** Text table for top()'s rows ("No resources found in NS namespace." when empty). */
export function renderUsage(items: (PodUsage | NodeUsage)[], o: TopTableOptions = {}): string {
  const nodes = items.length > 0 && items[0].kind === 'NodeUsage'
  const r = nodes ? nodeUsageRows(items as NodeUsage[]) : podUsageRows(items as PodUsage[], o)
  const empty = o.namespace ? `No resources found in ${o.namespace} namespace.` : 'No resources found.'
  return renderTable(r.headers, r.rows, { color: o.color ?? colorEnabled(), empty })
}
