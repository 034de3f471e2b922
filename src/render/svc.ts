// svcRules as text: a frontends table, an endpoints table (with the comparison's state) and the verdict (pure).
import { classesDiffer } from '../net/svc/clients.ts'
import type { ClientClass, SvcRules } from '../net/svc/types.ts'
import { paint, renderTable, type Cell, type Rows, type Style } from './table.ts'

const addr = (ip: string, port: number) => (ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`)
const portLabel = (p: { name: string; port: number; protocol: string }) => `${p.name || '-'} ${p.port}/${p.protocol}`
const pct = (p: number) => `${(Math.round(p * 1000) / 10).toFixed(1)}%`

function countersCell(c?: { packets: number; bytes: number; connections?: number }): string {
  if (!c) return ''
  return `${c.packets}/${c.bytes}${c.connections !== undefined ? ` ${c.connections} conn` : ''}`
}

/** One row per frontend: PORT FRONTEND ACTION VIA MASQUERADE PKTS/BYTES. */
export function svcFrontendRows(r: SvcRules): Rows {
  const rows: Cell[][] = []
  for (const p of r.ports) {
    p.frontends.forEach((f, i) => {
      const action: Cell = f.action === 'forward' ? 'forward' : { text: f.action.toUpperCase(), style: 'yellow' }
      const via = f.path.join(' > ') + (f.notes.length ? `  [${f.notes.join('; ')}]` : '')
      rows.push([
        i === 0 ? portLabel(p) : '',
        `${f.kind} ${f.ip === '*' ? `*:${f.port}` : addr(f.ip, f.port)}`,
        action,
        f.masquerade ?? '-',
        countersCell(f.counters),
        via,
      ])
    })
    if (!p.frontends.length) rows.push([portLabel(p), { text: '<no rules>', style: 'red' }, '', '', '', ''])
  }
  return { headers: ['PORT', 'FRONTEND', 'ACTION', 'MASQUERADE', 'PKTS/BYTES', 'VIA'], rows }
}

/** One row per endpoint of each chain, plus the missing ones: PORT CHAIN ENDPOINT PROB HAIRPIN PKTS/BYTES STATE. */
export function svcEndpointRows(r: SvcRules): Rows {
  const c = r.comparison
  const k = (portName: string, ip: string, port: number) => `${portName}|${ip}|${port}`
  const state = new Map<string, { text: string; style: Style }>()
  for (const e of c.stale)
    state.set(k(e.portName, e.ip, e.targetPort), { text: 'STALE (no such endpoint)', style: 'red' })
  for (const e of c.extra)
    state.set(k(e.portName, e.ip, e.targetPort), { text: `EXTRA (${e.reason})`, style: 'yellow' })
  for (const m of c.portMismatches)
    state.set(k(m.portName, m.ip, m.rulesPort), { text: `PORT (slices say ${m.slicesPort})`, style: 'red' })
  const rows: Cell[][] = []
  for (const p of r.ports) {
    let first = true
    for (const ch of p.chains) {
      ch.endpoints.forEach((e, i) => {
        const prob = [
          e.weight !== undefined ? `w=${e.weight}` : '',
          e.probability !== undefined ? pct(e.probability) : ch.scheduler ? ch.scheduler : '',
          e.affinitySeconds !== undefined ? `sticky ${e.affinitySeconds}s` : '',
        ]
          .filter(Boolean)
          .join(' ')
        rows.push([
          first ? portLabel(p) : '',
          i === 0 ? `${ch.name}${ch.kind === 'local' ? ' (local)' : ''}` : '',
          addr(e.ip, e.port),
          prob,
          e.hairpinMasquerade ? 'yes' : 'no',
          countersCell(e.counters),
          state.get(k(p.name, e.ip, e.port)) ?? { text: 'ok', style: 'green' },
        ])
        first = false
      })
      if (!ch.endpoints.length)
        rows.push([first ? portLabel(p) : '', ch.name, '<none>', '', '', '', ch.notes.join('; ')])
    }
    for (const m of c.missing.filter((e) => e.portName === p.name && e.protocol === p.protocol)) {
      rows.push([
        first ? portLabel(p) : '',
        '-',
        addr(m.ip, m.targetPort),
        '',
        '',
        '',
        { text: `MISSING${m.pod ? ` (${m.pod})` : ''}`, style: 'red' },
      ])
      first = false
    }
  }
  return { headers: ['PORT', 'CHAIN', 'ENDPOINT', 'PROB', 'HAIRPIN-MASQ', 'PKTS/BYTES', 'STATE'], rows }
}

const WHO: Record<ClientClass, string> = { pod: 'pods', node: 'the node', external: 'outside clients' }
const shortList = (eps: { ip: string; port: number }[]) =>
  eps.length > 4
    ? `${eps
        .slice(0, 3)
        .map((e) => addr(e.ip, e.port))
        .join(', ')}, +${eps.length - 3} more`
    : eps.map((e) => addr(e.ip, e.port)).join(', ')

/**
 * Who reaches what, for each frontend whose client classes are treated differently (externalTrafficPolicy Local,
 * source ranges): PORT FRONTEND CLIENTS ACTION ENDPOINTS MASQUERADE VIA. Empty when every class is treated alike.
 */
export function svcClientRows(r: SvcRules): Rows {
  const rows: Cell[][] = []
  for (const p of r.ports) {
    let first = true
    for (const f of p.frontends.filter((x) => x.action === 'forward' && classesDiffer(x))) {
      ;(f.clients ?? []).forEach((c, i) => {
        const who = `${WHO[c.client]}${c.match ? ` (${c.match})` : ''}${c.when ? `, ${c.when}` : ''}`
        const action: Cell =
          c.action === 'forward'
            ? `forward${c.scope ? ` (${c.scope})` : ''}`
            : { text: c.action.toUpperCase(), style: 'yellow' }
        const fe = `${f.kind} ${f.ip === '*' ? `*:${f.port}` : addr(f.ip, f.port)}`
        rows.push([
          first ? portLabel(p) : '',
          i === 0 ? fe : '',
          who,
          action,
          c.action === 'forward' ? shortList(c.endpoints) : '-',
          c.action === 'forward' ? (c.masquerade ?? 'no (source kept)') : '-',
          c.via,
        ])
        first = false
      })
    }
  }
  return { headers: ['PORT', 'FRONTEND', 'CLIENTS', 'ACTION', 'ENDPOINTS', 'MASQUERADE', 'VIA'], rows }
}

const STATUS_STYLE: Record<SvcRules['status'], Style> = {
  ok: 'green',
  'no-endpoints': 'yellow',
  mismatch: 'red',
  'no-rules': 'red',
  'not-proxied': 'dim',
}

/** The whole result as text: title, frontends, endpoints, issues, warnings, verdict and hint. */
export function renderSvcRules(r: SvcRules, opts: { color?: boolean } = {}): string {
  const color = opts.color ?? false
  const out: string[] = [
    paint(
      `${r.service} on ${r.node}: kube-proxy ${r.mode}${r.backend ? ` (${r.backend} backend)` : ''}`,
      'bold',
      color,
    ),
  ]
  if (r.ports.length) {
    const fe = svcFrontendRows(r)
    out.push('', renderTable(fe.headers, fe.rows, { color, empty: '' }))
    const cl = svcClientRows(r)
    if (cl.rows.length) out.push('', renderTable(cl.headers, cl.rows, { color }))
    const ep = svcEndpointRows(r)
    if (ep.rows.length) out.push('', renderTable(ep.headers, ep.rows, { color }))
  }
  for (const i of r.comparison.clientIssues ?? []) out.push(paint(`client class: ${i}`, 'red', color))
  for (const w of r.warnings) out.push(paint(`warning: ${w}`, 'yellow', color))
  out.push('', paint(r.verdict, STATUS_STYLE[r.status], color))
  if (r.hint) out.push(paint(`hint: ${r.hint}`, 'dim', color))
  return out.join('\n')
}
