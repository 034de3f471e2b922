// Recipe reports, plans, teach-mode pages and the recipe list as text. Pure: data in, text out.
import type { ReportData, StepReport, StepStatus, Finding } from '../recipes/report.ts'
import { summaryLine } from '../recipes/report.ts'
import { palette, type Palette } from './color.ts'
import { renderTable, type Cell, type Style } from './table.ts'
import { renderNotSeen } from './notseen.ts'
import type { RecipeInfo } from '../recipes/types.ts'

/** Options of the report renderers. */
export interface ReportRenderOptions {
  color?: boolean
  /** Evidence lines shown per finding (the rest is in -o json); default 20. */
  evidenceLines?: number
}

const LABEL: Record<StepStatus, string> = {
  ok: 'OK',
  info: 'INFO',
  warn: 'WARN',
  fail: 'FAIL',
  'not-seen': 'NOT SEEN',
  none: '-',
  error: 'ERROR',
  skipped: 'SKIPPED',
  planned: 'PLANNED',
}

function styleOf(s: StepStatus | ReportData['status']): Style | undefined {
  return s === 'ok'
    ? 'green'
    : s === 'warn' || s === 'not-seen'
      ? 'yellow'
      : s === 'fail' || s === 'error'
        ? 'red'
        : s === 'info'
          ? 'cyan'
          : s === 'skipped' || s === 'none'
            ? 'dim'
            : undefined
}

function paint(c: Palette, s: StepStatus | ReportData['status'], text: string): string {
  const st = styleOf(s)
  return st === 'green'
    ? c.green(text)
    : st === 'yellow'
      ? c.yellow(text)
      : st === 'red'
        ? c.red(text)
        : st === 'cyan'
          ? c.cyan(text)
          : st === 'dim'
            ? c.dim(text)
            : text
}

function indent(text: string, first: string, rest: string): string {
  return text
    .split('\n')
    .map((l, i) => (i === 0 ? first : rest) + l)
    .join('\n')
}

/** Params as `name=value` words; unset ones as name=(unset). */
export function paramWords(params: Record<string, unknown>): string {
  const words = Object.entries(params).map(
    ([k, v]) =>
      `${k}=${v === undefined ? '(unset)' : typeof v === 'string' && /\s/.test(v) ? JSON.stringify(v) : String(v)}`,
  )
  return words.length ? words.join(' ') : '(no parameters)'
}

/** The first lines of a report: recipe, summary, where it runs and with which parameters. */
export function renderHeader(
  r: Pick<ReportData, 'recipe' | 'params' | 'context' | 'namespace' | 'mode'>,
  opts: ReportRenderOptions = {},
): string {
  const c = palette(opts.color ?? false)
  const mode = r.mode === 'dry-run' ? ' (dry run: nothing is executed)' : r.mode === 'teach' ? ' (teach mode)' : ''
  return [
    `${c.bold(`Recipe ${r.recipe.name}`)} — ${r.recipe.summary}${mode}`,
    c.dim(
      `context ${r.context || '(none)'}, namespace ${r.namespace} · ${paramWords(r.params)}${r.recipe.changes ? ' · this recipe can change things (asks first)' : ''}`,
    ),
  ].join('\n')
}

/** The heading line of a step: `[2/5] Title`. */
export function stepHeading(
  step: Pick<StepReport, 'index' | 'title'>,
  total: number,
  opts: ReportRenderOptions = {},
): string {
  return palette(opts.color ?? false).bold(`[${step.index}/${total}] ${step.title}`)
}

