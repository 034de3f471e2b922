// The fuzz harness: inputs (random text, mutated lab captures, mutated JSON), the 50 ms per-case budget, and one uvu
// test per parser that first surveys every case (counting failures and timings) and then, on a failure, replays the
// first failing case through fc.assert so fast-check shrinks it to a minimal counterexample.
import fc from 'fast-check'
import fs from 'node:fs'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { test } from 'uvu'

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

const LAB = path.join(import.meta.dirname, '../fixtures/lab')
const NET = path.join(import.meta.dirname, '../net/fixtures')

/** A capture of test/fixtures/lab (written by `npm run lab -- capture`). */
export const labCapture = (f: string): string => fs.readFileSync(path.join(LAB, f), 'utf8')
/** A capture of test/net/fixtures (captured on the lab node, see its README). */
export const netCapture = (f: string): string => fs.readFileSync(path.join(NET, f), 'utf8')

/** Every text capture, as a pool of foreign lines to splice into another parser's input. */
export const ALL_CAPTURES: string[] = [
  ...fs.readdirSync(LAB).filter((f) => /\.(txt|json)$/.test(f)).map(labCapture),
  ...fs.readdirSync(NET).filter((f) => f.endsWith('.txt')).map(netCapture),
]
const FOREIGN_LINES = [...new Set(ALL_CAPTURES.flatMap((t) => t.split('\n')).filter((l) => l.trim() && l.length < 400))]

/** Numbers that break naive parsing: huge, negative, fractional, exponent, hex, NaN-ish. */
export const NASTY_NUMBERS = ['0', '-1', '-0', '4294967296', '18446744073709551616', '9'.repeat(400), '1e309', '1e-400', '0.5', '0x1f', 'NaN', 'Infinity', '00000000010', '+7', '9007199254740993']

/** One mutation of a text. */
type Mutation =
  | { k: 'flip'; at: number; bit: number }
  | { k: 'drop' | 'dup'; line: number }
  | { k: 'swap'; a: number; b: number }
  | { k: 'truncate'; at: number }
  | { k: 'splice'; line: number; foreign: number }
  | { k: 'number'; which: number; value: string }
  | { k: 'insert'; at: number; text: string }
  | { k: 'repeat'; at: number; len: number; times: number }
  | { k: 'crlf'; all: boolean; line: number }
  | { k: 'flood'; at: number; frag: number; times: number; sep: string }
  | { k: 'widen'; line: number; times: number; tail: string }

const mutation = (frags: number): fc.Arbitrary<Mutation> => fc.oneof(
  fc.record({ k: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ k: fc.constantFrom('drop' as const, 'dup' as const), line: fc.nat() }),
  fc.record({ k: fc.constant('swap' as const), a: fc.nat(), b: fc.nat() }),
  fc.record({ k: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ k: fc.constant('splice' as const), line: fc.nat(), foreign: fc.nat() }),
  fc.record({ k: fc.constant('number' as const), which: fc.nat(), value: fc.oneof(fc.constantFrom(...NASTY_NUMBERS), fc.bigInt().map(String)) }),
  fc.record({
    k: fc.constant('insert' as const),
    at: fc.nat(),
    text: fc.oneof(fc.string({ unit: 'binary', maxLength: 8 }), fc.constantFrom('\u2028', '\u202e', '\0', '\ufeff', '\ud800', '"', '\\', '[', '%', ' # ', '=', '\t', '\r', '::', '..', '-->', '{{', '```', '---')),
  }),
  fc.record({ k: fc.constant('repeat' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 24 }), times: fc.integer({ min: 2, max: 20_000 }) }),
  fc.record({ k: fc.constant('crlf' as const), all: fc.boolean(), line: fc.nat() }),
  fc.record({ k: fc.constant('widen' as const), line: fc.nat(), times: fc.integer({ min: 2, max: 20_000 }), tail: fc.constantFrom('', '\r', '\u2028', '\u2029', '\x0b', '\u0085', '#', '=', '"') }),
  ...(frags ? [fc.record({ k: fc.constant('flood' as const), at: fc.nat(), frag: fc.nat({ max: frags - 1 }), times: fc.integer({ min: 2, max: 5000 }), sep: fc.constantFrom(' ', '', '\n', '\t', ',') })] : []),
)

