// Runs a parsed recipe: each step's ```js blocks in one headless shell (the REPL's own evaluator, so notebook
// blocks run the same way), with the shell's globals plus params, finding() and change(); streams the report.
import type { SessionApi } from '../session.ts'
import { wantColor } from '../render/color.ts'
import {
  renderHeader,
  renderPlan,
  renderTeachStart,
  renderStepBody,
  renderSummary,
  renderTeachAfter,
  renderTeachIntro,
  stepHeading,
  type PlanStep,
} from '../render/report.ts'
import type { Recipe } from './format.ts'
import { NAMESPACED_TYPES, type ParamDef, type ParamValue } from './params.ts'
import { LineReader, noProgress, plainProgress, spinner, type Progress } from './progress.ts'
import { RecipeError, RecipeReport, type RecipeCatalog, type StepReport } from './report.ts'
import { stepGlobals, type StepCursor } from './step-globals.ts'
import { stepScope } from './scope.ts'
import { Capture, runStep, skipReason, unset, type Missing, type MissingHow } from './run-step.ts'
import { isDotCommand } from './markdown.ts'
import { recipeCatalog } from './loader.ts'
import { planNodeAccess } from './access.ts'
import { renderAccessPlan } from '../render/nodeaccess.ts'
import type { LineSource, StartShell } from './types.ts'

export { skipReason } from './run-step.ts'
export { recipeCatalog } from './loader.ts'

/** How to run a recipe. */
export interface RunnerOptions {
  session: SessionApi
  /** The headless shell the steps run in (headlessShell from src/repl/index.ts). */
  shell: StartShell
  /** Where the report goes. */
  output: NodeJS.WritableStream & { isTTY?: boolean }
  /** Where teach mode waits for Enter and change() asks (none: teach is refused, changes are not applied without yes). */
  input?: NodeJS.ReadableStream
  /** Answers from a shell that owns the input (the REPL); used instead of input. */
  lines?: LineSource
  teach?: boolean
  dryRun?: boolean
  /** Apply changes without asking. */
  yes?: boolean
  format?: 'text' | 'json'
  /** Colours; default: the output is a terminal and NO_COLOR/FORCE_COLOR allow it. */
  color?: boolean
  /** Spinner instead of plain progress lines; default: output.isTTY. */
  tty?: boolean
  /** Progress display override (tests). */
  progress?: Progress
  /** The recipes a finding's `next` may name; default: those of the session's recipe folders (loaded before step 1). */
  recipes?: RecipeCatalog
  /** With format json: print the report when it ends (default true; --follow prints them all at the end instead). */
  printJson?: boolean
}

/**
 * Replaces {{param}} (and {{namespace}}, {{context}}) in manual commands; unset parameters show as <name>.
 * A pod, service or deployment parameter given as namespace/name fills {{param}} with the name and {{namespace}} with
 * its namespace, so `kubectl get pod {{pod}} -n {{namespace}}` stays a valid command.
 */
export function expandManual(
  text: string,
  params: Record<string, ParamValue>,
  where: { namespace: string; context: string },
  defs: readonly Pick<ParamDef, 'name' | 'type'>[] = [],
): string {
  let namespace = where.namespace
  const values: Record<string, string | undefined> = {}
  for (const [k, v] of Object.entries(params)) {
    const def = defs.find((d) => d.name === k)
    if (typeof v === 'string' && def && (NAMESPACED_TYPES as readonly string[]).includes(def.type) && v.includes('/')) {
      const [ns, name] = v.split('/')
      values[k] = name
      if (namespace === where.namespace) namespace = ns
    } else values[k] = v === undefined ? undefined : String(v)
  }
  return text.replace(/\{\{\s*([A-Za-z_]\w*)\s*\}\}/g, (m, name: string) => {
    if (name in values) return values[name] ?? `<${name}>`
    if (name === 'namespace') return namespace
    if (name === 'context') return where.context
    return m
  })
}

