// The shared shape of kinspect's expected failures: kind, message, hint, cause (as ExecError and KubeError).
import { present } from './present.ts'

/** An expected failure with a machine-readable kind and a hint for the user; printed without a stack. */
export class HintedError<K extends string = string> extends Error {
  override name = 'HintedError'
  constructor(
    public kind: K,
    message: string,
    public hint?: string,
    cause?: unknown,
  ) {
    super(message, cause === undefined ? undefined : { cause })
  }
}
// Prints as "Name [kind] message" and the hint, without a stack: these are expected failures.
present(HintedError.prototype, (e) => `${e.name} [${e.kind}] ${e.message}${e.hint ? `\n  hint: ${e.hint}` : ''}`)

/**
 * How a received value reads in an error message: strings quoted (clipped at 60 characters), `null`,
 * `undefined`, `number 42`, `boolean true`, `an array of 2`, `a function`, and objects by class (`Object`, `Map`).
 */
export function received(v: unknown): string {
  if (v === null) return 'null'
  if (v === undefined) return 'undefined'
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? `${v.slice(0, 60)}…` : v)
  if (Array.isArray(v)) return `an array of ${v.length}`
  if (typeof v === 'function') return 'a function'
  if (typeof v === 'object') return (v as object).constructor?.name ?? 'an object'
  return `${typeof v} ${String(v)}`
}

/** Edit distance of two short words (insert, delete, replace, swap two neighbours), case-insensitive. */
function distance(a: string, b: string): number {
  const [x, y] = [a.toLowerCase(), b.toLowerCase()]
  const d = Array.from({ length: x.length + 1 }, (_, i) => [i, ...Array<number>(y.length).fill(0)])
  for (let j = 1; j <= y.length; j++) d[0][j] = j
  for (let i = 1; i <= x.length; i++)
    for (let j = 1; j <= y.length; j++) {
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (x[i - 1] === y[j - 1] ? 0 : 1))
      if (i > 1 && j > 1 && x[i - 1] === y[j - 2] && x[i - 2] === y[j - 1])
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1)
    }
  return d[x.length][y.length]
}

/**
 * The candidates a mistyped word most likely meant, closest first: those within an edit distance of a third of their
 * length (at least 1), and those that start with the word (`conntrack` for conntrackStats, conntrackList).
 */
export function closest(word: string, candidates: readonly string[]): string[] {
  return candidates
    .map((c) => ({ c, d: distance(word, c) }))
    .filter(({ c, d }) => d <= Math.max(1, Math.floor(c.length / 3)) || (word.length >= 3 && c.startsWith(word)))
    .sort((p, q) => p.d - q.d)
    .map(({ c }) => c)
}

/**
 * What is wrong with an options object, as a message naming it (`what`): not an object, or a key that is none of
 * `known` (with the known key a typo most likely meant, and every option). Undefined when nothing is: an option that
 * is misspelled must not be ignored, or `pods(undefined, {namepsace: 'x'})` quietly lists another namespace.
 */
export function optionsProblem(opts: unknown, known: readonly string[], what = 'opts'): string | undefined {
  if (opts === undefined) return undefined
  if (opts === null || typeof opts !== 'object' || Array.isArray(opts))
    return `${what}: expected an object of options (${known.join(', ')}), received ${received(opts)}`
  const unknown = Object.keys(opts).find((k) => !known.includes(k))
  if (unknown === undefined) return undefined
  const near = closest(unknown, known)[0]
  return `${what}: unknown option ${JSON.stringify(unknown)}${near ? ` (did you mean ${near}?)` : ''}; the options are ${known.join(', ')}`
}
