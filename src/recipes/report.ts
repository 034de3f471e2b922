// What a recipe run produces: findings per step, the summary and the exit code (finding() validation: finding.ts).
import { HintedError } from '../errors.ts'
import { present } from '../present.ts'
import type { NotSeen } from '../notseen.ts'
import { spell, type ParamDef } from './params.ts'
import type { NodeAccessPlan } from './access.ts'

/** How bad a finding is (what finding() takes). */
export type Severity = 'ok' | 'info' | 'warn' | 'fail'
/** Severities in increasing order. */
export const SEVERITIES: readonly Severity[] = ['ok', 'info', 'warn', 'fail']
/** A finding's level: a severity, or NOT SEEN (the step could not look at something: notSeen(), or an error that says so). */
export type Level = Severity | 'not-seen'
/** Levels in increasing order of attention: NOT SEEN ranks above what was seen fine and below a warning. */
export const LEVELS: readonly Level[] = ['ok', 'info', 'not-seen', 'warn', 'fail']

/** The command a finding is based on and what it printed. */
export interface Evidence {
  command: string
  output: string
  /**
   * Set when the command reads `ssh NODE …` (the manual equivalent recipes write) but kinspect reached NODE another way:
   * through its node pod ('pod') or a pod of a fleet's DaemonSet ('daemonset'), so SSH was not used.
   */
  via?: 'pod' | 'daemonset'
}

/** The recipe to run next, as a finding names it: checked against the recipe's parameters, with its command line. */
export interface NextRecipe {
  recipe: string
  /** The parameters as given (strings, as on a command line). */
  params: Record<string, string>
  /** `kinspect run NAME --param value ...` */
  command: string
}

/** What a NOT SEEN finding could not look at, why (src/notseen.ts), and what to grant or configure. */
export interface NotSeenDetail extends NotSeen {
  /** What could not be looked at: "lab-2", "the pod and Service names", or the step's title. */
  what: string
}

/**
 * One observation of a step. warn and fail carry a remedy; `next` names the recipe that goes on from here. A NOT
 * SEEN finding (severity 'not-seen') has `notSeen`; its remedy is what to grant or configure.
 */
export interface Finding {
  severity: Level
  message: string
  evidence?: Evidence
  remedy?: string
  next?: NextRecipe
  notSeen?: NotSeenDetail
}

/** The recipes a finding's `next` may name: name -> its parameters (what the runner loads before the steps run). */
export type RecipeCatalog = ReadonlyMap<string, { name: string; params: readonly ParamDef[] }>

/** `kinspect run NAME --p v ...` for a recipe and its parameters. Pure. */
export function recipeCommand(recipe: string, params: Readonly<Record<string, string>>): string {
  return ['kinspect run', recipe, ...Object.entries(params).map(([k, v]) => spell(k, v, 'flag'))].join(' ')
}

/** A change a recipe asked for (change()), and whether it was applied. */
export interface ChangeRecord {
  description: string
  applied: boolean
  /** Why it was not applied. */
  reason?: string
}

/**
 * How a step ended: the worst finding ('not-seen' also when it threw an error that means it could not look), 'none'
 * (no findings), 'error' (it threw anything else), 'skipped' (it needs a value a step before did not make, or teach
 * mode skipped it) or 'planned' (dry run).
 */
export type StepStatus = Level | 'none' | 'error' | 'skipped' | 'planned'

/** Why a step was skipped: the names it needs that an earlier step did not make, and which step that was. */
export interface SkipReason {
  /** "needs checked from step 1 (Pick the nodes), which could not run". */
  reason: string
  needs: { name: string; step: number }[]
}

/** One step of a report. */
export interface StepReport {
  index: number
  title: string
  line: number
  status: StepStatus
  findings: Finding[]
  changes: ChangeRecord[]
  /** Manual equivalent commands with the parameters filled in. */
  manual: string[]
  durationMs: number
  /** What the step printed (console.log, values of its last expressions). */
  output?: string
  error?: { message: string; hint?: string }
  /** Why it was skipped, when it needs a value an earlier step did not make. */
  skip?: SkipReason
}

/** Counts of findings by severity and of NOT SEEN findings, plus steps that errored or were skipped. */
export interface ReportSummary {
  ok: number
  info: number
  warn: number
  fail: number
  notSeen: number
  errors: number
  skipped: number
}

/**
 * 1: a finding failed. Otherwise 2: a step threw an error (bad input, a bug), or nothing could be checked (every
 * step NOT SEEN or skipped); 0: nothing failed (warnings and NOT SEEN beside what was checked are fine).
 */
export type ExitCode = 0 | 1 | 2

/** One NOT SEEN of a run, for the summary: the step it is in and what it says. */
export interface NotSeenEntry extends NotSeenDetail {
  step: number
  title: string
}

/** The data of a report (what -o json prints). */
export interface ReportData {
  recipe: { name: string; summary: string; file: string; changes: boolean }
  params: Record<string, unknown>
  context: string
  namespace: string
  mode: 'run' | 'teach' | 'dry-run'
  startedAt: string
  durationMs: number
  steps: StepReport[]
  summary: ReportSummary
  /**
   * fail; error (a step threw, nothing failed); not-seen (nothing could be checked); warn (a warning); ok; planned
   * (dry run). What could not be seen beside what was checked is in `notSeen` and leaves the status as it is.
   */
  status: 'ok' | 'warn' | 'fail' | 'error' | 'not-seen' | 'planned'
  exitCode: ExitCode
  /** Everything NOT SEEN, step by step (the summary lists them). */
  notSeen: NotSeenEntry[]
  /** Why the run stopped early, if it did. */
  stopped?: string
  /** The reports of the recipes --follow ran after this one (their `next`), in order. */
  followed?: ReportData[]
  /** Dry run: the steps that reach nodes, and whether each node would get SSH or a node pod. */
  nodeAccess?: NodeAccessPlan
}