/** The plan of a recipe: each step with its explanation and expanded manual commands. */
export function planOf(
  recipe: Recipe,
  params: Record<string, ParamValue>,
  where: { namespace: string; context: string },
): PlanStep[] {
  return recipe.steps.map((s, i) => ({
    index: i + 1,
    title: s.title,
    explain: s.explain,
    manual: s.manual.map((m) => expandManual(m, params, where, recipe.params)),
    changes: s.blocks.some((b) => /\bchange\s*\(/.test(b.code)),
    blocks: s.blocks.length,
  }))
}

// The report before step 1: every step planned (dry run) or skipped until it runs.
function newReport(
  recipe: Recipe,
  params: Record<string, ParamValue>,
  plan: PlanStep[],
  where: { namespace: string; context: string },
  mode: 'dry-run' | 'teach' | 'run',
  t0: number,
): RecipeReport {
  const steps: StepReport[] = plan.map((p) => ({
    index: p.index,
    title: p.title,
    line: recipe.steps[p.index - 1].line,
    status: mode === 'dry-run' ? 'planned' : 'skipped',
    findings: [],
    changes: [],
    manual: p.manual,
    durationMs: 0,
  }))
  return new RecipeReport({
    recipe: { name: recipe.name, summary: recipe.summary, file: recipe.file, changes: recipe.changes },
    params: { ...params },
    context: where.context,
    namespace: where.namespace,
    mode,
    startedAt: new Date(t0).toISOString(),
    steps,
  })
}

// What each step declares and reads: a step is skipped only when it reads a name an earlier step did not make.
function stepScopes(recipe: Recipe) {
  return recipe.steps.map((st) =>
    stepScope(
      st.blocks
        .filter((b) => !isDotCommand(b.code))
        .map((b) => b.code)
        .join('\n'),
    ),
  )
}

/** Runs a recipe whose parameters are already validated; resolves to the report (streamed to output as it runs). */
export async function runParsedRecipe(
  recipe: Recipe,
  params: Record<string, ParamValue>,
  opts: RunnerOptions,
): Promise<RecipeReport> {
  const { session, output } = opts
  const json = opts.format === 'json'
  const color = !json && (opts.color ?? wantColor(output))
  const ro = { color }
  const write = (text: string) => {
    if (!json) output.write(text.endsWith('\n') ? text : `${text}\n`)
  }
  const where = { namespace: session.namespace, context: session.context }
  const plan = planOf(recipe, params, where)
  const mode = opts.dryRun ? 'dry-run' : opts.teach ? 'teach' : 'run'
  const t0 = Date.now()
  const report = newReport(recipe, params, plan, where, mode, t0)
  const steps = report.steps
  const printJson = json && opts.printJson !== false
  const finish = () => {
    report.durationMs = Date.now() - t0
    report.finish()
    if (printJson) output.write(`${JSON.stringify(report, null, 2)}\n`)
    else if (!json) write(renderSummary(report, ro))
    return report
  }
  if (opts.teach && !opts.input && !opts.lines && !opts.dryRun)
    throw new RecipeError(
      'usage',
      '--teach waits for Enter before each step, but there is no input to read it from',
      'run it from a terminal: kinspect run NAME --teach',
    )

  write(`${renderHeader(report, ro)}\n\n`)
  if (opts.teach && !opts.dryRun) write(renderTeachStart(recipe, ro))
  if (opts.dryRun) {
    write(renderPlan(plan, ro))
    report.nodeAccess = await planNodeAccess(recipe, params, session)
    if (report.nodeAccess) write(`\n${renderAccessPlan(report.nodeAccess, ro.color)}`)
    report.durationMs = Date.now() - t0
    report.finish()
    if (printJson) output.write(`${JSON.stringify(report, null, 2)}\n`)
    return report
  }
  const recipes = opts.recipes ?? (await recipeCatalog(session.config))

  const tty = opts.tty ?? output.isTTY === true
  const progress = opts.progress ?? (json ? noProgress : tty ? spinner(output, { color }) : plainProgress(output))
  const undisplay = session.access?.addDisplay(progress) // node access pauses it to show pod phases or ask
  const asks = opts.teach || (recipe.changes && !opts.yes)
  const own = !opts.lines && opts.input && asks ? new LineReader(opts.input) : undefined
  const reader: LineSource | undefined = asks ? (opts.lines ?? own) : undefined
  const cursor: StepCursor = {}
  const { finding, notSeen, change } = stepGlobals({
    recipe,
    recipes,
    session,
    cursor,
    output,
    progress,
    reader,
    yes: opts.yes,
  })

  const capture = new Capture()
  const errors = new Capture()
  const shell = opts.shell({ session, output: capture, errorOutput: errors })
  Object.assign(shell.context, { params: Object.freeze({ ...params }), finding, change, notSeen })

  const scopes = stepScopes(recipe)
  const missing: Missing = new Map()
  const forget = (names: readonly string[], p: { index: number; title: string }, how: MissingHow) => {
    for (const n of names) if (!missing.has(n)) missing.set(n, { step: p.index, title: p.title, how })
  }

  try {
    let stepNo = 0
    for (const section of recipe.sections) {
      if (section.kind === 'note') {
        if (opts.teach && section.explain.trim()) write(`${section.title}\n${section.explain.trim()}\n`)
        continue
      }
      const scope = scopes[stepNo]
      const step = steps[stepNo]
      const p = plan[stepNo++]
      const skip = skipReason(scope, missing)
      if (skip) {
        step.status = 'skipped'
        step.skip = skip
        forget(scope.declares, p, 'skipped')
        write(`${stepHeading(step, plan.length, ro)}\n${renderStepBody(step, ro)}\n\n`)
        continue
      }
      if (opts.teach) {
        write(`${renderTeachIntro(p, plan.length, ro)}\n`)
        output.write('  Press Enter to run this step (s = skip it, q = stop here) ')
        const answer = await reader!.next()
        // A terminal echoes the Enter; piped input does not.
        if (answer === null || !reader!.echoes) output.write('\n')
        if (answer !== null && /^\s*q/i.test(answer)) {
          report.stopped = `stopped in teach mode before step ${p.index}`
          break
        }
        if (answer !== null && /^\s*s/i.test(answer)) {
          write('  (skipped)\n\n')
          forget(scope.declares, p, 'skipped')
          continue
        }
      } else if (!tty || json) write(stepHeading(step, plan.length, ro))
      const outcome = await runStep(
        section,
        step,
        shell,
        capture,
        errors,
        progress,
        `[${p.index}/${plan.length}] ${p.title}`,
        (s) => (cursor.current = s),
      )
      if (!opts.teach && tty && !json) write(stepHeading(step, plan.length, ro))
      write(`${renderStepBody(step, ro)}\n\n`)
      if (opts.teach && section.after.trim()) write(`${renderTeachAfter(section.after, ro)}\n\n`)
      // A step that threw made only the names it reached: the steps that read the others are skipped.
      if (outcome !== 'ok') forget(unset(shell.context, scope.declares), p, outcome)
    }
  } finally {
    cursor.current = undefined
    undisplay?.()
    progress.stop()
    shell.close()
    own?.close()
  }
  return finish()
}
