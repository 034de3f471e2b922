// runFleet: one argv on many nodes through an injected transport. At most `fanout` nodes at once; each node's timeout
// starts when its turn comes; an overall deadline and an AbortSignal stop everything and return what arrived.
import { performance } from 'node:perf_hooks'
import { received } from '../errors.ts'
import { showArgv } from '../exec/quote.ts'
import { present } from '../present.ts'
import { fmtMs, FleetPass } from './pass.ts'
import { FleetResult } from './result.ts'
import { FleetError, type FleetNodeResult, type FleetProgress, type FleetTransport } from './types.ts'

/** The default fan-out: nodes in flight at once (clush's default, -f 64). */
export const DEFAULT_FANOUT = 64
/** The default per-node timeout. */
export const DEFAULT_NODE_TIMEOUT_MS = 30_000

/** Options of one fleet command. */
export interface FleetOptions {
  /** Per node, from the moment its turn comes (before connecting). Default 30 s. */
  timeoutMs?: number
  /** For the whole fleet: at the deadline every unfinished node is marked timeout and stopped. Default none. */
  deadlineMs?: number
  /**
   * Time already spent against the overall deadline before this run began (`kinspect fleet` counts its deadline
   * from its own start, so starting, loading the session and choosing the nodes are inside it). Default 0.
   */
  spentMs?: number
  /** Nodes in flight at once (connections being made and commands running). Default 64. */
  fanout?: number
  /** Cancels everything (Ctrl-C): unfinished nodes are marked aborted, their remote commands end. */
  signal?: AbortSignal
  sudo?: boolean
  input?: string
  /** Called with each node's result as it arrives. */
  onResult?: (r: FleetNodeResult) => void
  /** Called whenever a node starts or ends. */
  onProgress?: (p: FleetProgress) => void
}

function positive(name: string, v: unknown, int = false): number | undefined {
  if (v === undefined) return undefined
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0 || (int && !Number.isInteger(v))) {
    throw new FleetError(
      'invalid',
      `${name}: expected a positive ${int ? 'whole number' : 'number of milliseconds'}, received ${received(v)}`,
    )
  }
  return v
}

/** Validates argv, nodes and options before anything runs; throws FleetError naming the bad argument. */
export function checkFleet(nodes: readonly string[], argv: readonly string[], opts: FleetOptions): void {
  if (!Array.isArray(argv) || argv.length === 0 || argv.some((a) => typeof a !== 'string') || argv[0] === '') {
    throw new FleetError(
      'invalid',
      `argv: expected a non-empty array of strings (the command and its arguments), received ${received(argv)}`,
    )
  }
  if (!Array.isArray(nodes) || nodes.some((n) => typeof n !== 'string' || n === ''))
    throw new FleetError('invalid', `nodes: expected an array of node names, received ${received(nodes)}`)
  const dup = nodes.find((n, i) => nodes.indexOf(n) !== i)
  if (dup) throw new FleetError('invalid', `nodes: ${dup} is listed twice`)
  positive('timeoutMs', opts.timeoutMs)
  positive('deadlineMs', opts.deadlineMs)
  if (opts.spentMs !== undefined && !(typeof opts.spentMs === 'number' && opts.spentMs >= 0))
    throw new FleetError(
      'invalid',
      `spentMs: expected a number of milliseconds >= 0, received ${received(opts.spentMs)}`,
    )
  positive('fanout', opts.fanout, true)
  if (opts.signal !== undefined && !(opts.signal instanceof AbortSignal))
    throw new FleetError('invalid', `signal: expected an AbortSignal, received ${received(opts.signal)}`)
}

/** A running fleet command: await it for the FleetResult, or iterate it for each node's result as it arrives. */
export class FleetRun implements PromiseLike<FleetResult>, AsyncIterable<FleetNodeResult> {
  readonly #arrived: FleetNodeResult[] = []
  readonly #wake = new Set<() => void>()
  readonly #result: Promise<FleetResult>
  readonly #settled: Promise<void>
  readonly #cancel = new AbortController()
  #progress: FleetProgress
  #finished = false

  constructor(
    transport: FleetTransport,
    nodes: readonly string[] | Promise<readonly string[]>,
    readonly argv: readonly string[],
    readonly options: FleetOptions = {},
  ) {
    const known = Array.isArray(nodes) ? nodes.length : 0 // a selector's nodes are counted once they are known
    this.#progress = { total: known, done: 0, failed: 0, running: 0, queued: known, elapsedMs: 0 }
    let settle!: () => void
    this.#settled = new Promise((r) => (settle = r))
    const failed = (e: unknown): never => {
      settle()
      throw e
    }
    this.#result = Promise.resolve(nodes).then((list) => this.#run(transport, list, settle).catch(failed), failed)
    this.#result.catch(() => this.#end())
  }