/** Inputs grow (by repeats, floods, widening) to at most this many characters unless a target asks for less. */
export const MAX_LEN = 64_000

/** Lines, words and phrases of two to four words of the seeds: what a flood repeats (a regex that restarts at every copy of one is quadratic). */
function fragments(seeds: readonly string[]): string[] {
  const out = new Set<string>()
  for (const s of seeds) {
    for (const line of s.split('\n')) {
      if (line.trim() && line.length <= 120) out.add(line.trim())
      const w = line.trim().split(/\s+/).filter(Boolean)
      w.forEach((x, i) => {
        if (x.length <= 40) out.add(x)
        if (i + 1 < w.length) out.add(`${x} ${w[i + 1]}`.slice(0, 60))
        if (i + 2 < w.length) out.add(`${x} ${w[i + 1]} ${w[i + 2]}`.slice(0, 80))
        if (i + 3 < w.length) out.add(`${x} ${w[i + 1]} ${w[i + 2]} ${w[i + 3]}`.slice(0, 100))
      })
    }
  }
  return [...out].slice(0, 20_000)
}

/** Applies one mutation (none when it would grow the text beyond maxLen); positions are taken modulo the text's length so every value means something. */
export function mutate(text: string, m: Mutation, frags: readonly string[] = [], maxLen = MAX_LEN): string {
  const out = mutateOnce(text, m, frags, maxLen)
  return out.length > maxLen && out.length > text.length ? text : out
}

function mutateOnce(text: string, m: Mutation, frags: readonly string[], maxLen: number): string {
  const lines = text.split('\n')
  const li = (n: number) => n % Math.max(lines.length, 1)
  const at = (n: number) => n % (text.length + 1)
  switch (m.k) {
    case 'flip': {
      const b = Buffer.from(text, 'utf8')
      if (!b.length) return text
      b[m.at % b.length] ^= 1 << m.bit
      return b.toString('utf8')
    }
    case 'drop':
      lines.splice(li(m.line), 1)
      return lines.join('\n')
    case 'dup':
      lines.splice(li(m.line), 0, lines[li(m.line)] ?? '')
      return lines.join('\n')
    case 'swap': {
      const [a, b] = [li(m.a), li(m.b)]
      ;[lines[a], lines[b]] = [lines[b], lines[a]]
      return lines.join('\n')
    }
    case 'truncate':
      return text.slice(0, at(m.at))
    case 'splice':
      lines.splice(li(m.line), 0, FOREIGN_LINES[m.foreign % FOREIGN_LINES.length])
      return lines.join('\n')
    case 'number': {
      const nums = [...text.matchAll(/\d+/g)]
      if (!nums.length) return text
      const n = nums[m.which % nums.length]
      return text.slice(0, n.index) + m.value + text.slice(n.index! + n[0].length)
    }
    case 'insert': {
      const i = at(m.at)
      return text.slice(0, i) + m.text + text.slice(i)
    }
    case 'repeat': {
      const i = at(m.at)
      const piece = text.slice(i, i + m.len) || ' '
      const times = Math.min(m.times, Math.floor((maxLen - text.length) / piece.length))
      return times < 2 ? text : text.slice(0, i) + piece.repeat(times) + text.slice(i)
    }
    case 'flood': {
      const piece = frags[m.frag % Math.max(frags.length, 1)] ?? 'x'
      const times = Math.min(m.times, Math.floor((maxLen - text.length) / (piece.length + m.sep.length)))
      if (times < 2) return text
      const i = at(m.at)
      return text.slice(0, i) + (piece + m.sep).repeat(times) + text.slice(i)
    }
    case 'widen': {
      // a line's first blank run made thousands of blanks long, and something after it: separators under stress
      const l = li(m.line)
      const times = Math.min(m.times, maxLen - text.length - 1)
      if (times < 2) return text
      lines[l] = (/[ \t]/.test(lines[l]) ? lines[l].replace(/[ \t]/, (b) => b.repeat(times)) : lines[l] + ' '.repeat(times) + 'x') + m.tail
      return lines.join('\n')
    }
    case 'crlf':
      if (m.all) return text.replace(/\n/g, '\r\n')
      lines[li(m.line)] += '\r'
      return lines.join('\n')
  }
}

