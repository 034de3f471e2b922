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