  /** Counts right now: done, failed, running, queued. */
  get progress(): FleetProgress {
    return { ...this.#progress }
  }

  /** Resolves once every transport call has returned (remote commands stopped after an abort or the deadline). */
  get settled(): Promise<void> {
    return this.#settled
  }

  /** Stops every unfinished node (marked aborted) and ends their remote commands. */
  cancel(reason = 'cancelled'): void {
    this.#cancel.abort(new Error(reason))
  }

  then<A = FleetResult, B = never>(
    onOk?: ((v: FleetResult) => A | PromiseLike<A>) | null,
    onErr?: ((e: unknown) => B | PromiseLike<B>) | null,
  ): Promise<A | B> {
    return this.#result.then(onOk, onErr)
  }

  catch<B = never>(onErr?: ((e: unknown) => B | PromiseLike<B>) | null): Promise<FleetResult | B> {
    return this.#result.catch(onErr)
  }

  async *[Symbol.asyncIterator](): AsyncIterator<FleetNodeResult> {
    let i = 0
    for (;;) {
      while (i < this.#arrived.length) yield this.#arrived[i++]
      if (this.#finished) {
        await this.#result // a fleet that could not start throws here
        return
      }
      await new Promise<void>((r) => this.#wake.add(r))
    }
  }

  #end(): void {
    this.#finished = true
    for (const w of this.#wake) w()
    this.#wake.clear()
  }

  // transport.begin, interrupted by the fleet's abort or overall deadline (the nodes are then stopped as usual).
  async #begin(transport: FleetTransport, nodes: readonly string[], endAt: number | undefined): Promise<void> {
    const signals = [
      this.options.signal,
      this.#cancel.signal,
      ...(endAt !== undefined ? [AbortSignal.timeout(msUntil(endAt))] : []),
    ].filter((s): s is AbortSignal => !!s)
    const signal = AbortSignal.any(signals)
    if (signal.aborted) return
    let onAbort!: () => void
    const stopped = new Promise<void>((r) => signal.addEventListener('abort', (onAbort = () => r()), { once: true }))
    await Promise.race([transport.begin!(nodes, signal).catch(() => {}), stopped])
    signal.removeEventListener('abort', onAbort)
  }

  async #run(transport: FleetTransport, list: readonly string[], settle: () => void): Promise<FleetResult> {
    const o = this.options
    checkFleet(list, this.argv, o)
    const nodes = [...list]
    // When the overall deadline falls (performance.now() time): what was spent before this run and begin() count in it.
    const endAt = o.deadlineMs !== undefined ? performance.now() + o.deadlineMs - (o.spentMs ?? 0) : undefined
    if (transport.begin && nodes.length) await this.#begin(transport, nodes, endAt)
    this.#progress = { total: nodes.length, done: 0, failed: 0, running: 0, queued: nodes.length, elapsedMs: 0 }
    const pass = new FleetPass({
      transport,
      nodes,
      argv: this.argv,
      timeoutMs: o.timeoutMs ?? DEFAULT_NODE_TIMEOUT_MS,
      fanout: o.fanout ?? DEFAULT_FANOUT,
      sudo: o.sudo,
      input: o.input,
      onRecord: (r) => {
        this.#arrived.push(r)
        for (const w of this.#wake) w()
        this.#wake.clear()
        o.onResult?.(r)
      },
      onProgress: (p) => {
        this.#progress = p
        o.onProgress?.(this.progress)
      },
    })
    const signals = [o.signal, this.#cancel.signal].filter((s): s is AbortSignal => !!s)
    const onAbort = () => pass.stop('aborted', 'interrupted')
    for (const s of signals) {
      if (s.aborted) onAbort()
      else s.addEventListener('abort', onAbort, { once: true })
    }
    const deadline =
      endAt === undefined
        ? undefined
        : setTimeout(() => pass.stop('deadline', `overall deadline of ${fmtMs(o.deadlineMs!)}`), msUntil(endAt))
    try {
      pass.start() // the overall deadline counts the nodes' preparation
      await pass.done
    } finally {
      if (deadline) clearTimeout(deadline)
      for (const s of signals) s.removeEventListener('abort', onAbort)
      void Promise.allSettled(pass.calls).then(() => settle())
      this.#end()
    }
    const ordered = nodes.map((n) => pass.results.get(n)!)
    return new FleetResult({
      argv: [...this.argv],
      nodes,
      results: ordered,
      ok: ordered.every((r) => r.ok),
      stopped: pass.stopped,
      durationMs: performance.now() - pass.t0,
    })
  }
}

// Prints as what it runs and how far it got (await it for the result).
present(FleetRun.prototype, (r) => {
  const p = r.progress
  return `FleetRun(\`${showArgv(r.argv)}\`: ${p.done} done, ${p.running} running, ${p.failed} failed, ${p.queued} queued of ${p.total}; await it for the result)`
})

/** Starts one command on many nodes (see FleetRun and FleetOptions). */
export function runFleet(
  transport: FleetTransport,
  nodes: readonly string[] | Promise<readonly string[]>,
  argv: readonly string[],
  opts: FleetOptions = {},
): FleetRun {
  return new FleetRun(transport, nodes, argv, opts)
}

/** Whole milliseconds from now until END (a performance.now() time), at least 0: AbortSignal.timeout takes integers. */
function msUntil(end: number): number {
  return Math.max(0, Math.ceil(end - performance.now()))
}
