// The fuzz harness: the 50 ms per-case budget, the case budgets, and one uvu test per parser that first surveys every
// case (counting failures and timings) and then, on a failure, replays the first failing case through fc.assert so
// fast-check shrinks it to a minimal counterexample. The inputs (seeds and mutators) are in inputs.ts.
import fc from 'fast-check'
import { test } from 'uvu'
import { remeasure, timed } from '../fast.ts'

export * from './inputs.ts'

/** No single input may take longer than this (ms) to parse. */
export const CASE_BUDGET_MS = 50

/** Cases per parser: KINSPECT_FUZZ_CASES, else 1000 (npm test), each test also stopped by the time limit below. */
export function caseBudget(env: Record<string, string | undefined> = process.env): number {
  const n = Number(env.KINSPECT_FUZZ_CASES)
  return Number.isInteger(n) && n > 0 ? n : 1000
}

/** Seconds per parser: KINSPECT_FUZZ_SECONDS; by default 1 s under npm test, unlimited when KINSPECT_FUZZ_CASES is set. */
export function timeBudgetMs(env: Record<string, string | undefined> = process.env): number | undefined {
  const s = Number(env.KINSPECT_FUZZ_SECONDS)
  if (Number.isFinite(s) && s > 0) return s * 1000
  return env.KINSPECT_FUZZ_CASES ? undefined : 1000
}

/** A parser under fuzz: its input, how to run it, which errors are its own, and what must hold of its result. */
export interface FuzzTarget<T> {
  /** Shown in reports, e.g. "iptables-save". */
  name: string
  input: fc.Arbitrary<T>
  /** Runs the parser (and whatever pure code consumes its result); timed. */
  run: (input: T) => unknown
  /** True for the parser's own typed error (anything else escaping is a failure). Default: nothing may throw. */
  expected?: (e: unknown) => boolean
  /** Throws when an invariant of the result does not hold (not timed). */
  check?: (out: any, input: T) => void
}

/** The figures of one fuzzed parser. */
export interface FuzzFigures {
  name: string
  cases: number
  failures: number
  maxMs: number
  p99Ms: number
  totalMs: number
  /** Cases whose first run went over the budget and were measured again (and passed only if a re-run was within it). */
  remeasured: number
  /** The first failure's message (before shrinking). */
  firstFailure?: string
  /** Distinct kinds of failure (first line, digits folded) and how often each happened, most frequent first, at most 8. */
  kinds?: { kind: string; count: number }[]
}

/** What one case did: ok, or why it failed; how long the parser took the first time, and whether that was re-measured. */
export function runCase<T>(t: FuzzTarget<T>, input: T): { ms: number; remeasured: boolean; failure?: string } {
  const once = (withCpu: boolean) =>
    timed((): { out?: unknown; err?: unknown; threw: boolean } => {
      try {
        return { out: t.run(input), threw: false }
      } catch (err) {
        return { err, threw: true }
      }
    }, withCpu)
  // A case over budget is measured up to 4 more times, judged on its fastest run, and in CPU time as well as wall time:
  // a GC pause, or the other programs on this 2-core machine holding the CPU, is not the parser's cost, while a
  // superlinear input is slow every time, in CPU time too (test/fast.ts).
  const first = once(false)
  const { fastest, cpuMs, slow } = remeasure(first, () => once(true), CASE_BUDGET_MS)
  const r = { ...fastest.value, ms: fastest.ms }
  const base = { ms: first.ms, remeasured: first !== fastest || first.ms > CASE_BUDGET_MS }
  if (r.threw && !(t.expected?.(r.err) ?? false)) return { ...base, failure: `threw ${describeError(r.err)}` }
  if (slow)
    return {
      ...base,
      failure: `took ${r.ms.toFixed(1)} ms, ${cpuMs.toFixed(1)} ms of CPU (budget ${CASE_BUDGET_MS} ms, fastest of 5 runs) on an input of ${size(input)}`,
    }
  if (!r.threw && t.check) {
    try {
      t.check(r.out, input)
    } catch (e) {
      return { ...base, failure: `invariant: ${(e as Error).message}` }
    }
  }
  return base
}

function describeError(e: unknown): string {
  return e instanceof Error
    ? `${e.constructor.name}: ${e.message.slice(0, 300)}${e.stack ? `\n${e.stack.split('\n').slice(1, 4).join('\n')}` : ''}`
    : String(e)
}