/** A recipe run's report; prints as one summary line (the full text was streamed while it ran). */
export class RecipeReport implements ReportData {
  recipe!: ReportData['recipe']
  params!: Record<string, unknown>
  context!: string
  namespace!: string
  mode!: ReportData['mode']
  startedAt!: string
  durationMs = 0
  steps: StepReport[] = []
  summary: ReportSummary = { ok: 0, info: 0, warn: 0, fail: 0, notSeen: 0, errors: 0, skipped: 0 }
  status: ReportData['status'] = 'ok'
  exitCode: ExitCode = 0
  notSeen: NotSeenEntry[] = []
  stopped?: string
  followed?: RecipeReport[]
  nodeAccess?: NodeAccessPlan
  constructor(
    init: Omit<ReportData, 'summary' | 'status' | 'exitCode' | 'durationMs' | 'notSeen'> & { durationMs?: number },
  ) {
    Object.assign(this, init)
    this.finish()
  }

  /** Recomputes summary, status, exit code and the NOT SEEN list from the steps. */
  finish(): this {
    const s: ReportSummary = { ok: 0, info: 0, warn: 0, fail: 0, notSeen: 0, errors: 0, skipped: 0 }
    const notSeen: NotSeenEntry[] = []
    for (const st of this.steps) {
      for (const f of st.findings) {
        if (f.severity === 'not-seen') {
          s.notSeen++
          if (f.notSeen) notSeen.push({ step: st.index, title: st.title, ...f.notSeen })
        } else s[f.severity]++
      }
      if (st.status === 'error') s.errors++
      if (st.status === 'skipped') s.skipped++
    }
    this.summary = s
    this.notSeen = notSeen
    // Something was checked when anything other than NOT SEEN was found.
    const checked = s.ok + s.info + s.warn + s.fail > 0
    const blind = s.notSeen > 0 && !checked
    this.exitCode = s.fail ? 1 : s.errors || blind ? 2 : 0
    this.status =
      this.mode === 'dry-run'
        ? 'planned'
        : s.fail
          ? 'fail'
          : s.errors
            ? 'error'
            : blind
              ? 'not-seen'
              : s.warn
                ? 'warn'
                : 'ok'
    return this
  }

  /** The plain data (JSON.stringify uses it). */
  toJSON(): ReportData {
    const { stopped, followed, nodeAccess } = this
    return {
      recipe: this.recipe,
      // Unset parameters are null, so JSON keeps every parameter of the recipe.
      params: Object.fromEntries(Object.entries(this.params).map(([k, v]) => [k, v === undefined ? null : v])),
      context: this.context,
      namespace: this.namespace,
      mode: this.mode,
      startedAt: this.startedAt,
      durationMs: this.durationMs,
      steps: this.steps,
      summary: this.summary,
      status: this.status,
      exitCode: this.exitCode,
      notSeen: this.notSeen,
      ...(stopped ? { stopped } : {}),
      ...(followed?.length ? { followed: followed.map((r) => r.toJSON()) } : {}),
      ...(nodeAccess ? { nodeAccess } : {}),
    }
  }

  /** The worst exit code of this run and the runs --follow made after it (what the process exits with). */
  get overallExitCode(): ExitCode {
    return Math.max(this.exitCode, ...(this.followed ?? []).map((r) => r.overallExitCode)) as ExitCode
  }

  /** The distinct `next` recipes of the warn and fail findings, in report order (what --follow runs). */
  nextRecipes(): NextRecipe[] {
    const seen = new Set<string>()
    const out: NextRecipe[] = []
    for (const st of this.steps) {
      for (const f of st.findings) {
        if (!f.next || (f.severity !== 'warn' && f.severity !== 'fail') || seen.has(f.next.command)) continue
        seen.add(f.next.command)
        out.push(f.next)
      }
    }
    return out
  }
}
// Prints as one line: the recipe and its summary (the report itself was streamed as it ran).
present(RecipeReport.prototype, (r) => `RecipeReport ${r.recipe.name}: ${summaryLine(r)}`)

/** "FAIL: 2 failed, 1 warning, 3 ok (exit 1)" and the like. */
export function summaryLine(r: Pick<ReportData, 'summary' | 'status' | 'exitCode' | 'steps'>): string {
  const s = r.summary
  const parts = [
    s.fail && `${s.fail} failed`,
    s.warn && `${s.warn} warning${s.warn === 1 ? '' : 's'}`,
    s.info && `${s.info} info`,
    s.ok && `${s.ok} ok`,
    s.notSeen && `${s.notSeen} not seen`,
    s.errors && `${s.errors} step${s.errors === 1 ? '' : 's'} could not run`,
    s.skipped && `${s.skipped} skipped`,
  ].filter(Boolean)
  if (r.status === 'planned') return `PLANNED: ${r.steps.length} step${r.steps.length === 1 ? '' : 's'}, nothing run`
  const status = r.status === 'not-seen' ? 'NOT SEEN' : r.status.toUpperCase()
  return `${status}: ${parts.join(', ') || 'no findings'} (exit ${r.exitCode})`
}

/** The worst level of a list of findings ('none' when empty); NOT SEEN ranks between info and warn. */
export function worst(findings: readonly Finding[]): Level | 'none' {
  let w = -1
  for (const f of findings) w = Math.max(w, LEVELS.indexOf(f.severity))
  return w < 0 ? 'none' : LEVELS[w]
}

/** A misuse of finding()/change() by recipe code, or a recipe that cannot run. */
export class RecipeError extends HintedError<'usage' | 'invalid' | 'notfound' | 'unavailable'> {
  override name = 'RecipeError'
}
