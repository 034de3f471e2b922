// Shared by the transports: argument checks, option defaults and result helpers.
import { received } from '../errors.ts'
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
  const bad = (what: string) =>
    new ExecError('invalid', { target, argv: Array.isArray(argv) ? [...argv].map(String) : [] }, what)
  if (!Array.isArray(argv) || argv.length === 0)
    throw bad(`argv: expected a non-empty array of strings, received ${received(argv)}`)
  argv.forEach((a, i) => {
    if (typeof a !== 'string') throw bad(`argv[${i}]: expected a string, received ${received(a)}`)
    if (a.includes('\0')) throw bad(`argv[${i}]: an argument cannot contain a NUL byte`)
  })
  if (argv[0] === '') throw bad('argv[0]: the command name is empty')
  if (opts === null || typeof opts !== 'object') throw bad(`options: expected an object, received ${received(opts)}`)
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS
  if (typeof timeoutMs !== 'number' || !Number.isFinite(timeoutMs) || timeoutMs <= 0)
    throw bad(`timeoutMs: expected a positive number of milliseconds, received ${received(opts.timeoutMs)}`)
  if (opts.input !== undefined && typeof opts.input !== 'string')
    throw bad(`input: expected a string, received ${received(opts.input)}`)
  if (opts.signal !== undefined && !(opts.signal instanceof AbortSignal))
    throw bad(`signal: expected an AbortSignal, received ${received(opts.signal)}`)
  return { ...opts, timeoutMs }
}

/** Turns a finished result into the caller's answer: the output, or an error unless nothrow. */
export function finish(r: ExecResult, opts: RunOptions, timedOut: boolean): ExecOutput {
  if (timedOut) {
    const out = new ExecOutput({ ...r, exitCode: 124 })
    if (opts.nothrow) return out
    throw new ExecError(
      'timeout',
      out,
      `\`${showArgv(r.argv)}\` on ${r.target} timed out after ${Math.round(r.durationMs)} ms and was killed`,
      'raise timeoutMs or check why the command hangs',
    )
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
