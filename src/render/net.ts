// Text for the network helpers' results (enterNetns, vethOf, conntrack, dnsQuery): data -> tables. Pure.
import type {
  ConntrackCpuStats,
  ConntrackEntry,
  ConntrackTuple,
  DnsRecord,
  DnsResult,
  LinkEnd,
  MethodAttempt,
  VethPairing,
} from '../net/types.ts'
import { paint, renderTable, type Cell, type Style } from './table.ts'

/** Rendering options. */
export interface NetRenderOptions {
  color?: boolean
}

const warn = (lines: string[], color: boolean, label = 'warning') =>
  lines.map((w) => paint(`${label}: ${w}`, label === 'warning' ? 'yellow' : 'dim', color))

/** The tries of a discovery, as a table (only when one failed). */
export function renderAttempts(attempts: MethodAttempt[], color = false): string {
  return renderTable(
    ['METHOD', 'RESULT', 'TRIED', 'DETAIL'],
    attempts.map((a) => [a.method, { text: a.ok ? 'ok' : 'failed', style: a.ok ? 'green' : 'red' }, a.what, a.detail]),
    { color, empty: '' },
  )
}

/** A NetnsHandle: where it points and how the PID was found. */
export function renderNetns(
  h: {
    pod: string
    node: string
    pid: number
    method: string
    detail: string
    podIP?: string
    cached: boolean
    attempts: MethodAttempt[]
  },
  o: NetRenderOptions = {},
): string {
  const color = o.color ?? false
  const head = renderTable(
    ['POD', 'NODE', 'PID', 'METHOD', 'FOUND BY', 'POD IP'],
    [[h.pod, h.node, h.pid, h.method, `${h.detail}${h.cached ? ' (cached)' : ''}`, h.podIP ?? '<none>']],
    { color },
  )
  const lines = [paint(`NetnsHandle: commands run as nsenter -t ${h.pid} -n -- … on ${h.node}`, 'dim', color), head]
  if (h.attempts.some((a) => !a.ok)) lines.push('', renderAttempts(h.attempts, color))
  return lines.join('\n')
}

/** Counters as "bytes/packets/errors/dropped". */
function counters(e: LinkEnd | undefined, dir: 'rx' | 'tx'): string {
  const s = e?.stats
  if (!s) return ''
  return dir === 'rx'
    ? `${s.rxBytes}/${s.rxPackets}/${s.rxErrors}/${s.rxDropped}`
    : `${s.txBytes}/${s.txPackets}/${s.txErrors}/${s.txDropped}`
}

/** vethOf's result: one row per end plus the bridge; MTU in red when they differ; the explanation when unpaired. */
export function renderVeth(
  r: VethPairing & { pod: string; node?: string; method?: string },
  o: NetRenderOptions = {},
): string {
  const color = o.color ?? false
  const title = `vethOf ${r.pod}${r.node ? ` on ${r.node}` : ''}${r.method ? ` (pid via ${r.method})` : ''}: ${r.status}`
  const mtu = (e: LinkEnd): Cell => ({ text: String(e.mtu), style: r.mtuMismatch ? 'red' : undefined })
  const state = (e: LinkEnd): Cell => ({
    text: e.operstate ?? '',
    style: e.operstate === 'UP' ? 'green' : e.operstate === 'DOWN' ? 'red' : undefined,
  })
  const row = (side: string, e: LinkEnd): Cell[] => [
    side,
    e.name,
    e.ifindex,
    e.peerIfindex ?? '',
    e.kind ?? '',
    mtu(e),
    e.master ?? '',
    e.mac ?? '',
    state(e),
    e.addresses.filter((a) => !a.startsWith('fe80:')).join(',') || '',
    counters(e, 'rx'),
    counters(e, 'tx'),
  ]
  const rows: Cell[][] = []
  if (r.podSide) rows.push(row('pod', r.podSide))
  if (r.hostSide) rows.push(row('host', r.hostSide))
  if (r.bridge) rows.push(row('bridge', r.bridge))
  const lines = [paint(title, r.status === 'ok' ? 'bold' : 'yellow', color)]
  if (rows.length)
    lines.push(
      renderTable(
        [
          'SIDE',
          'NAME',
          'IFINDEX',
          'PEER',
          'KIND',
          'MTU',
          'MASTER',
          'MAC',
          'STATE',
          'ADDRESSES',
          'RX bytes/pkts/err/drop',
          'TX bytes/pkts/err/drop',
        ],
        rows,
        { color },
      ),
    )
  if (r.explanation) lines.push(paint(r.explanation, 'yellow', color))
  lines.push(...warn(r.warnings, color))
  return lines.join('\n')
}