/** A window of up to 60 lines of a seed (the whole seed one time in ten, if under 32 KB), so a case stays small and shrinks well. */
const windowed = (seeds: readonly string[], maxLen = MAX_LEN) =>
  fc.record({ seed: fc.nat(), start: fc.nat(), len: fc.integer({ min: 1, max: 60 }), whole: fc.integer({ min: 0, max: 9 }) }).map(({ seed, start, len, whole }) => {
    const text = seeds[seed % seeds.length]
    if (whole === 9 && text.length <= Math.min(32_000, maxLen)) return text
    const lines = text.split('\n')
    const s = start % lines.length
    return lines.slice(s, s + len).join('\n')
  })

/** Seeds (captured outputs) with 0-6 mutations applied. */
export function mutatedText(seeds: readonly string[], maxLen = MAX_LEN): fc.Arbitrary<string> {
  if (!seeds.length) throw new Error('mutatedText: no seeds')
  const frags = fragments(seeds)
  return fc.tuple(windowed(seeds, maxLen), fc.array(mutation(frags.length), { maxLength: 6 })).map(([t, ms]) => ms.reduce((x, m) => mutate(x, m, frags, maxLen), t))
}

/** Random lines made of the seeds' own words and separators: reaches deeper than random bytes. */
export function wordSoup(seeds: readonly string[]): fc.Arbitrary<string> {
  const words = [...new Set(seeds.flatMap((s) => s.split(/[\s,;:=]+/)).filter((w) => w && w.length < 200))].slice(0, 5000)
  const word = fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...words) }, { weight: 1, arbitrary: fc.constantFrom(...NASTY_NUMBERS) }, { weight: 1, arbitrary: fc.string({ maxLength: 6 }) })
  const sep = fc.constantFrom(' ', ' ', ' ', '  ', '\t', '=', ':', ',', '/', '"', '\n', '\n', '\r\n')
  return fc.array(fc.tuple(word, sep), { maxLength: 120 }).map((ps) => ps.map(([w, s]) => w + s).join(''))
}

/** Random text: binary strings, full unicode, and long runs of one character (the usual backtracking triggers). */
export function randomText(maxLen = MAX_LEN): fc.Arbitrary<string> {
  return fc.oneof(
    fc.string({ unit: 'binary', maxLength: 300 }),
    fc.string({ unit: 'grapheme', maxLength: 300 }),
    fc.string({ maxLength: 300 }),
    fc.tuple(fc.string({ maxLength: 20 }), fc.constantFrom(' ', 'a', '0', '\t', '-', '.', '%', '*', '\\', '"', '#', '\r', '\u2028'), fc.integer({ min: 1, max: Math.max(1, maxLen - 40) }), fc.string({ maxLength: 20 })).map(
      ([a, c, n, b]) => a + c.repeat(n) + b,
    ),
  )
}

/** The usual text input: mutated seeds (most), word soup and random text; grown inputs stay under maxLen characters. */
export function textInput(seeds: readonly string[], maxLen = MAX_LEN): fc.Arbitrary<string> {
  return fc.oneof({ weight: 6, arbitrary: mutatedText(seeds, maxLen) }, { weight: 2, arbitrary: wordSoup(seeds) }, { weight: 1, arbitrary: randomText(maxLen) })
}

/** One structural mutation of a JSON document (by path position, modulo the number of nodes). */
type JsonMutation = { k: 'replace'; node: number; value: unknown } | { k: 'delete'; node: number } | { k: 'dup'; node: number } // dup: an array item

const nastyJson = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom(null, -1, 1e308, -0, 2 ** 53 + 2, '', '💥', [], {}, [null], { nftables: null }, 'x'.repeat(1000), true),
)

