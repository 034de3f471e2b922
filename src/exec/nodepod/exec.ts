// NodePodExec: runs argv on a node through its node pod (target "pod:<node>"), in the node's namespaces, with the
// deadline enforced on the node and Ctrl-C ending the remote process. Commands go through the pod's agent (one
// long-lived exec carrying many commands, agent.ts); one exec per command when there is no agent (or agent: false).
import crypto from 'node:crypto'
import { performance } from 'node:perf_hooks'
import { KubeError } from '../../kube/errors.ts'
import type { ExecStreamResult } from '../../kube/exec.ts'
import { abortedError, checkRun, finish, type CheckedOptions } from '../common.ts'
import { showArgv } from '../quote.ts'
import { ExecError, resultFields, type Exec, type ExecOutput, type ExecResult, type RunOptions } from '../types.ts'
import { podGone, type AgentOutcome } from './agent.ts'
import { AgentPool, type AgentPoolOptions } from './agentpool.ts'
import { NodePodError } from './api.ts'
import {
  NO_NAMESPACES_EXIT,
  deadlineSeconds,
  killCommand,
  missingProgram,
  wrapCommand,
  type ToolSource,
} from './command.ts'
import type { NodePodRef, NodePods } from './manager.ts'
import { CONTAINER } from './spec.ts'

/** Extra time the client waits past the deadline for the node's timeout(1) to report (then it kills and gives up). */
const BACKSTOP_MS = 5_000
/** Notes kept on an exec. */
const MAX_NOTES = 50

/** One try of a command: the result, or why it stopped early, or why there is no result (failure). */
type Attempted = ExecResult & {
  why?: 'aborted' | 'timeout'
  failure?: { message: string; hint?: string; cause?: unknown }
}

/** How a NodePodExec carries commands. */
export interface NodePodExecOptions {
  /** One long-lived exec per pod carrying every command (default true); false: one exec per command. */
  agent?: boolean
  /** Told when commands fall back to one exec each, or an agent is replaced (the text names the node and why). */
  onNote?: (text: string) => void
  /** The agents' state dir and limits (used when the session's first NodePodExec makes its pool; for tests). */
  agentOptions?: AgentPoolOptions
}

/** A node reached through its node pod, as an Exec (already root there: RunOptions.sudo changes nothing). */
export class NodePodExec implements Exec {
  readonly target: string
  /** What the transport had to say (fallbacks, replaced agents), newest last. */
  readonly notes: string[] = []

  constructor(
    readonly pods: NodePods,
    readonly node: string,
    readonly opts: NodePodExecOptions = {},
  ) {
    if (typeof node !== 'string' || !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(node))
      throw new TypeError(`NodePodExec: node must be a node name, received ${JSON.stringify(node)}`)
    if (opts === null || typeof opts !== 'object')
      throw new TypeError(`NodePodExec: options must be an object, received ${JSON.stringify(opts)}`)
    this.target = `pod:${node}`
  }

  private note = (text: string): void => {
    this.notes.push(text)
    if (this.notes.length > MAX_NOTES) this.notes.shift()
    try {
      this.opts.onNote?.(text)
    } catch {
      /* a display callback must not break the transport */
    }
  }

  /** Runs argv on the node (see RunOptions; tool and binary are honoured here). The pod's start is not part of timeoutMs. */
  async run(argv: readonly string[], opts: RunOptions = {}): Promise<ExecOutput> {
    const o = checkRun(this.target, argv, opts)
    const t0 = performance.now()
    const base = { target: this.target, argv: [...argv] }
    if (o.tool !== undefined && !['node', 'image', 'auto'].includes(o.tool))
      throw new ExecError(
        'invalid',
        base,
        `tool: expected "node", "image" or "auto", received ${JSON.stringify(o.tool)}`,
      )
    if (o.binary !== undefined && typeof o.binary !== 'boolean')
      throw new ExecError('invalid', base, `binary: expected true or false, received ${JSON.stringify(o.binary)}`)
    if (o.signal?.aborted) throw abortedError(resultFields(base))
    let ref = await this.pod(argv, o, t0)
    let from: ToolSource =
      o.tool === 'image' || (o.tool === 'auto' && this.pods.lacks(this.node, argv[0])) ? 'image' : 'node'
    let r = await this.attempt(ref, argv, o, from, t0).catch(async (e) => {
      // The pod vanished or ended (deleted, evicted, past its deadline) before the command started: make a new one, once.
      if (!podGone(e)) throw e
      this.pods.discard(ref)
      ref = await this.pod(argv, o, t0)
      return this.attempt(ref, argv, o, from, t0)
    })
    if (o.tool === 'auto' && from === 'node' && missingProgram(r, argv[0]) === 'tool') {
      this.pods.noteMissing(this.node, argv[0])
      from = 'image'
      r = await this.attempt(ref, argv, o, from, t0)
    }
    return this.answer(r, o, from)
  }

