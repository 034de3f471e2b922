// Fleet results as text: the per-node table, clush -b style blocks of identical output, failures by class, the
// progress line, and the per-line form `node: text` the CLI streams. Pure.
import { showArgv } from '../exec/quote.ts'
import { foldNodes } from '../fleet/nodeset.ts'
import type { FleetErrorGroup, FleetGroup, FleetNodeResult, FleetProgress, FleetResultData } from '../fleet/types.ts'
import { paint, renderTable, type Cell, type Rows } from './table.ts'

/** Options of the fleet renderers. */
export interface FleetRenderOptions {
  color?: boolean
}

const secs = (ms: number) => `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`

function firstLine(text: string): { line: string; more: number } {
  const lines = text.replace(/\n$/, '').split('\n')
  return { line: lines[0] ?? '', more: Math.max(0, lines.length - 1) }
}

/** The STATUS cell of a node: ok, exit N, or its error class. */
export function statusCell(r: FleetNodeResult): Cell {
  if (r.ok) return { text: 'ok', style: 'green' }
  if (r.error === 'exit') return { text: `exit ${r.exitCode ?? '?'}`, style: 'red' }
  return { text: r.error ?? 'failed', style: r.error === 'timeout' || r.error === 'aborted' ? 'yellow' : 'red' }
}

/** The OUTPUT cell: the first line of stdout (else stderr) and how many more lines; the message for a failure without output. */
export function outputCell(r: FleetNodeResult): string {
  const text = r.stdout.trim() ? r.stdout : r.stderr.trim() ? r.stderr : ''
  if (!text) return r.ok ? '' : (r.message ?? '')
  const { line, more } = firstLine(text)
  return more ? `${line}  (+${more} line${more === 1 ? '' : 's'})` : line
}

/** One line: how many nodes succeeded and failed, by class, how long it took, and why it stopped early. */
export function fleetSummary(r: FleetResultData): string {
  const failed = r.results.filter((x) => !x.ok)
  const byClass = new Map<string, number>()
  for (const f of failed) byClass.set(f.error ?? 'failed', (byClass.get(f.error ?? 'failed') ?? 0) + 1)
  const classes = [...byClass].map(([c, n]) => `${c} ${n}`).join(', ')
  const stop =
    r.stopped === 'deadline' ? '; stopped at the overall deadline' : r.stopped === 'aborted' ? '; interrupted' : ''
  return `\`${showArgv(r.argv)}\` on ${r.nodes.length} node${r.nodes.length === 1 ? '' : 's'}: ${r.results.length - failed.length} ok${failed.length ? `, ${failed.length} failed (${classes})` : ''} in ${secs(r.durationMs)}${stop}`
}

/** The table's headers and rows (what tests assert on). */
export function fleetRows(r: FleetResultData): Rows {
  return {
    headers: ['NODE', 'VIA', 'STATUS', 'TIME', 'OUTPUT'],
    rows: r.results.map((x) => [
      x.node,
      x.transport || '-',
      statusCell(x),
      x.startedAtMs === null ? '-' : secs(x.durationMs),
      outputCell(x),
    ]),
  }
}

/** The result as the shell prints it: the summary, one row per node, and what to call next. */
export function renderFleetResult(r: FleetResultData, opts: FleetRenderOptions = {}): string {
  const color = opts.color ?? false
  const { headers, rows } = fleetRows(r)
  const next = r.results.some((x) => !x.ok)
    ? '.groups() gathers identical outputs; .errors() lists the failures by class'
    : '.groups() gathers identical outputs'
  return [
    paint(fleetSummary(r), 'bold', color),
    renderTable(headers, rows, { color, maxLastWidth: 100 }),
    paint(next, 'dim', color),
  ].join('\n')
}

/** The head of a group: its node set, count, and the exit or class when it is not ok. */
export function groupTitle(g: FleetGroup): string {
  const how = g.ok ? '' : g.error === 'exit' ? ` exit ${g.exitCode ?? '?'}` : ` ${g.error}`
  return `${g.nodeset} (${g.nodes.length})${how}`
}

/** Identical outputs as clush -b prints them: a ruled head naming the nodes, then their output once. */
export function renderFleetGroups(groups: readonly FleetGroup[], opts: FleetRenderOptions = {}): string {
  const color = opts.color ?? false
  if (!groups.length) return 'no results'
  return groups
    .map((g) => {
      const title = groupTitle(g)
      const rule = '-'.repeat(Math.min(Math.max(15, title.length), 80))
      const body = [g.stdout.replace(/\n$/, ''), g.stderr ? paint(g.stderr.replace(/\n$/, ''), 'yellow', color) : '']
        .filter(Boolean)
        .join('\n')
      return [
        paint(rule, 'dim', color),
        paint(title, g.ok ? 'cyan' : 'red', color),
        paint(rule, 'dim', color),
        ...(body ? [body] : []),
      ].join('\n')
    })
    .join('\n')
}

/** Failures by class: the class, its node set, each distinct message with its nodes, and the hint. */
export function renderFleetErrors(errors: readonly FleetErrorGroup[], opts: FleetRenderOptions = {}): string {
  const color = opts.color ?? false
  if (!errors.length) return 'no failures'
  const out: string[] = []
  for (const e of errors) {
    out.push(
      `${paint(`${e.class} (${e.nodes.length})`, e.class === 'timeout' || e.class === 'aborted' ? 'yellow' : 'red', color)}: ${e.nodeset}`,
    )
    for (const m of e.messages)
      out.push(
        `  ${m.message}${e.messages.length > 1 || m.count !== e.nodes.length ? paint(`  [${m.nodeset}]`, 'dim', color) : ''}`,
      )
    if (e.hint) out.push(paint(`  hint: ${e.hint}`, 'dim', color))
  }
  return out.join('\n')
}

/** The progress line: done / running / failed / queued of the total, and the time so far. */
export function renderFleetProgress(p: FleetProgress, opts: FleetRenderOptions = {}): string {
  const color = opts.color ?? false
  const parts = [
    paint(`${p.done} done`, 'green', color),
    `${p.running} running`,
    paint(`${p.failed} failed`, p.failed ? 'red' : undefined, color),
  ]
  if (p.queued) parts.push(`${p.queued} queued`)
  return `fleet: ${parts.join(' · ')} of ${p.total} (${secs(p.elapsedMs)})`
}

/** A node's output as `node: line` lines (stdout, then stderr), the way clush and pdsh print without -b. */
export function nodeLines(r: FleetNodeResult): { stdout: string[]; stderr: string[] } {
  const split = (t: string) =>
    t
      ? t
          .replace(/\n$/, '')
          .split('\n')
          .map((l) => `${r.node}: ${l}`)
      : []
  return { stdout: split(r.stdout), stderr: split(r.stderr) }
}

/** What the CLI prints on stderr when nodes failed: how many, and per class the folded node set and a message. */
export function failureReport(
  r: FleetResultData,
  errors: readonly FleetErrorGroup[],
  opts: FleetRenderOptions = {},
): string {
  const failed = r.results.filter((x) => !x.ok)
  if (!failed.length) return ''
  const head = `${failed.length} of ${r.nodes.length} nodes failed: ${foldNodes(failed.map((x) => x.node))}`
  return `${head}\n${renderFleetErrors(errors, opts)
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n')}`
}