/** conntrackStats: the fill line, per-CPU counters and a total row, warnings. */
export function renderConntrackStats(
  s: {
    node: string
    source: string
    perCpu: ConntrackCpuStats[]
    totals: Record<string, number>
    count?: number
    max?: number
    usage?: number
    warnings: string[]
  },
  o: NetRenderOptions = {},
): string {
  const color = o.color ?? false
  const pct = s.usage !== undefined ? ` (${Math.round(s.usage * 100)}%)` : ''
  const fill = s.count !== undefined ? `${s.count} / ${s.max ?? '?'} entries${pct}` : 'count unknown'
  const keys: string[] = []
  for (const c of s.perCpu) for (const k of Object.keys(c)) if (k !== 'cpu' && !keys.includes(k)) keys.push(k)
  const bad = new Set(['drop', 'early_drop', 'insert_failed', 'error', 'invalid'])
  const cell = (k: string, v: number | undefined): Cell => ({
    text: v === undefined ? '' : String(v),
    style: v && bad.has(k) ? 'red' : undefined,
  })
  const rows: Cell[][] = s.perCpu.map((c) => [c.cpu, ...keys.map((k) => cell(k, c[k]))])
  if (s.perCpu.length > 1) rows.push(['all', ...keys.map((k) => cell(k, s.totals[k]))])
  const usageStyle: Style | undefined = s.usage !== undefined && s.usage >= 0.9 ? 'red' : undefined
  const lines = [`conntrack on ${s.node} (${s.source}): ${paint(fill, usageStyle, color)}`]
  if (rows.length) lines.push(renderTable(['CPU', ...keys.map((k) => k.toUpperCase())], rows, { color }))
  lines.push(...warn(s.warnings, color))
  return lines.join('\n')
}

/** "10.244.0.4:36318 → 10.96.0.10:53" (ports, or ICMP type/code/id). */
export function tupleText(t: ConntrackTuple): string {
  const end = (ip?: string, port?: number) =>
    port === undefined ? (ip ?? '?') : `${ip?.includes(':') ? `[${ip}]` : (ip ?? '?')}:${port}`
  const icmp =
    t.type !== undefined ? ` type=${t.type} code=${t.code ?? 0}${t.id !== undefined ? ` id=${t.id}` : ''}` : ''
  return `${end(t.src, t.sport)} → ${end(t.dst, t.dport)}${icmp}`
}

/** conntrackList: one row per flow and a footer with the counts. */
export function renderConntrackList(
  list: ConntrackEntry[] & { node?: string; total?: number; truncated?: boolean },
  o: NetRenderOptions = {},
): string {
  const color = o.color ?? false
  const rows = list.map((e): Cell[] => [
    e.proto,
    e.state ?? '',
    e.timeout,
    tupleText(e.orig),
    tupleText(e.reply),
    { text: e.flags.join(','), style: e.unreplied ? 'yellow' : undefined },
    e.mark ?? '',
  ])
  const table = renderTable(['PROTO', 'STATE', 'TIMEOUT', 'ORIGINAL', 'REPLY', 'FLAGS', 'MARK'], rows, {
    color,
    empty: 'No flows match.',
  })
  const total = list.total ?? list.length
  const foot = `${list.length}${list.truncated ? ` of ${total}` : ''} flow(s)${list.node ? ` on ${list.node}` : ''}${list.truncated ? ' (raise filter.limit to see more)' : ''}`
  return `${table}\n${paint(foot, 'dim', color)}`
}

/** Records as "A 10.96.0.1, A 10.96.0.2"; at most 3, then "+N". */
export function answersText(rs: DnsRecord[]): string {
  const shown = rs.slice(0, 3).map((r) => `${r.type} ${r.data}`)
  return rs.length > 3 ? `${shown.join(', ')} +${rs.length - 3}` : shown.join(', ')
}

const RCODE_STYLE: Record<string, Style> = {
  NOERROR: 'green',
  NXDOMAIN: 'yellow',
  TIMEOUT: 'red',
  SERVFAIL: 'red',
  REFUSED: 'red',
  CONNREFUSED: 'red',
  ERROR: 'red',
  NOTFOUND: 'yellow',
}

/** dnsQuery: the setup line, one row per query in order, the verdict and notes. */
export function renderDns(r: DnsResult, o: NetRenderOptions = {}): string {
  const color = o.color ?? false
  const rc = r.resolvConf
  const conf = rc
    ? `; ndots:${rc.ndots} search ${rc.search.join(' ') || '(none)'}; nameserver ${rc.nameservers.join(' ') || '(none)'}; timeout:${rc.timeout} attempts:${rc.attempts}`
    : ''
  const head = `dnsQuery ${r.name} ${r.type} from ${r.from} (${r.node}) with ${r.tool}, ${r.resolver} rules (${r.resolverFrom})${conf}`
  const rows = r.attempts.map((a): Cell[] => [
    a.n,
    a.name,
    a.via,
    a.to,
    { text: a.rcode, style: RCODE_STYLE[a.rcode] },
    a.answers.length ? answersText(a.answers) : (a.error ?? ''),
    a.queryMs !== undefined ? `${a.queryMs} ms` : '',
    `${Math.round(a.elapsedMs)} ms`,
  ])
  const table = renderTable(['#', 'NAME', 'VIA', 'SERVER', 'RCODE', 'ANSWERS', 'TIME', 'WALL'], rows, {
    color,
    empty: 'No query was sent.',
  })
  const secs = (r.elapsedMs / 1000).toFixed(1)
  const verdict = r.resolved
    ? paint(
        `resolved: ${answersText(r.answers)} (${r.answeredBy}) after ${r.attempts.length} quer${r.attempts.length === 1 ? 'y' : 'ies'}, ${secs} s`,
        'green',
        color,
      )
    : paint(
        `not resolved: ${r.rcode} after ${r.attempts.length} quer${r.attempts.length === 1 ? 'y' : 'ies'}, ${secs} s`,
        'red',
        color,
      )
  return [paint(head, 'dim', color), table, verdict, ...warn(r.notes, color, 'note')].join('\n')
}
