// NodeAccessExec: the Exec behind node(x). On its first command it chooses the node's transport (in the configured
// order: SSH when it applies and connects, else a node pod when allowed) and keeps it for the session; every run
// gets the session's abort signal unless the caller passed one.
import { performance } from 'node:perf_hooks'
import type { NodeAccessSettings } from '../config-access.ts'
import { abortedError } from '../exec/common.ts'
import type { ResolvedHost } from '../exec/ssh/sshconfig-types.ts'
import { resultFields, type Exec, type ExecOutput, type RunOptions } from '../exec/types.ts'
import { NodeAccessError, unreachable, type TransportAttempt } from './errors.ts'
import { sshApplies, sshFacts, type SshFacts } from './sshcheck.ts'

/** Which transport a node's commands use: SSH, a node pod of its own, or a pod of a fleet's DaemonSet. */
export type Via = 'ssh' | 'pod' | 'daemonset'

/** The SSH side, as SshPool offers it. */
export interface SshSide {
  resolve(node: string, signal?: AbortSignal): Promise<ResolvedHost>
  connect(node: string, signal?: AbortSignal): Promise<void>
  exec(node: string): Exec
}

/** The pod side: the node's pod made ready (consent asked on the way), and its Exec. */
export interface PodSide {
  ensure(node: string, o: { signal?: AbortSignal }): Promise<unknown>
  exec(node: string): Exec
}

/** What a NodeAccessExec needs; the session's NodeAccess provides it. */
export interface ChooserDeps {
  node: string
  settings: NodeAccessSettings
  /** A `.recipes` nodes rule matches the node. */
  rule: boolean
  env: Record<string, string | undefined>
  /** The SSH pool (made on first use). */
  ssh: () => SshSide
  /** The node pods for these settings; throws when there is no usable cluster. */
  pods: () => PodSide
  /** The session's abort signal for commands that were given none. */
  signal: () => AbortSignal | undefined
  /** Facts for the SSH verdict (tests replace the file and DNS checks). */
  facts?: (host: SshFacts['host'], rule: boolean, env: Record<string, string | undefined>) => Promise<SshFacts>
}

/** An Exec that chooses SSH or a node pod on its first command and keeps the choice (target "node:NAME" until then). */
export class NodeAccessExec implements Exec {
  #chosen?: { via: Via; exec: Exec }
  #choosing?: Promise<{ via: Via; exec: Exec }>
  /** Why the transports before the chosen one were not used (empty when the first one worked). */
  skipped: TransportAttempt[] = []
  /** Commands running now (an aborted one settles once its remote process was stopped). */
  readonly #inflight = new Set<Promise<unknown>>()

  constructor(readonly deps: ChooserDeps) {}

  /** ssh:NAME or pod:NAME once chosen; node:NAME before. */
  get target(): string {
    return this.#chosen?.exec.target ?? `node:${this.deps.node}`
  }

  /** 'ssh', 'pod' or 'daemonset' once the first command chose; undefined before. */
  get via(): Via | undefined {
    return this.#chosen?.via
  }

