// The triage report as text: one ranked table (severity, object, symptom, evidence, the command to run next), the
// effects under their cause, then what could not be checked and whether the node checks ran. Pure.
import type { TriageData, TriageRow } from '../triage/types.ts'
import { palette } from './color.ts'
import { renderNotSeen } from './notseen.ts'
import { renderTable, type Cell } from './table.ts'

/** Options of renderTriage. */
export interface TriageRenderOptions {
  color?: boolean
  /** Characters of evidence in the table (all of it is in -o json); default 64. */
  evidenceWidth?: number
  /** Effects shown under a row; default 4. */
  effects?: number
}

const clip = (t: string, n: number) => (t.length > n ? `${t.slice(0, n - 1)}…` : t)

/** Where triage looked, in words. */
export function scopeText(d: Pick<TriageData, 'scope'>): string {
  return 'allNamespaces' in d.scope
    ? 'all namespaces'
    : `namespace${d.scope.namespaces.length === 1 ? '' : 's'} ${d.scope.namespaces.join(', ')}`
}

/** The table rows of a report: one per problem, then one per effect shown under it. */
export function triageRows(rows: readonly TriageRow[], opts: TriageRenderOptions = {}): Cell[][] {
  const width = opts.evidenceWidth ?? 64
  const maxEffects = opts.effects ?? 4
  const out: Cell[][] = []
  for (const r of rows) {
    const object = r.also.length ? `${r.object} (+${r.also.length} more)` : r.object
    out.push([
      String(r.rank),
      { text: r.severity.toUpperCase(), style: r.severity === 'fail' ? 'red' : 'yellow' },
      object,
      r.symptom,
      clip(r.evidence, width),
      { text: r.next.command, style: 'cyan' },
    ])
    for (const e of r.effects.slice(0, maxEffects))
      out.push([
        '',
        '',
        { text: `↳ ${e.object}`, style: 'dim' },
        { text: e.symptom, style: 'dim' },
        { text: clip(e.evidence, width), style: 'dim' },
        '',
      ])
    if (r.effects.length > maxEffects)
      out.push([
        '',
        '',
        { text: `↳ … ${r.effects.length - maxEffects} more (-o json lists them)`, style: 'dim' },
        '',
        '',
        '',
      ])
  }
  return out
}

/** The whole report as text. */
export function renderTriage(d: TriageData, opts: TriageRenderOptions = {}): string {
  const color = opts.color ?? false
  const c = palette(color)
  const out = [
    `${c.bold('Triage')} ${c.dim(`· context ${d.context || '(none)'} · ${scopeText(d)} · ${(d.durationMs / 1000).toFixed(1)} s`)}`,
    '',
  ]
  if (d.rows.length)
    out.push(
      renderTable(['#', 'SEVERITY', 'OBJECT', 'SYMPTOM', 'EVIDENCE', 'NEXT'], triageRows(d.rows, opts), { color }),
      '',
    )
  const notSeen = d.checks.filter((x) => x.status === 'not-seen')
  for (const x of notSeen) out.push(renderNotSeen(x.check, x, { color }))
  const nc = d.nodeChecks
  if (!nc.ran) out.push(c.dim(`Node checks: ${nc.reason ?? 'off'}`))
  else {
    const read = nc.nodes.filter((n) => n.status === 'read').map((n) => n.node)
    out.push(c.dim(`Node checks over ${nc.transport}: ${read.length ? `read ${read.join(', ')}` : 'no node read'}`))
    for (const n of nc.nodes.filter((x) => x.status === 'not-read'))
      out.push(renderNotSeen(`node ${n.node}`, { reason: n.reason ?? '' }, { color }))
  }
  const seen = d.checks.filter((x) => x.status === 'seen')
  const count = (prefix: string) =>
    seen.filter((x) => x.check.startsWith(prefix)).reduce((n, x) => n + (x.count ?? 0), 0)
  const looked = `${count('pods')} pods, ${count('services')} Services, ${count('deployments') + count('statefulsets') + count('daemonsets')} workloads, ${count('nodes')} nodes`
  if (d.exitCode === 0)
    out.push(
      `${c.bold('Result:')} ${c.green(`nothing wrong in ${scopeText(d)}`)} ${c.dim(`(looked at ${looked}; exit 0)`)}`,
    )
  else if (d.exitCode === 2)
    out.push(
      `${c.bold('Result:')} ${c.yellow(`nothing found, but ${notSeen.length + nc.nodes.filter((n) => n.status === 'not-read').length} check(s) could not look`)} (exit 2)`,
    )
  else
    out.push(
      `${c.bold('Result:')} ${c.red(`${d.rows.length} problem${d.rows.length === 1 ? '' : 's'}`)}${notSeen.length ? `, ${notSeen.length} check(s) not seen` : ''} ${c.dim(`(looked at ${looked}; exit 1)`)}`,
    )
  return out.join('\n')
}
