// Shared by the transports: argument checks, option defaults and result helpers.
import { showArgv } from './quote.ts'
import { ExecError, ExecOutput, exitError, type ExecResult, type RunOptions } from './types.ts'

/** Default deadline of one command. */
export const DEFAULT_TIMEOUT_MS = 30_000

/** RunOptions after validation, with the deadline filled in. */
export interface CheckedOptions extends RunOptions {
  timeoutMs: number
}

/** Validates argv and options before anything runs; throws ExecError kind 'invalid' naming the bad argument. */
export function checkRun(target: string, argv: readonly string[], opts: RunOptions = {}): CheckedOptions {
  const bad = (what: string) => new ExecError('invalid', { target, argv: Array.isArray(argv) ? [...argv].map(String) : [] }, what)
  if (!Array.isArray(argv) || argv.length === 0) throw bad(`argv: expected a non-empty array of strings, received ${describe(argv)}`)
  argv.forEach((a, i) => {
    if (typeof a !== 'string') throw bad(`argv[${i}]: expected a string, received ${describe(a)}`)
    if (a.includes('\0')) throw bad(`argv[${i}]: an argument cannot contain a NUL byte`)
  })
  if (argv[0] === '') throw bad('argv[0]: the command name is empty')
  if (opts === null || typeof opts !== 'object') throw bad(`options: expected an object, received ${describe(opts)}`)
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS
  if (typeof timeoutMs !== 'number' || !Number.isFinite(timeoutMs) || timeoutMs <= 0) throw bad(`timeoutMs: expected a positive number of milliseconds, received ${describe(opts.timeoutMs)}`)
  if (opts.input !== undefined && typeof opts.input !== 'string') throw bad(`input: expected a string, received ${describe(opts.input)}`)
  if (opts.signal !== undefined && !(opts.signal instanceof AbortSignal)) throw bad(`signal: expected an AbortSignal, received ${describe(opts.signal)}`)
  return { ...opts, timeoutMs }
}

/** Short description of a value for error messages. */
export function describe(v: unknown): string {
  if (v === null) return 'null'
  if (Array.isArray(v)) return `an array of ${v.length}`
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)
  if (typeof v === 'object') return (v as object).constructor?.name ?? 'an object'
  return `${typeof v} ${String(v)}`
}

/** Turns a finished result into the caller's answer: the output, or an error unless nothrow. */
export function finish(r: ExecResult, opts: RunOptions, timedOut: boolean): ExecOutput {
  if (timedOut) {
    const out = new ExecOutput({ ...r, exitCode: 124 })
    if (opts.nothrow) return out
    throw new ExecError('timeout', out, `\`${showArgv(r.argv)}\` on ${r.target} timed out after ${Math.round(r.durationMs)} ms and was killed`, 'raise timeoutMs or check why the command hangs')
  }
  const out = new ExecOutput(r)
  if (out.exitCode === 0 || opts.nothrow) return out
  throw exitError(out)
}

/** The error for a command stopped through its AbortSignal. */
export function abortedError(r: ExecResult): ExecError {
  return new ExecError('aborted', r, `\`${showArgv(r.argv)}\` on ${r.target} was aborted`)
}

/** Concatenates collected chunks and decodes them as UTF-8. */
export function decode(chunks: Buffer[]): string {
  return Buffer.concat(chunks).toString('utf8')
}