/** Every [container, key] of a JSON value, depth first. */
function slots(v: unknown, out: [any, string | number][] = []): [any, string | number][] {
  if (Array.isArray(v)) v.forEach((x, i) => (out.push([v, i]), slots(x, out)))
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) out.push([v, k]), slots(x, out)
  return out
}

/** The longest array in a JSON value (depth first), or undefined. */
function longestArray(v: unknown): unknown[] | undefined {
  let best: unknown[] | undefined
  const walk = (x: unknown) => {
    if (Array.isArray(x)) {
      if (!best || x.length > best.length) best = x
      x.forEach(walk)
    } else if (x && typeof x === 'object') Object.values(x).forEach(walk)
  }
  walk(v)
  return best
}

/**
 * JSON seeds parsed, the longest array cut to a window of up to 40 items (not one time in ten), then structurally
 * mutated (a node replaced by a random or nasty value, deleted or duplicated) and re-serialised.
 */
export function mutatedJson(seeds: readonly string[]): fc.Arbitrary<string> {
  const parsed = seeds.map((s) => JSON.parse(s) as unknown)
  const m: fc.Arbitrary<JsonMutation> = fc.oneof(
    { weight: 3, arbitrary: fc.record({ k: fc.constant('replace' as const), node: fc.nat(), value: nastyJson }) },
    fc.record({ k: fc.constant('delete' as const), node: fc.nat() }),
    fc.record({ k: fc.constant('dup' as const), node: fc.nat() }),
  )
  const win = fc.record({ start: fc.nat(), len: fc.integer({ min: 1, max: 40 }), whole: fc.integer({ min: 0, max: 9 }) })
  return fc.tuple(fc.nat(), win, fc.array(m, { maxLength: 6 }), fc.boolean()).map(([i, w, ms, pretty]) => {
    const doc = structuredClone(parsed[i % parsed.length])
    const arr = w.whole === 9 ? undefined : longestArray(doc)
    if (arr?.length) {
      const s = w.start % arr.length
      arr.splice(0, arr.length, ...arr.slice(s, s + w.len))
    }
    for (const mu of ms) {
      const all = slots(doc)
      if (!all.length) break
      const [c, k] = all[mu.node % all.length]
      if (mu.k === 'replace') c[k] = structuredClone(mu.value)
      else if (mu.k === 'delete') Array.isArray(c) ? c.splice(k as number, 1) : delete c[k]
      else if (Array.isArray(c)) c.splice(k as number, 0, structuredClone(c[k as number]))
    }
    return JSON.stringify(doc, null, pretty ? 2 : undefined)
  })
}

/** JSON input: structural mutations (most), text mutations of the JSON, and random text. */
export function jsonInput(seeds: readonly string[]): fc.Arbitrary<string> {
  return fc.oneof({ weight: 6, arbitrary: mutatedJson(seeds) }, { weight: 2, arbitrary: mutatedText(seeds) }, { weight: 1, arbitrary: randomText() })
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
  const once = (withCpu = false): { ms: number; cpuMs: number; out?: unknown; err?: unknown; threw: boolean } => {
    const c0 = withCpu ? process.cpuUsage() : undefined
    const t0 = performance.now()
    let res: { out?: unknown; err?: unknown; threw: boolean }
    try {
      res = { out: t.run(input), threw: false }
    } catch (err) {
      res = { err, threw: true }
    }
    const ms = performance.now() - t0
    const c = c0 && process.cpuUsage(c0)
    return { ...res, ms, cpuMs: c ? (c.user + c.system) / 1000 : ms }
  }
  const first = once()
  let r = first
  // A case over budget is measured up to 4 more times, judged on its fastest run, and in CPU time as well as wall time:
  // a GC pause, or the other programs on this 2-core machine holding the CPU, is not the parser's cost, while a
  // superlinear input is slow every time, in CPU time too.
  let cpuMs = Infinity
  for (let k = 0; k < 4 && r.ms > CASE_BUDGET_MS && cpuMs > CASE_BUDGET_MS; k++) {
    const again = once(true)
    cpuMs = Math.min(cpuMs, again.cpuMs)
    if (again.ms < r.ms) r = again
  }
  const slow = r.ms > CASE_BUDGET_MS && cpuMs > CASE_BUDGET_MS
  const base = { ms: first.ms, remeasured: first !== r || first.ms > CASE_BUDGET_MS }
  if (r.threw && !(t.expected?.(r.err) ?? false)) return { ...base, failure: `threw ${describeError(r.err)}` }
  if (slow) return { ...base, failure: `took ${r.ms.toFixed(1)} ms, ${cpuMs.toFixed(1)} ms of CPU (budget ${CASE_BUDGET_MS} ms, fastest of 5 runs) on an input of ${size(input)}` }
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
  return e instanceof Error ? `${e.constructor.name}: ${e.message.slice(0, 300)}${e.stack ? `\n${e.stack.split('\n').slice(1, 4).join('\n')}` : ''}` : String(e)
}