function size(x: unknown): string {
  return typeof x === 'string' ? `${x.length} characters` : `${JSON.stringify(x)?.length ?? 0} characters of JSON`
}

/** Max, p99 and total of per-case times. */
export function figures(
  name: string,
  times: readonly number[],
  failures: number,
  remeasured = 0,
  firstFailure?: string,
  kinds?: Map<string, number>,
): FuzzFigures {
  const sorted = [...times].sort((a, b) => a - b)
  const p99 = sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.99) - 1)] : 0
  const r = (x: number) => Math.round(x * 1000) / 1000
  return {
    name,
    cases: times.length,
    failures,
    maxMs: r(sorted.at(-1) ?? 0),
    p99Ms: r(p99),
    totalMs: r(times.reduce((s, x) => s + x, 0)),
    remeasured,
    ...(firstFailure ? { firstFailure } : {}),
    ...(kinds?.size
      ? {
          kinds: [...kinds]
            .sort((a, b) => b[1] - a[1])
            .slice(0, 8)
            .map(([kind, count]) => ({ kind, count })),
        }
      : {}),
  }
}

/** Survey: runs every case, counting failures and timings; returns the figures and the index of the first failure. */
export function survey<T>(
  t: FuzzTarget<T>,
  params: { seed: number; numRuns: number; timeMs?: number },
): { figures: FuzzFigures; firstFailIndex?: number } {
  const times: number[] = []
  let failures = 0
  let remeasured = 0
  let first: { i: number; msg: string } | undefined
  const kinds = new Map<string, number>()
  fc.check(
    fc.property(t.input, (x) => {
      const r = runCase(t, x)
      if (r.failure) {
        failures++
        first ??= { i: times.length, msg: r.failure }
        const kind = r.failure
          .split('\n')
          .slice(0, 2)
          .join(' | ')
          .replace(/\d+(\.\d+)?/g, 'N')
          .slice(0, 200)
        kinds.set(kind, (kinds.get(kind) ?? 0) + 1)
      }
      if (r.remeasured) remeasured++
      times.push(r.ms)
      return true
    }),
    {
      seed: params.seed,
      numRuns: params.numRuns,
      ...(params.timeMs ? { plugins: [fc.interruptAfterTimeLimit(params.timeMs)] } : {}),
    },
  )
  return { figures: figures(t.name, times, failures, remeasured, first?.msg, kinds), firstFailIndex: first?.i }
}

/** Registers the uvu test of one parser: survey, print the figures (a "#fuzz {json}" line), shrink and fail on any failure. */
export function fuzz<T>(
  t: FuzzTarget<T>,
  what = 'nothing but its typed error escapes, every case within 50 ms, invariants hold',
): void {
  test(`fuzz ${t.name}: ${what}`, () => {
    const seed = Number(process.env.KINSPECT_FUZZ_SEED) || Date.now() ^ (Math.random() * 2 ** 31)
    const s = survey(t, { seed, numRuns: caseBudget(), timeMs: timeBudgetMs() })
    console.log(`#fuzz ${JSON.stringify(s.figures)}`)
    if (s.firstFailIndex === undefined) return
    if (process.env.KINSPECT_FUZZ_SHRINK === '0')
      throw new Error(
        `${t.name}: ${s.figures.failures} of ${s.figures.cases} cases failed (seed ${seed}); first: ${s.figures.firstFailure}`,
      )
    // Replay the first failing case (same seed, its path) and let fast-check shrink it; fast-check keeps the failure
    // itself as the error's cause, which uvu does not print, so it goes first in the message.
    try {
      fc.assert(
        fc.property(t.input, (x) => {
          const r = runCase(t, x)
          if (r.failure) throw new Error(r.failure)
        }),
        { seed, path: String(s.firstFailIndex), numRuns: caseBudget() },
      )
    } catch (e) {
      const why = ((e as Error).cause as Error | undefined)?.message ?? ''
      throw new Error(
        `${t.name}: ${s.figures.failures} of ${s.figures.cases} cases failed; the shrunk counterexample ${why.split('\n')[0]}\n${(e as Error).message}`,
      )
    }
    throw new Error(
      `${t.name}: ${s.figures.failures} of ${s.figures.cases} cases failed (seed ${seed}), but the replay of the first did not fail again: ${s.figures.firstFailure}`,
    )
  })
}
