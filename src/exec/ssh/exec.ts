// SshExec: runs argv on a node over the pooled connection; the deadline is enforced on the node (timeout -k).
import { closedByPeer, earlyExit, signalChannel } from './ssh2private.ts'
import crypto from 'node:crypto'
import { performance } from 'node:perf_hooks'
import type { ClientChannel } from 'ssh2'
import { abortedError, checkRun, decode, finish } from '../common.ts'
import { showArgv, shJoin, withDeadline } from '../quote.ts'
import { ExecError, type Exec, type ExecOutput, type ExecResult, type RunOptions } from '../types.ts'
import type { ResolvedHost } from './sshconfig.ts'
import { received } from '../../errors.ts'
import { announcedCommand, killTree, takePid } from './stop.ts'

/**
 * The command line sent to the node: POSIX-quoted, wrapped in timeout -k, behind sudo -n -- when asked; with
 * `announce` (a token), the pid is printed on stderr first so an abort can kill the command: by the login shell itself
 * when `loginShell` is a POSIX one, else by `sh -c` (src/exec/ssh/stop.ts).
 */
export function remoteCommand(
  argv: readonly string[],
  opts: { timeoutMs: number; sudo?: boolean; announce?: string; loginShell?: string },
): string {
  const timed = withDeadline(argv, opts.timeoutMs)
  const cmd = opts.sudo ? ['sudo', '-n', '--', ...timed] : timed
  return opts.announce ? announcedCommand(cmd, opts.announce, opts.loginShell) : shJoin(cmd)
}

/** How long an abort waits for a just-started command to announce its pid before giving up on killing it. */
const PID_WAIT_MS = 1000

interface Collected {
  exitCode: number | null
  signal: string | null
  stdout: string
  stderr: string
  /** The channel closed without an exit status and we did not stop it. */
  lost: boolean
  /** The remote pid the command announced (abortable runs). */
  pid?: number
  /** The login shell the `sh -c` announcement named. */
  shell?: string
}

/** A channel running one command; call release() when it has closed. */
export interface OpenedChannel {
  channel: ClientChannel
  host: ResolvedHost
  release: () => void
}

/** What SshExec needs from the connections (SshPool provides them; SshExec knows nothing else of the pool). */
export interface ChannelSource {
  /** How ssh_config resolves the node, cached (SshExec reads the user: no sudo for root). */
  resolve(node: string, signal?: AbortSignal): Promise<ResolvedHost>
  /** Opens a session channel on the node's connection and starts `command`. */
  openExec(node: string, command: string, signal?: AbortSignal): Promise<OpenedChannel>
  /** Ends the node's connection. */
  closeNode(node: string): Promise<void>
}

/** A node reached over SSH as an Exec (target "ssh:<node>"). */
export class SshExec implements Exec {
  readonly target: string
  /** The node user's login shell, as the first announcing run told it: later runs announce without `sh -c`. */
  #login?: { user: string; shell: string }

  constructor(
    readonly pool: ChannelSource,
    readonly node: string,
  ) {
    if (typeof node !== 'string' || !node || /\s/.test(node))
      throw new TypeError(`SshExec: node must be a host name without spaces, received ${received(node)}`)
    this.target = `ssh:${node}`
  }