function size(x: unknown): string {
  return typeof x === 'string' ? `${x.length} characters` : `${JSON.stringify(x)?.length ?? 0} characters of JSON`
}

/** Max, p99 and total of per-case times. */
export function figures(name: string, times: readonly number[], failures: number, remeasured = 0, firstFailure?: string, kinds?: Map<string, number>): FuzzFigures {
  const sorted = [...times].sort((a, b) => a - b)
  const p99 = sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.99) - 1)] : 0
  const r = (x: number) => Math.round(x * 1000) / 1000
  return { name, cases: times.length, failures, maxMs: r(sorted.at(-1) ?? 0), p99Ms: r(p99), totalMs: r(times.reduce((s, x) => s + x, 0)),
    remeasured,
    ...(firstFailure ? { firstFailure } : {}),
    ...(kinds?.size ? { kinds: [...kinds].sort((a, b) => b[1] - a[1]).slice(0, 8).map(([kind, count]) => ({ kind, count })) } : {}),
  }
}

/** Survey: runs every case, counting failures and timings; returns the figures and the index of the first failure. */
export function survey<T>(t: FuzzTarget<T>, params: { seed: number; numRuns: number; timeMs?: number }): { figures: FuzzFigures; firstFailIndex?: number } {
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
        const kind = r.failure.split('\n').slice(0, 2).join(' | ').replace(/\d+(\.\d+)?/g, 'N').slice(0, 200)
        kinds.set(kind, (kinds.get(kind) ?? 0) + 1)
      }
      if (r.remeasured) remeasured++
      times.push(r.ms)
      return true
    }),
    { seed: params.seed, numRuns: params.numRuns, ...(params.timeMs ? { plugins: [fc.interruptAfterTimeLimit(params.timeMs)] } : {}) },
  )
  return { figures: figures(t.name, times, failures, remeasured, first?.msg, kinds), firstFailIndex: first?.i }
}

/** Registers the uvu test of one parser: survey, print the figures (a "#fuzz {json}" line), shrink and fail on any failure. */
export function fuzz<T>(t: FuzzTarget<T>, what = 'nothing but its typed error escapes, every case within 50 ms, invariants hold'): void {
  test(`fuzz ${t.name}: ${what}`, () => {
    const seed = Number(process.env.KINSPECT_FUZZ_SEED) || Date.now() ^ (Math.random() * 2 ** 31)
    const s = survey(t, { seed, numRuns: caseBudget(), timeMs: timeBudgetMs() })
    console.log(`#fuzz ${JSON.stringify(s.figures)}`)
    if (s.firstFailIndex === undefined) return
    if (process.env.KINSPECT_FUZZ_SHRINK === '0') throw new Error(`${t.name}: ${s.figures.failures} of ${s.figures.cases} cases failed (seed ${seed}); first: ${s.figures.firstFailure}`)
    // Replay the first failing case (same seed, its path) and let fast-check shrink it.
    fc.assert(
      fc.property(t.input, (x) => {
        const r = runCase(t, x)
        if (r.failure) throw new Error(r.failure)
      }),
      { seed, path: String(s.firstFailIndex), numRuns: caseBudget() },
    )
    throw new Error(`${t.name}: ${s.figures.failures} of ${s.figures.cases} cases failed (seed ${seed}), but the replay of the first did not fail again: ${s.figures.firstFailure}`)
  })
}