/** One finding: severity, message, evidence (command and the last lines of output), remedy; NOT SEEN as triage prints it. */
export function renderFinding(f: Finding, opts: ReportRenderOptions = {}): string {
  const c = palette(opts.color ?? false)
  if (f.severity === 'not-seen' && f.notSeen)
    return renderNotSeen(f.notSeen.what, f.notSeen, { color: opts.color, indent: '  ' })
  const max = opts.evidenceLines ?? 20
  const pad = '        '
  const out = [indent(f.message, `  ${paint(c, f.severity, LABEL[f.severity].padEnd(5))} `, pad)]
  if (f.evidence) {
    out.push(`${pad}${c.dim('$')} ${f.evidence.command}`)
    if (f.evidence.via)
      out.push(
        `${pad}${c.dim(`(read through kinspect's ${f.evidence.via === 'pod' ? 'node pod' : 'fleet DaemonSet'}, not SSH; over SSH this is the command)`)}`,
      )
    const lines = f.evidence.output
      .trimEnd()
      .split('\n')
      .filter((l, i, a) => !(a.length === 1 && l === ''))
    if (lines.length === 0) out.push(`${pad}${c.dim('│ (no output)')}`)
    const shown = lines.length > max ? lines.slice(-max) : lines
    if (lines.length > max) out.push(`${pad}${c.dim(`│ … ${lines.length - max} earlier lines (all of them: -o json)`)}`)
    for (const l of shown) out.push(`${pad}${c.dim('│')} ${l}`)
  }
  if (f.remedy) out.push(indent(f.remedy, `${pad}${c.yellow('remedy:')} `, `${pad}        `))
  if (f.next) out.push(`${pad}${c.cyan('next:')}   ${f.next.command}`)
  return out.join('\n')
}

/** What a step found, under its heading (no heading: the caller prints it before the step runs). */
export function renderStepBody(step: StepReport, opts: ReportRenderOptions = {}): string {
  const c = palette(opts.color ?? false)
  const out: string[] = []
  if (step.output) out.push(indent(step.output.trimEnd(), `  ${c.dim('printed:')} `, '           '))
  for (const ch of step.changes)
    out.push(
      `  ${ch.applied ? c.yellow('CHANGED') : c.dim('NOT CHANGED')} ${ch.description}${ch.reason ? c.dim(` (${ch.reason})`) : ''}`,
    )
  for (const f of step.findings) out.push(renderFinding(f, opts))
  if (step.error)
    out.push(
      `  ${c.red('ERROR')} the step could not run: ${step.error.message}${step.error.hint ? `\n        ${c.yellow('hint:')} ${step.error.hint}` : ''}`,
    )
  if (step.status === 'skipped') out.push(`  ${c.dim('SKIPPED')}${step.skip ? ` ${step.skip.reason}` : ''}`)
  if (!out.length) out.push(`  ${c.dim('(no findings)')}`)
  return out.join('\n')
}

/** A step with its heading and findings. */
export function renderStep(step: StepReport, total: number, opts: ReportRenderOptions = {}): string {
  return `${stepHeading(step, total, opts)}\n${renderStepBody(step, opts)}`
}

function counts(step: StepReport): string {
  const n: Record<string, number> = {}
  for (const f of step.findings) n[f.severity] = (n[f.severity] ?? 0) + 1
  const parts = (['fail', 'warn', 'not-seen', 'info', 'ok'] as const)
    .filter((s) => n[s])
    .map((s) => `${n[s]} ${s === 'not-seen' ? 'not seen' : s}`)
  if (step.error) parts.push('could not run')
  if (step.skip) return `needs ${[...new Set(step.skip.needs.map((x) => `step ${x.step}`))].join(', ')}`
  return parts.join(', ') || (step.status === 'skipped' ? 'not run' : '-')
}

/** The summary table at the end of a report and the result line. */
export function renderSummary(r: ReportData, opts: ReportRenderOptions = {}): string {
  const c = palette(opts.color ?? false)
  const rows: Cell[][] = r.steps.map((s) => [
    String(s.index),
    s.title,
    { text: LABEL[s.status], style: styleOf(s.status) },
    counts(s),
  ])
  const table = renderTable(['#', 'STEP', 'RESULT', 'FINDINGS'], rows, { color: opts.color ?? false, empty: '' })
  const lines = [c.bold('Summary'), table]
  if (r.stopped) lines.push(c.yellow(`stopped: ${r.stopped}`))
  if (r.notSeen?.length)
    lines.push(
      c.bold('Not seen:'),
      ...r.notSeen.map((n) => renderNotSeen(`${n.what} (step ${n.step})`, n, { color: opts.color, indent: '  ' })),
    )
  const next = [
    ...new Set(
      r.steps.flatMap((s) =>
        s.findings
          .filter((f) => f.next && (f.severity === 'fail' || f.severity === 'warn'))
          .map((f) => f.next!.command),
      ),
    ),
  ]
  if (next.length) lines.push(`${c.bold('Next:')} ${next.join('\n      ')}${c.dim('  (--follow runs it)')}`)
  lines.push(`${c.bold('Result:')} ${paint(c, r.status, summaryLine(r))}`)
  return lines.join('\n')
}

/** A whole report as text: header, every step, summary (what a run streams, in one piece). */
export function renderReport(r: ReportData, opts: ReportRenderOptions = {}): string {
  return [
    renderHeader(r, opts),
    '',
    ...r.steps.map((s) => `${renderStep(s, r.steps.length, opts)}\n`),
    renderSummary(r, opts),
  ].join('\n')
}

/** A step as the plan and teach mode show it. */
export interface PlanStep {
  index: number
  title: string
  explain: string
  manual: string[]
  /** The step calls change(). */
  changes: boolean
  /** Number of ```js blocks. */
  blocks: number
}

function firstParagraph(text: string): string {
  return (text.split(/\n\s*\n/)[0] ?? '').replace(/\s*\n\s*/g, ' ').trim()
}

/** Manual commands as an indented shell listing. */
export function renderManual(manual: readonly string[], opts: ReportRenderOptions = {}): string {
  const c = palette(opts.color ?? false)
  return manual
    .map((m) =>
      m
        .split('\n')
        .map((l) => `    ${c.cyan(l)}`)
        .join('\n'),
    )
    .join('\n\n')
}

/** The --dry-run plan: each step with what it checks and the commands it stands for. */
export function renderPlan(steps: readonly PlanStep[], opts: ReportRenderOptions = {}): string {
  const c = palette(opts.color ?? false)
  const out: string[] = []
  for (const s of steps) {
    out.push(`${stepHeading(s, steps.length, opts)}${s.changes ? ` ${c.yellow('(changes things: asks first)')}` : ''}`)
    const p = firstParagraph(s.explain)
    if (p) out.push(indent(p, '  ', '  '))
    if (s.manual.length) out.push(c.dim('  manual equivalent:'), renderManual(s.manual, opts))
    out.push('')
  }
  out.push(
    c.dim(`${steps.length} step${steps.length === 1 ? '' : 's'} planned; nothing was run (drop --dry-run to run them)`),
  )
  return out.join('\n')
}

/** Teach mode, before a step: its explanation, the manual commands, and the prompt to go on. */
export function renderTeachIntro(s: PlanStep, total: number, opts: ReportRenderOptions = {}): string {
  const c = palette(opts.color ?? false)
  const out = [stepHeading({ index: s.index, title: s.title }, total, opts)]
  if (s.explain.trim()) out.push(indent(s.explain.trim(), '  ', '  '))
  if (s.manual.length) out.push('', c.dim('  By hand, you would run:'), renderManual(s.manual, opts))
  if (s.changes) out.push('', c.yellow('  This step can change things; it asks before each change.'))
  return out.join('\n')
}

/** Teach mode, before the first step: the recipe's title and introduction. */
export function renderTeachStart(r: { title?: string; intro: string }, opts: ReportRenderOptions = {}): string {
  const c = palette(opts.color ?? false)
  const parts = [r.title ? c.bold(r.title) : '', r.intro.trim()].filter(Boolean)
  return parts.length ? `${parts.join('\n\n')}\n\n` : ''
}

/** Teach mode, after a step: how to read the result (the prose after the step's code). */
export function renderTeachAfter(after: string, opts: ReportRenderOptions = {}): string {
  const c = palette(opts.color ?? false)
  return after.trim() ? `${c.dim('  What it means:')}\n${indent(after.trim(), '  ', '  ')}` : ''
}

/** One recipe in `kinspect recipes` (the engine's listing entry). */
export type RecipeListItem = RecipeInfo

/** The recipe list: name and summary, then each parameter with its type, default and description. */
export function renderRecipeList(
  items: readonly RecipeListItem[],
  opts: ReportRenderOptions & { dirs?: string[] } = {},
): string {
  const c = palette(opts.color ?? false)
  if (!items.length)
    return `no recipes found${opts.dirs?.length ? ` in ${opts.dirs.join(', ')}` : ''} (config recipeDirs)`
  const w = Math.max(...items.map((i) => i.name.length))
  const out: string[] = []
  for (const i of items) {
    if (i.error) {
      out.push(`${c.red(i.name.padEnd(w))}  ${c.red(`malformed: ${i.error}`)}`)
      continue
    }
    const tags = [
      i.changes ? c.yellow('[changes things]') : '',
      i.shadowed ? c.dim(`[hidden by an earlier recipe of the same name: ${i.file}]`) : '',
    ]
      .filter(Boolean)
      .join(' ')
    out.push(`${c.bold(i.name.padEnd(w))}  ${i.description ?? ''}${tags ? ` ${tags}` : ''}`)
    for (const p of i.params ?? []) {
      const dflt = p.required ? 'required' : p.default !== undefined ? `default ${String(p.default)}` : 'optional'
      out.push(
        `${' '.repeat(w + 2)}--${p.name} ${c.dim(`(${p.type}, ${dflt})`)}${p.description ? ` ${p.description}` : ''}`,
      )
    }
  }
  out.push(
    '',
    c.dim('run one: kinspect run NAME [--param value]...  (--teach explains each step, --dry-run shows the plan)'),
  )
  return out.join('\n')
}