  /** Runs argv on the node; see RunOptions. */
  async run(argv: readonly string[], opts: RunOptions = {}): Promise<ExecOutput> {
    const o = checkRun(this.target, argv, opts)
    const t0 = performance.now()
    const base = { target: this.target, argv: [...argv] }
    const empty = { ...base, exitCode: null, stdout: '', stderr: '' }
    if (o.signal?.aborted) throw abortedError({ ...empty, durationMs: 0 })

    const stop = new AbortController()
    let why: 'timeout' | 'aborted' | undefined
    const timer = setTimeout(() => {
      why ??= 'timeout'
      stop.abort(new Error('deadline'))
    }, o.timeoutMs)
    const onAbort = () => {
      why ??= 'aborted'
      stop.abort(new Error('aborted'))
    }
    o.signal?.addEventListener('abort', onAbort, { once: true })
    // An abortable run announces its pid, so an abort can stop it on the node (sshd ignores signal requests).
    const token = o.signal ? crypto.randomBytes(5).toString('hex') : undefined
    let sudo = false
    let user = ''
    try {
      let opened
      try {
        const host = await this.pool.resolve(this.node, stop.signal)
        sudo = o.sudo === true && host.user !== 'root'
        const loginShell = this.#login?.user === host.user ? this.#login.shell : undefined
        const command = remoteCommand(argv, { timeoutMs: o.timeoutMs, sudo, announce: token, loginShell })
        user = host.user
        opened = await this.pool.openExec(this.node, command, stop.signal)
      } catch (e) {
        const durationMs = performance.now() - t0
        if (why === 'aborted') throw abortedError({ ...empty, durationMs })
        if (why === 'timeout') {
          throw new ExecError(
            'timeout',
            { ...empty, exitCode: 124, durationMs },
            `\`${showArgv(argv)}\` on ${this.target} timed out after ${o.timeoutMs} ms before it could start (connecting or waiting for a free channel)`,
            'raise timeoutMs, or check that the node answers SSH',
            e,
          )
        }
        if (e instanceof ExecError && e.argv.length === 0) e.argv = [...argv]
        throw e
      }
      const collecting = collect(opened.channel, o.input, stop.signal, token)
      holdSlot(collecting.closed, opened.release)
      const c = await collecting.result
      if (c.shell !== undefined) this.#login = { user, shell: c.shell }
      if (why && c.pid) await this.#stopRemote(c.pid, sudo)
      const r: ExecResult = {
        ...base,
        exitCode: c.exitCode,
        signal: c.signal,
        stdout: c.stdout,
        stderr: c.stderr,
        durationMs: performance.now() - t0,
      }
      if (why === 'aborted') throw abortedError(r)
      // 137: timeout -k had to SIGKILL the command after the grace period.
      const timedOut = why === 'timeout' || (c.exitCode === 137 && r.durationMs >= o.timeoutMs)
      if (!timedOut && c.lost) {
        throw new ExecError(
          'connect',
          r,
          `connection to ${this.node} was lost while running \`${showArgv(argv)}\``,
          'the command may or may not have finished on the node; run it again',
        )
      }
      try {
        return finish(r, o, timedOut)
      } catch (e) {
        throw withHint(e, o)
      }
    } finally {
      clearTimeout(timer)
      o.signal?.removeEventListener('abort', onAbort)
    }
  }

  // Kills the command's process tree through a second channel (bounded to 3 s; the node's timeout(1) remains).
  async #stopRemote(pid: number, sudo: boolean): Promise<void> {
    const limit = AbortSignal.timeout(3000)
    try {
      const opened = await this.pool.openExec(this.node, shJoin(killTree(pid, sudo)), limit)
      const k = collect(opened.channel, undefined, limit)
      holdSlot(k.closed, opened.release)
      await k.result
    } catch {
      /* the connection is gone or slow: the deadline on the node ends the command */
    }
  }

  /** How ssh_config resolves this node (cached per pool); `source` tells `ssh -G` from the built-in reader. */
  sshConfig(): Promise<ResolvedHost> {
    return this.pool.resolve(this.node)
  }

  /** Ends this node's pooled connection. */
  async close(): Promise<void> {
    await this.pool.closeNode(this.node)
  }
}

// Frees the channel slot once sshd has closed the channel, or after a minute if it never says so.
function holdSlot(closed: Promise<void>, release: () => void): void {
  const t = setTimeout(release, 60_000)
  t.unref()
  void closed.then(() => {
    clearTimeout(t)
    release()
  })
}

