// The one transport interface: every helper and recipe runs commands through an Exec.
import { HintedError } from '../errors.ts'
import { present } from '../present.ts'
import { showArgv } from './quote.ts'

/** Options for one command. */
export interface RunOptions {
  /** Deadline in ms; enforced on the target too (timeout -k) for remote transports. Default 30000. */
  timeoutMs?: number
  /** Data written to the command's stdin. */
  input?: string
  /** Do not throw on a non-zero exit; return the result instead (like zx's nothrow). */
  nothrow?: boolean
  /** Run as root (sudo -n) where the transport supports it. */
  sudo?: boolean
  /** Abort the command early. */
  signal?: AbortSignal
  /** Also keep stdout's raw bytes in `stdoutBytes` (stdout stays decoded as UTF-8). Honoured by the node pod transport. */
  binary?: boolean
  /**
   * Whose copy of the program runs, where the transport has one of its own (the node pod's image): 'node' (default),
   * 'image' (in the node's network namespace only), or 'auto' (the node's; the image's when the node lacks it).
   */
  tool?: 'node' | 'image' | 'auto'
}

/** What a finished command left behind; errors carry the same fields. */
export interface ExecResult {
  target: string
  argv: string[]
  exitCode: number | null
  signal?: string | null
  stdout: string
  stderr: string
  durationMs: number
  /** Set to 'image' when the node pod's image supplied the program (RunOptions.tool). */
  toolFrom?: 'node' | 'image'
  /** stdout's raw bytes, with RunOptions.binary. */
  stdoutBytes?: Buffer
}

/** A place commands run: the local machine, a node over SSH, later a debug pod. */
export interface Exec {
  /** Short name of the target, e.g. "local" or "ssh:lab-1". */
  readonly target: string
  run(argv: readonly string[], opts?: RunOptions): Promise<ExecOutput>
  close?(): Promise<void>
}

/** The result fields of r, normalised (no output: ''; no exit status: null), in one order for results and errors. */
export function resultFields(r: Partial<ExecResult> & { target: string }): ExecResult {
  const f: ExecResult = {
    target: r.target,
    argv: r.argv ?? [],
    exitCode: r.exitCode ?? null,
    signal: r.signal ?? null,
    stdout: r.stdout ?? '',
    stderr: r.stderr ?? '',
    durationMs: r.durationMs ?? 0,
  }
  if (r.toolFrom !== undefined) f.toolFrom = r.toolFrom
  if (r.stdoutBytes !== undefined) f.stdoutBytes = r.stdoutBytes
  return f
}

// The fields come from ExecResult by declaration merging, so results and errors cannot drift apart.
export interface ExecOutput extends ExecResult {}
/** A command's result with zx ProcessOutput conveniences. */
export class ExecOutput {
  constructor(r: ExecResult) {
    Object.assign(this, resultFields(r))
  }
  get ok(): boolean {
    return this.exitCode === 0
  }
  /** stdout without the trailing newline. */
  text(): string {
    return this.stdout.replace(/\n$/, '')
  }
  /** Non-empty lines of stdout. */
  lines(): string[] {
    return this.stdout.split('\n').filter((l) => l.length > 0)
  }
  /** stdout parsed as JSON; a parse failure names the command. */
  json<T = any>(): T {
    try {
      return JSON.parse(this.stdout) as T
    } catch (e) {
      throw new ExecError(
        'parse',
        { ...this },
        `output of \`${showArgv(this.argv)}\` on ${this.target} is not JSON`,
        'run the command by hand to see what it prints',
        e,
      )
    }
  }
  toString(): string {
    return this.stdout
  }
}
// Prints as the command line, its exit and duration, then what it printed.
present(ExecOutput.prototype, (o) => {
  const head = `${o.target} $ ${showArgv(o.argv)}  (exit ${o.exitCode}, ${Math.round(o.durationMs)} ms)`
  const body = [o.stdout.replace(/\n$/, ''), o.stderr ? o.stderr.replace(/\n$/, '') : ''].filter(Boolean).join('\n')
  return body ? `${head}\n${body}` : head
})

/** Why a command failed. */
export type ExecErrorKind =
  'exit' | 'timeout' | 'spawn' | 'connect' | 'auth' | 'hostkey' | 'parse' | 'aborted' | 'invalid'

/** A failed command: same fields as a result, plus kind, hint and cause. */
export interface ExecError extends ExecResult {}
export class ExecError extends HintedError<ExecErrorKind> {
  override name = 'ExecError'
  constructor(
    kind: ExecErrorKind,
    r: Partial<ExecResult> & { target: string },
    message: string,
    hint?: string,
    cause?: unknown,
  ) {
    super(kind, message, hint, cause)
    Object.assign(this, resultFields(r))
  }
}

/** Builds the error for a non-zero exit from a finished result. */
export function exitError(r: ExecResult): ExecError {
  const tail = r.stderr.trim().split('\n').slice(-3).join(' | ')
  const how = r.exitCode === 124 ? 'timed out' : `exited ${r.exitCode ?? r.signal}`
  return new ExecError(
    r.exitCode === 124 ? 'timeout' : 'exit',
    r,
    `\`${showArgv(r.argv)}\` on ${r.target} ${how}${tail ? `: ${tail}` : ''}`,
    r.exitCode === 127
      ? `the command is not installed on ${r.target}`
      : r.exitCode === 124
        ? 'raise timeoutMs or check why the command hangs'
        : 'pass {nothrow: true} to get the result instead of an error',
  )
}