  private async pod(argv: readonly string[], o: CheckedOptions, t0: number): Promise<NodePodRef> {
    try {
      return await this.pods.ensure(this.node, { signal: o.signal, needMs: o.timeoutMs })
    } catch (e) {
      const r = resultFields({ target: this.target, argv: [...argv], durationMs: performance.now() - t0 })
      if (o.signal?.aborted) throw abortedError(r)
      if (e instanceof NodePodError) {
        const kind =
          e.kind === 'rbac' || e.kind === 'podsecurity' ? 'auth' : e.kind === 'invalid' ? 'invalid' : 'connect'
        throw new ExecError(kind, r, `no node pod on ${this.node}: ${e.message}`, e.hint, e)
      }
      throw e
    }
  }

  // One try: through the pod's agent, or (no agent, or it was lost before the command started) one exec.
  private async attempt(
    ref: NodePodRef,
    argv: readonly string[],
    o: CheckedOptions,
    from: ToolSource,
    t0: number,
  ): Promise<Attempted> {
    if (this.opts.agent === false) return this.oneShot(ref, argv, o, from, t0)
    const agent = await AgentPool.of(this.pods, this.opts.agentOptions).get(ref, this.note)
    if (agent) {
      const stdin = o.input === undefined ? undefined : Buffer.from(o.input, 'utf8')
      const out = await agent.run({
        argv,
        from,
        seconds: deadlineSeconds(o.timeoutMs),
        timeoutMs: o.timeoutMs,
        stdin,
        signal: o.signal,
      })
      if (out.kind !== 'unstarted') return this.fromAgent(out, argv, o, from, t0)
      this.note(
        `pod:${this.node}: the command agent was lost before \`${showArgv(argv)}\` started (${out.why}); it ran as its own exec instead`,
      )
    }
    return this.oneShot(ref, argv, o, from, t0)
  }

  private fromAgent(
    out: AgentOutcome,
    argv: readonly string[],
    o: CheckedOptions,
    from: ToolSource,
    t0: number,
  ): Attempted {
    const r: Attempted = resultFields({ target: this.target, argv: [...argv], durationMs: performance.now() - t0 })
    if (from === 'image') r.toolFrom = 'image'
    if (out.kind === 'answer') {
      Object.assign(r, {
        exitCode: out.exitCode,
        stdout: out.stdout.toString('utf8'),
        stderr: out.stderr.toString('utf8'),
      })
      if (o.binary) r.stdoutBytes = out.stdout
    } else if (out.kind === 'aborted' || out.kind === 'timeout') r.why = out.kind
    else if (out.kind === 'lost')
      r.failure = {
        message: `the command agent on ${this.target} was lost while running \`${showArgv(argv)}\` (${out.why})`,
        hint: 'the command was stopped on the node; run it again',
      }
    else if (out.kind === 'unknown') {
      const gone = podGone(out.cause)
      r.failure = {
        message: gone
          ? `the node pod on ${this.node} went away while \`${showArgv(argv)}\` ran`
          : `the command agent on ${this.target} was lost while carrying \`${showArgv(argv)}\` (${out.why})`,
        hint: gone
          ? 'the command may or may not have run; the next command makes a new pod'
          : 'the command may or may not have run; check on the node before running it again',
        cause: out.cause,
      }
    }
    return r
  }

  // One exec of the wrapped command; stops early on abort or the backstop deadline, then kills the remote process.
  private async oneShot(
    ref: NodePodRef,
    argv: readonly string[],
    o: CheckedOptions,
    from: ToolSource,
    t0: number,
  ): Promise<Attempted> {
    if (o.signal?.aborted)
      throw abortedError(resultFields({ target: this.target, argv: [...argv], durationMs: performance.now() - t0 })) // e.g. while an agent was starting
    const token = crypto.randomBytes(6).toString('hex')
    const stdin = o.input === undefined ? undefined : Buffer.from(o.input, 'utf8')
    const byLength = stdin !== undefined && !this.pods.canCloseStdin
    const command = wrapCommand(argv, {
      token,
      facts: ref.facts,
      from,
      timeoutMs: o.timeoutMs,
      stdinBytes: byLength ? stdin!.length : undefined,
    })
    const stop = new AbortController()
    const a: { res?: ExecStreamResult; why?: 'aborted' | 'timeout' } = {}
    const timer = setTimeout(() => {
      a.why ??= 'timeout'
      stop.abort()
    }, o.timeoutMs + BACKSTOP_MS)
    const onAbort = () => {
      a.why ??= 'aborted'
      stop.abort()
    }
    o.signal?.addEventListener('abort', onAbort, { once: true })
    const base = { target: this.target, argv: [...argv] }
    try {
      a.res = await this.pods.api.exec({
        namespace: ref.namespace,
        pod: ref.name,
        container: CONTAINER,
        command,
        stdin,
        stdinEnd: byLength ? 'none' : 'close',
        protocol: this.pods.opts.protocol,
        signal: stop.signal,
      })
      this.pods.noteProtocol(a.res.protocol)
    } catch (e) {
      if (a.why) {
        await this.kill(ref, token) // it may have started on the node just before the connection was dropped
        const r = resultFields({ ...base, durationMs: performance.now() - t0 })
        if (a.why === 'aborted') throw abortedError(r)
        throw new ExecError(
          'timeout',
          { ...r, exitCode: 124 },
          `\`${showArgv(argv)}\` on ${this.target} timed out after ${o.timeoutMs} ms before it could start`,
          'the API server or the kubelet is slow to answer exec',
          e,
        )
      }
      throw this.execFailure(e, base, t0, ref, token)
    } finally {
      clearTimeout(timer)
      o.signal?.removeEventListener('abort', onAbort)
    }
    const res = a.res
    const r: Attempted = {
      ...base,
      exitCode: res.status?.exitCode ?? null,
      stdout: res.stdout.toString('utf8'),
      stderr: res.stderr.toString('utf8'),
      durationMs: performance.now() - t0,
    }
    if (o.binary) r.stdoutBytes = res.stdout
    if (from === 'image') r.toolFrom = 'image'
    if (a.why || !res.status) await this.kill(ref, token) // closing the WebSocket does not end the process (#2532)
    if (a.why) r.why = a.why
    else if (!res.status)
      r.failure = {
        message: `the exec stream on ${this.target} ended without an exit status while running \`${showArgv(argv)}\` (WebSocket close ${res.closeCode ?? '?'}${res.closeReason ? ` ${res.closeReason}` : ''})`,
        hint: 'the command was stopped on the node; run it again',
      }
    else if (res.status.exitCode === null)
      r.failure = {
        message: `exec on ${this.target} failed: ${res.status.message ?? res.status.reason ?? res.status.status}`,
        hint: 'the node pod may have ended; run the command again to make a new one',
      }
    return r
  }