  /** Runs argv over the node's transport (chosen now if this is the first command). */
  run(argv: readonly string[], opts: RunOptions = {}): Promise<ExecOutput> {
    const o =
      opts && typeof opts === 'object' && opts.signal === undefined ? { ...opts, signal: this.deps.signal() } : opts
    const p = (async () => (this.#chosen?.exec ?? (await this.#choose(argv, o.signal))).run(argv, o))()
    const settled: Promise<unknown> = p.then(
      () => this.#inflight.delete(settled),
      () => this.#inflight.delete(settled),
    )
    this.#inflight.add(settled)
    return p
  }

  /** Resolves when every command running now has settled (an aborted one: once its remote process was stopped), or after ms. */
  settle(ms: number): Promise<void> {
    if (!this.#inflight.size) return Promise.resolve()
    let timer: NodeJS.Timeout | undefined
    return Promise.race([
      Promise.all(this.#inflight).then(() => undefined),
      new Promise<void>((r) => (timer = setTimeout(r, ms))),
    ]).finally(() => clearTimeout(timer))
  }

  /** How ssh_config resolves the node (whichever transport is chosen). */
  sshConfig(): Promise<ResolvedHost> {
    return this.deps.ssh().resolve(this.deps.node)
  }

  /** Closes the chosen transport's hold on the node (its connection, or its pod). */
  async close(): Promise<void> {
    await this.#chosen?.exec.close?.()
  }

  async #choose(argv: readonly string[], signal?: AbortSignal): Promise<Exec> {
    const t0 = performance.now()
    const aborted = () =>
      abortedError(resultFields({ target: this.target, argv: [...argv], durationMs: performance.now() - t0 }))
    if (signal?.aborted) throw aborted()
    // One choice at a time per node; a caller that is interrupted stops waiting (the choice itself is not cached then).
    this.#choosing ??= this.#tryAll(signal).finally(() => (this.#choosing = undefined))
    const choosing = this.#choosing
    const chosen = await new Promise<{ via: Via; exec: Exec }>((resolve, reject) => {
      const onAbort = () => reject(aborted())
      signal?.addEventListener('abort', onAbort, { once: true })
      choosing
        .then(resolve, (e) => reject(signal?.aborted ? aborted() : e))
        .finally(() => signal?.removeEventListener('abort', onAbort))
    })
    return chosen.exec
  }

  async #tryAll(signal?: AbortSignal): Promise<{ via: Via; exec: Exec }> {
    const attempts: TransportAttempt[] = []
    for (const t of this.deps.settings.transports) {
      const a = t === 'ssh' ? await this.#trySsh(signal) : await this.#tryPod(signal)
      if (signal?.aborted)
        throw new NodeAccessError(
          'aborted',
          `choosing the transport for ${this.deps.node} was interrupted`,
          undefined,
          undefined,
          this.deps.node,
          attempts,
        )
      if ('exec' in a) {
        this.skipped = attempts
        this.#chosen = { via: a.daemonSet ? 'daemonset' : t, exec: a.exec }
        return this.#chosen
      }
      attempts.push(a)
    }
    throw unreachable(this.deps.node, attempts)
  }

  async #trySsh(signal?: AbortSignal): Promise<TransportAttempt | { exec: Exec; daemonSet?: boolean }> {
    const { node } = this.deps
    try {
      const ssh = this.deps.ssh()
      const host = await ssh.resolve(node, signal)
      const verdict = sshApplies(await (this.deps.facts ?? sshFacts)(host, this.deps.rule, this.deps.env))
      if (!verdict.applies) {
        return {
          transport: 'ssh',
          outcome: 'not-configured',
          reason: verdict.why,
          hint: `for SSH, add a Host ${node} entry to the ssh config or a nodes rule in .recipes`,
        }
      }
      await ssh.connect(node, signal)
      return { exec: ssh.exec(node) }
    } catch (e) {
      const x = e as { message?: string; hint?: string }
      return { transport: 'ssh', outcome: 'failed', reason: oneLine(x?.message ?? String(e)), hint: x?.hint, cause: e }
    }
  }

  async #tryPod(signal?: AbortSignal): Promise<TransportAttempt | { exec: Exec; daemonSet?: boolean }> {
    const { node, settings } = this.deps
    if (settings.pods === 'never')
      return {
        transport: 'pod',
        outcome: 'not-configured',
        reason: `nodeAccess pods is never for ${node}`,
        hint: 'set nodeAccess pods: ask or always in .recipes to allow node pods',
      }
    try {
      const pods = this.deps.pods()
      const ref = (await pods.ensure(node, { signal })) as { daemonSet?: string } | undefined
      return { exec: pods.exec(node), daemonSet: !!ref?.daemonSet }
    } catch (e) {
      const x = e as { message?: string; hint?: string }
      const consent = e instanceof NodeAccessError && e.kind === 'consent'
      return {
        transport: 'pod',
        outcome: consent ? 'consent' : 'failed',
        reason: oneLine(x?.message ?? String(e)),
        hint: x?.hint,
        cause: e,
      }
    }
  }
}

function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, '; ')
}

/** An Exec whose runs get the session's abort signal unless given one (node('local')); via is 'local'. */
export function withSignal(exec: Exec, signal: () => AbortSignal | undefined): Exec & { via: 'local' } {
  return {
    target: exec.target,
    via: 'local',
    run: (argv, opts = {}) =>
      exec.run(
        argv,
        opts && typeof opts === 'object' && opts.signal === undefined ? { ...opts, signal: signal() } : opts,
      ),
    close: exec.close ? () => exec.close!() : undefined,
  }
}
