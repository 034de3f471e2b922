// One pass of a fleet command over its nodes: the queue (nodes join it once their transport has prepared them), at
// most `fanout` in flight, each node's timeout from when its turn comes, and stop() for the overall deadline or an
// abort, which gives every unfinished node its result at once while its transport ends the command on the node.
import { performance } from 'node:perf_hooks'
import { showArgv } from '../exec/quote.ts'
import type { FleetNodeResult, FleetProgress, FleetTransport } from './types.ts'

/**
 * How long after a node's timeout the fleet waits for the transport's own answer (a connection that never came is
 * reported at once, with the transport's words) before it records the timeout itself: stopping a running command on
 * its node takes a moment, and the result must not wait for that.
 */
const GRACE_MS = 100

/** 1500 → "1.5 s", 30000 → "30 s", 250 → "250 ms". */
export function fmtMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`
  const s = ms / 1000
  return `${Number.isInteger(Math.round(s * 10) / 10) ? Math.round(s) : s.toFixed(1)} s`
}

/** What a pass runs and how. */
export interface PassOptions {
  transport: FleetTransport
  nodes: readonly string[]
  argv: readonly string[]
  timeoutMs: number
  fanout: number
  sudo?: boolean
  input?: string
  /** Each node's result, once (as it arrives, or when stop() gives it). */
  onRecord: (r: FleetNodeResult) => void
  /** The counts, whenever a node starts or ends. */
  onProgress: (p: FleetProgress) => void
}

interface Slot {
  ac: AbortController
  startedAt: number
  guard: NodeJS.Timeout
}

/** The state of one fleet command's nodes; start() begins, `done` resolves once every node has a result. */
export class FleetPass {
  readonly results = new Map<string, FleetNodeResult>()
  /** Every transport call made (settled: the remote commands have ended). */
  readonly calls: Promise<unknown>[] = []
  readonly t0 = performance.now()
  readonly done: Promise<void>
  stopped: 'deadline' | 'aborted' | undefined
  #failedCount = 0
  readonly #o: PassOptions
  readonly #running = new Map<string, Slot>()
  /** Nodes ready to start, in the order they became ready; those still being prepared (transport.prepare). */
  readonly #queue: string[]
  readonly #preparing: Set<string>
  #finish!: () => void

  constructor(o: PassOptions) {
    this.#o = o
    const prepare = !!o.transport.prepare
    this.#queue = prepare ? [] : [...o.nodes]
    this.#preparing = new Set(prepare ? o.nodes : [])
    this.done = new Promise<void>((r) => (this.#finish = r))
  }

  /**
   * Starts the pass. What a node needs before it connects (its ssh config) is read outside its timeout; a node joins
   * the queue for a slot as soon as it is ready, so the first nodes connect while the last are still being prepared.
   */
  start(): void {
    if (!this.#o.nodes.length) return this.#finish()
    for (const node of this.#preparing) {
      void this.#o.transport.prepare!(node)
        .catch(() => {}) // run() reports it
        .then(() => {
          if (!this.#preparing.delete(node)) return
          this.#queue.push(node)
          this.#pump()
        })
    }
    if (!this.stopped) this.#pump()
  }

  /** Stops everything now: the unfinished nodes get their result at once; their transports end them meanwhile. */
  stop(why: 'deadline' | 'aborted', text: string): void {
    if (this.stopped || this.results.size === this.#o.nodes.length) return
    this.stopped = why
    const cls = why === 'deadline' ? 'timeout' : 'aborted'
    for (const [node, slot] of [...this.#running]) {
      this.#record(
        this.#failed(
          node,
          slot.startedAt,
          cls,
          `${text}: stopped after ${fmtMs(performance.now() - slot.startedAt)} on ${node}`,
        ),
      )
      slot.ac.abort(new Error(text))
    }
    const waiting = new Set([...this.#preparing, ...this.#queue.splice(0)])
    this.#preparing.clear()
    for (const node of this.#o.nodes.filter((n) => waiting.has(n)))
      this.#record(this.#failed(node, null, cls, `${text}: ${node} never started`))
  }

  /** The counts right now. */
  progress(): FleetProgress {
    return {
      total: this.#o.nodes.length,
      done: this.results.size - this.#failedCount,
      failed: this.#failedCount,
      running: this.#running.size,
      queued: this.#queue.length + this.#preparing.size,
      elapsedMs: performance.now() - this.t0,
    }
  }

  #pump(): void {
    while (!this.stopped && this.#running.size < this.#o.fanout && this.#queue.length) this.#start(this.#queue.shift()!)
    this.#o.onProgress(this.progress())
  }

  #record(r: FleetNodeResult): void {
    if (this.results.has(r.node)) return
    this.results.set(r.node, r)
    if (!r.ok) this.#failedCount++
    const slot = this.#running.get(r.node)
    if (slot) {
      clearTimeout(slot.guard)
      this.#running.delete(r.node)
    }
    this.#o.onRecord(r)
    this.#o.onProgress(this.progress())
    if (this.results.size === this.#o.nodes.length) this.#finish()
    else this.#pump()
  }

  #failed(
    node: string,
    startedAt: number | null,
    cls: FleetNodeResult['error'],
    message: string,
    extra: Partial<FleetNodeResult> = {},
  ): FleetNodeResult {
    return {
      node,
      transport: startedAt === null ? '' : this.#o.transport.via(node),
      ok: false,
      exitCode: null,
      stdout: '',
      stderr: '',
      durationMs: startedAt === null ? 0 : performance.now() - startedAt,
      startedAtMs: startedAt === null ? null : startedAt - this.t0,
      error: cls,
      message,
      ...extra,
    }
  }

  #start(node: string): void {
    const { transport, argv, timeoutMs } = this.#o
    const ac = new AbortController()
    const startedAt = performance.now()
    // The node's timeout is reported when it expires; the transport goes on ending the command on the node.
    const guard = setTimeout(() => {
      const why = `\`${showArgv(argv)}\` on ${node} did not finish within its ${fmtMs(timeoutMs)} timeout; it is stopped on the node`
      this.#record(this.#failed(node, startedAt, 'timeout', why))
      ac.abort(new Error('timeout'))
    }, timeoutMs + GRACE_MS)
    this.#running.set(node, { ac, startedAt, guard })
    const opts = { timeoutMs, signal: ac.signal, sudo: this.#o.sudo, input: this.#o.input }
    const call = transport.run(node, argv, opts).then(
      (out) =>
        this.#record({
          node,
          transport: transport.via(node),
          ok: true,
          exitCode: out.exitCode,
          stdout: out.stdout,
          stderr: out.stderr,
          durationMs: performance.now() - startedAt,
          startedAtMs: startedAt - this.t0,
        }),
      (e) => {
        const f = transport.classify(e)
        const fields = (e ?? {}) as { exitCode?: unknown; stdout?: unknown; stderr?: unknown }
        this.#record(
          this.#failed(node, startedAt, f.class, f.message, {
            exitCode: typeof fields.exitCode === 'number' ? fields.exitCode : null,
            stdout: typeof fields.stdout === 'string' ? fields.stdout : '',
            stderr: typeof fields.stderr === 'string' ? fields.stderr : '',
            ...(f.hint ? { hint: f.hint } : {}),
          }),
        )
      },
    )
    this.calls.push(call)
  }
}