  private execFailure(
    e: unknown,
    base: { target: string; argv: string[] },
    t0: number,
    ref: NodePodRef,
    token: string,
  ): unknown {
    if (!(e instanceof KubeError)) return e
    const r = { ...base, durationMs: performance.now() - t0 }
    if (podGone(e)) return e // handled by run(): a new pod
    if (e.kind === 'forbidden')
      return new ExecError(
        'auth',
        r,
        `may not exec into node pod ${ref.namespace}/${ref.name}: ${e.message}`,
        'node pods need create pods/exec (get pods/exec before Kubernetes 1.35)',
        e,
      )
    if (e.kind === 'unsupported') {
      // The server switched to v4 between commands: the process waits for input it will never get; stop it.
      this.pods.noteProtocol('v4.channel.k8s.io')
      void this.kill(ref, token)
    }
    return new ExecError(
      'connect',
      r,
      `exec of \`${showArgv(base.argv)}\` through node pod ${ref.namespace}/${ref.name} failed: ${e.message}`,
      e.hint,
      e,
    )
  }

  /** Deletes this node's pod now (the next command makes a new one); the session's other pods stay. */
  async close(): Promise<void> {
    AgentPool.of(this.pods).close(this.node)
    await this.pods.release(this.node)
  }

  /** Stops a wrapped command and its children by token (bounded to 3 s; failures are ignored: the node's timeout remains). */
  private async kill(ref: NodePodRef, token: string): Promise<void> {
    await this.pods.api
      .exec({
        namespace: ref.namespace,
        pod: ref.name,
        container: CONTAINER,
        command: killCommand(token),
        protocol: this.pods.opts.protocol,
        signal: AbortSignal.timeout(3000),
        connectTimeoutMs: 3000,
      })
      .catch(() => undefined)
  }

  private answer(r: Attempted, o: CheckedOptions, from: ToolSource): ExecOutput {
    const { why, failure, ...result } = r
    if (why === 'aborted') throw abortedError(result)
    if (why === 'timeout') {
      throw new ExecError(
        'timeout',
        { ...result, exitCode: 124 },
        `\`${showArgv(r.argv)}\` on ${this.target} timed out after ${Math.round(r.durationMs)} ms and was killed`,
        'raise timeoutMs or check why the command hangs',
      )
    }
    if (failure) throw new ExecError('connect', result, failure.message, failure.hint, failure.cause)
    if (result.exitCode === NO_NAMESPACES_EXIT && result.stderr.startsWith('kinspect:')) {
      throw new ExecError(
        'connect',
        result,
        result.stderr.trim().replace(/^kinspect: /, `${this.target}: `),
        'the node pod needs hostPID and privileged; check that the pod spec was not changed by a webhook',
      )
    }
    // 137 after the deadline: timeout -k had to SIGKILL the command after the grace period.
    const timedOut = result.exitCode === 137 && result.durationMs >= o.timeoutMs
    try {
      return finish(result, o, timedOut)
    } catch (e) {
      if (e instanceof ExecError && e.kind === 'exit' && e.exitCode === 127) {
        const missing = missingProgram(e, r.argv[0])
        if (missing === 'timeout')
          e.hint = `${this.node} has no timeout(1), which kinspect uses to enforce deadlines there; pass {tool: 'image'} to use the node pod image's tools`
        else if (missing === 'tool' && from === 'node')
          e.hint = `${this.node} has no ${r.argv[0]}; pass {tool: 'auto'} to run the node pod image's copy in the node's network namespace`
        else if (missing === 'tool') e.hint = `neither ${this.node} nor the node pod's image has ${r.argv[0]}`
      }
      throw e
    }
  }
}
