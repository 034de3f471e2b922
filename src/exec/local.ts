// LocalExec: runs argv on this machine, no shell, in its own process group so a deadline kills everything.
import { spawn } from 'node:child_process'
import { performance } from 'node:perf_hooks'
import { abortedError, checkRun, decode, finish } from './common.ts'
import { ExecError, type Exec, type ExecOutput, type ExecResult, type RunOptions } from './types.ts'

/** Settings of a LocalExec. */
export interface LocalExecOptions {
  /** Time between SIGTERM and SIGKILL to the process group after a deadline. Default 2000. */
  killGraceMs?: number
  /** Environment of the commands. Default process.env. */
  env?: NodeJS.ProcessEnv
  /** Working directory. Default process.cwd(). */
  cwd?: string
}

/** Argv with the sudo prefix when asked for and not already root. */
export function sudoArgv(argv: readonly string[], sudo: boolean | undefined, isRoot: boolean): string[] {
  return sudo && !isRoot ? ['sudo', '-n', '--', ...argv] : [...argv]
}

/** The local machine as an Exec (target "local"). */
export class LocalExec implements Exec {
  readonly target = 'local'
  readonly #killGraceMs: number
  readonly #env?: NodeJS.ProcessEnv
  readonly #cwd?: string

  constructor(opts: LocalExecOptions = {}) {
    this.#killGraceMs = opts.killGraceMs ?? 2000
    this.#env = opts.env
    this.#cwd = opts.cwd
  }

  /** Runs argv directly (no shell); see RunOptions. */
  async run(argv: readonly string[], opts: RunOptions = {}): Promise<ExecOutput> {
    const o = checkRun(this.target, argv, opts)
    const full = sudoArgv(argv, o.sudo, process.getuid?.() === 0)
    const base = { target: this.target, argv: [...argv] }
    if (o.signal?.aborted) throw abortedError({ ...base, exitCode: null, stdout: '', stderr: '', durationMs: 0 })
    const r = await this.#spawn(full, o)
    const result: ExecResult = {
      ...base,
      exitCode: r.exitCode,
      signal: r.signal,
      stdout: r.stdout,
      stderr: r.stderr,
      durationMs: r.durationMs,
    }
    if (r.spawnError) {
      const missing = r.spawnError.code === 'ENOENT'
      const res = {
        ...result,
        exitCode: missing ? 127 : 126,
        stderr: `${full[0]}: ${missing ? 'command not found' : r.spawnError.message}\n`,
      }
      if (o.nothrow) return finish(res, o, false)
      throw new ExecError(
        'spawn',
        res,
        `cannot run \`${full[0]}\` on local: ${missing ? 'command not found' : r.spawnError.message}`,
        missing ? `install ${full[0]} or check PATH` : undefined,
        r.spawnError,
      )
    }
    if (r.aborted) throw abortedError(result)
    return finish(result, o, r.timedOut)
  }

  #spawn(argv: string[], o: RunOptions & { timeoutMs: number }) {
    const t0 = performance.now()
    return new Promise<SpawnResult>((resolve) => {
      const child = spawn(argv[0], argv.slice(1), {
        detached: true, // own process group: the deadline kills the whole tree
        stdio: [o.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
        env: this.#env,
        cwd: this.#cwd,
      })
      const out: Buffer[] = []
      const err: Buffer[] = []
      let timedOut = false
      let aborted = false
      let spawnError: NodeJS.ErrnoException | undefined
      let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined
      let killTimer: NodeJS.Timeout | undefined
      let settled = false

      const killGroup = (sig: NodeJS.Signals) => {
        if (child.pid === undefined) return
        try {
          process.kill(-child.pid, sig)
        } catch {
          /* the group is gone already */
        }
      }
      const stop = () => {
        killGroup('SIGTERM')
        killTimer = setTimeout(() => killGroup('SIGKILL'), this.#killGraceMs)
        killTimer.unref()
      }
      const deadline = setTimeout(() => {
        timedOut = true
        stop()
      }, o.timeoutMs)
      const onAbort = () => {
        aborted = true
        stop()
      }
      o.signal?.addEventListener('abort', onAbort, { once: true })

      const done = () => {
        if (settled) return
        settled = true
        clearTimeout(deadline)
        if (killTimer && !timedOut && !aborted) clearTimeout(killTimer)
        o.signal?.removeEventListener('abort', onAbort)
        resolve({
          exitCode: exit?.code ?? null,
          signal: exit?.signal ?? null,
          stdout: decode(out),
          stderr: decode(err),
          durationMs: performance.now() - t0,
          timedOut,
          aborted,
          spawnError,
        })
      }
      child.stdout!.on('data', (b: Buffer) => out.push(b))
      child.stderr!.on('data', (b: Buffer) => err.push(b))
      child.on('error', (e: NodeJS.ErrnoException) => {
        if (child.pid === undefined) {
          spawnError = e
          done()
        }
      })
      child.on('exit', (code, signal) => {
        exit = { code, signal }
      })
      child.on('close', (code, signal) => {
        exit ??= { code, signal }
        done()
      })
      if (child.stdin) {
        child.stdin.on('error', () => {}) // EPIPE when the command does not read its input
        child.stdin.end(o.input)
      }
    })
  }
}

interface SpawnResult {
  exitCode: number | null
  signal: string | null
  stdout: string
  stderr: string
  durationMs: number
  timedOut: boolean
  aborted: boolean
  spawnError?: NodeJS.ErrnoException
}
