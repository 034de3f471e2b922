// One recipe step as the runner runs it: its blocks in the shell (output captured, errors sorted into NOT SEEN or
// error), and why a later step is skipped when it reads a name this one did not make.
import { Writable } from 'node:stream'
import vm from 'node:vm'
import { isErrorLike } from '../repl/errors.ts'
import { stripAnsi } from '../ansi.ts'
import type { Section } from './format.ts'
import type { Progress } from './progress.ts'
import { worst, type Finding, type StepReport } from './report.ts'
import { notSeenFinding } from './finding.ts'
import type { StepScope } from './scope.ts'

const MAX_STEP_OUTPUT = 8 * 1024

/** A sink that keeps what is written, synchronously. */
export class Capture extends Writable {
  text = ''
  override _write(chunk: unknown, _enc: BufferEncoding, cb: () => void): void {
    this.text += typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8')
    cb()
  }
  /** What was written since the last take(), and forgets it. */
  take(): string {
    const t = this.text
    this.text = ''
    return t
  }
}

function errorInfo(e: unknown): { message: string; hint?: string } {
  if (isErrorLike(e)) {
    const hint = (e as { hint?: unknown }).hint
    const name =
      e.name && !['Error', 'ShellError', 'RecipeError', 'KubeError', 'ExecError', 'NameError'].includes(e.name)
        ? `${e.name}: `
        : ''
    return { message: `${name}${e.message}`, ...(typeof hint === 'string' ? { hint } : {}) }
  }
  return { message: `thrown ${String(e)}` }
}

/** How a name an earlier step should have made went missing. */
export type MissingHow = 'error' | 'not-seen' | 'skipped'
/** Names no step made, with the step that should have. */
export type Missing = Map<string, { step: number; title: string; how: MissingHow }>

const HOW: Record<MissingHow, string> = {
  error: 'could not run',
  'not-seen': 'could not look (NOT SEEN)',
  skipped: 'was skipped',
}

/** Why a step must be skipped: the names it reads that are missing, by the step that should have made them. */
export function skipReason(scope: Pick<StepScope, 'uses'>, missing: Missing): StepReport['skip'] {
  const needs = scope.uses.filter((n) => missing.has(n))
  if (!needs.length) return undefined
  const bySource = new Map<number, string[]>()
  for (const n of needs) bySource.set(missing.get(n)!.step, [...(bySource.get(missing.get(n)!.step) ?? []), n])
  const parts = [...bySource]
    .sort((a, b) => a[0] - b[0])
    .map(([, names]) => {
      const m = missing.get(names[0])!
      const shown = names.length > 4 ? `${names.slice(0, 4).join(', ')} and ${names.length - 4} more` : names.join(', ')
      return `needs ${shown} from step ${m.step} (${m.title}), which ${HOW[m.how]}`
    })
  return { reason: parts.join('; '), needs: needs.map((name) => ({ name, step: missing.get(name)!.step })) }
}

/** The names that hold no value in the shell's context (never declared, never reached, or undefined). */
export function unset(context: object, names: readonly string[]): string[] {
  if (!vm.isContext(context)) return [...names]
  return names.filter((n) => {
    try {
      return vm.runInContext(`typeof ${n} === 'undefined'`, context, { timeout: 100 }) === true
    } catch {
      return true // still in its temporal dead zone
    }
  })
}

/** Runs one step's blocks; 'ok', or how it ended early: NOT SEEN (an error that means it could not look) or error. */
export async function runStep(
  section: Section,
  step: StepReport,
  shell: { evaluate(code: string): Promise<{ ok: boolean; error?: unknown }> },
  capture: Capture,
  errors: Capture,
  progress: Progress,
  label: string,
  setCurrent: (s: StepReport | undefined) => void,
): Promise<'ok' | 'not-seen' | 'error'> {
  const t0 = Date.now()
  setCurrent(step)
  step.status = 'none'
  progress.start(label)
  let outcome: 'ok' | 'not-seen' | 'error' = 'ok'
  let printed = ''
  try {
    for (const b of section.blocks) {
      capture.take()
      errors.take()
      const r = await shell.evaluate(b.code)
      printed += capture.take()
      const stray = errors.take()
      if (!r.ok) {
        // Findings made before the error stand.
        const seen: Finding | undefined = notSeenFinding(section.title, r.error)
        if (seen) {
          step.findings.push(seen)
          outcome = 'not-seen'
        } else {
          step.error = errorInfo(r.error)
          outcome = 'error'
        }
        break
      }
      printed += stray
    }
  } finally {
    progress.stop()
    setCurrent(undefined)
  }
  step.durationMs = Date.now() - t0
  const out = stripAnsi(printed).trimEnd()
  if (out)
    step.output =
      out.length > MAX_STEP_OUTPUT
        ? `${out.slice(0, MAX_STEP_OUTPUT)}\n… (${out.length - MAX_STEP_OUTPUT} more characters)`
        : out
  step.status = outcome === 'error' ? 'error' : worst(step.findings)
  return outcome
}