// Better hints for failures the wrapping itself can cause (sudo without NOPASSWD, no timeout(1) on the node).
function withHint(e: unknown, o: RunOptions): unknown {
  if (!(e instanceof ExecError) || e.kind !== 'exit') return e
  if (o.sudo && /sudo: (a password is required|a terminal is required)/.test(e.stderr)) {
    e.hint = `sudo on ${e.target.replace(/^ssh:/, '')} needs a password: allow NOPASSWD sudo for this user, or connect as root (User root in the ssh config)`
  } else if (e.exitCode === 127 && /\btimeout: (command )?not found|\btimeout: No such file/.test(e.stderr)) {
    e.hint = 'the node has no timeout(1), which kinspect uses to enforce deadlines there: install coreutils or busybox'
  }
  return e
}

// Sends a signal request even after stdin was closed (see ssh2private.ts).
function sendSignal(ch: ClientChannel, name: string): void {
  try {
    signalChannel(ch, name)
  } catch {
    /* channel or connection already gone */
  }
}

/** What collect() hands back: the result at once, and when the channel is really closed (to free its slot). */
interface Collecting {
  result: Promise<Collected>
  closed: Promise<void>
}

// Feeds stdin and gathers output until the channel closes. On stop: signal the command, wait (briefly) for its pid if
// it announces one and has not yet, close the channel and answer; the caller kills the pid. The channel slot stays
// taken until sshd confirms the close.
function collect(ch: ClientChannel, input: string | undefined, stop: AbortSignal, token?: string): Collecting {
  let closedResolve!: () => void
  const closed = new Promise<void>((r) => (closedResolve = r))
  ch.once('close', () => closedResolve())
  const result = new Promise<Collected>((resolve) => {
    const out: Buffer[] = []
    const err: Buffer[] = []
    let exit: { code: number | null; signal: string | null } | undefined
    let stopped = false
    let done = false
    let pid: number | undefined
    let onPid: (() => void) | undefined
    const finishUp = () => {
      if (done) return
      done = true
      stop.removeEventListener('abort', onStop)
      const stderr = token ? takePid(decode(err), token) : { rest: decode(err), pid: undefined, shell: undefined }
      resolve({
        exitCode: exit?.code ?? null,
        signal: exit?.signal ?? null,
        stdout: decode(out),
        stderr: stderr.rest,
        lost: !exit && !stopped,
        pid: pid ?? stderr.pid,
        shell: stderr.shell,
      })
    }
    const close = () => {
      ch.close()
      finishUp()
    }
    const onStop = () => {
      stopped = true
      sendSignal(ch, 'TERM') // killpg on the node where sshd allows it; the caller kills the announced pid
      if (!token || pid !== undefined) return close()
      const t = setTimeout(close, PID_WAIT_MS)
      onPid = () => {
        clearTimeout(t)
        close()
      }
    }
    ch.on('data', (b: Buffer) => out.push(b))
    ch.stderr.on('data', (b: Buffer) => {
      err.push(b)
      if (token && pid === undefined && err.length <= 64) {
        pid = takePid(decode(err), token).pid
        if (pid !== undefined) onPid?.()
      }
    })
    ch.on('exit', (code: number | null, signal?: string) => {
      exit = { code: typeof code === 'number' ? code : null, signal: signal ? `SIG${signal}` : null }
    })
    // A fast command's exit-status and CHANNEL_CLOSE can arrive in the same TCP read as the exec reply,
    // i.e. before these listeners exist: ssh2 keeps them on the channel (_exit, incoming.state), so read them.
    const early = earlyExit(ch)
    if (early) exit = early
    if (closedByPeer(ch)) {
      closedResolve()
      ch.resume()
      ch.once('end', finishUp)
      setImmediate(() => ch.readableEnded && finishUp())
    }
    ch.once('close', finishUp)
    ch.on('error', () => {}) // surfaces as a missing exit status
    if (stop.aborted) onStop()
    else stop.addEventListener('abort', onStop, { once: true })
    ch.end(input)
  })
  return { result, closed }
}
