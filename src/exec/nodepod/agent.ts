// Agent: one long-lived exec into a node pod that carries many commands (agentscript.ts, agentproto.ts). Commands
// run concurrently on the node; a command stuck past its deadline is stopped without holding the others; an agent
// that dies or stops answering is dropped, and what it carried is settled by a one-shot rescue exec: finished
// (its answer), stopped (it was running), or never started (safe to run again).
import crypto from 'node:crypto'
import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import type { ExecStreamHandle, ExecStreamResult } from '../../kube/exec.ts'
import type { ExecProtocolChoice } from '../../kube/execproto.ts'
import type { NodePodApi } from './api.ts'
import { killExec, rescueOutcomes } from './agent-rescue.ts'
import { AGENT_LIMITS, AgentStartError, agentEnded } from './agent-types.ts'
import type { AgentLimits, AgentOutcome, AgentRun } from './agent-types.ts'
import { AGENT_VERSION, AgentDecoder, encodeControl, encodeRequest, type AgentEvent } from './agentproto.ts'
import { agentCommand } from './agentscript.ts'
import { STATE_DIR } from './command.ts'
import type { NodePodRef } from './manager.ts'
import { CONTAINER } from './spec.ts'

export { AGENT_LIMITS, AgentStartError, podGone } from './agent-types.ts'
export type { AgentLimits, AgentOutcome, AgentRun } from './agent-types.ts'

interface Pending {
  resolve: (o: AgentOutcome) => void
  timer?: NodeJS.Timeout
  /** Until "started": the agent is asked whether it is alive when it fires. */
  ackTimer?: NodeJS.Timeout
  off: () => void
}

/** A long-lived exec into one node pod that runs commands sent to it. */
export class Agent {
  state: 'starting' | 'ready' | 'dead' = 'starting'
  /** Why the agent is dead. */
  deadWhy?: string
  /** The agent shell's pid in the pod. */
  pid = 0
  protocol = ''
  private handle?: ExecStreamHandle
  private decoder = new AgentDecoder()
  private pending = new Map<string, Pending>()
  private waiters = new Map<string, (e: AgentEvent) => void>()
  private queue: { data: Buffer; gate?: string; onSent?: () => void }[] = []
  /** The id whose stdin the agent is staging: nothing else is sent before its "S". */
  private gate?: string
  private lastRx = 0
  private stderrTail = ''
  private onHello?: (e?: Error) => void
  private rescuing?: Promise<void>
  private keepAlive?: NodeJS.Timeout

  private constructor(
    readonly api: NodePodApi,
    readonly ref: NodePodRef,
    readonly o: { protocol?: ExecProtocolChoice; dir: string; limits: AgentLimits },
  ) {}

  /** Opens the exec and waits for the agent's hello; throws AgentStartError (with the KubeError as cause when the exec failed). */
  static async start(
    api: NodePodApi,
    ref: NodePodRef,
    o: { protocol?: ExecProtocolChoice; dir?: string; limits?: Partial<AgentLimits> } = {},
  ): Promise<Agent> {
    const a = new Agent(api, ref, {
      protocol: o.protocol,
      dir: o.dir ?? STATE_DIR,
      limits: { ...AGENT_LIMITS, ...o.limits },
    })
    const hello = new Promise<void>((resolve, reject) => (a.onHello = (e) => (e ? reject(e) : resolve())))
    const timer = setTimeout(
      () => a.onHello?.(new AgentStartError(`the agent sent no hello within ${a.o.limits.startMs} ms`, false)),
      a.o.limits.startMs,
    )
    api
      .exec({
        namespace: ref.namespace,
        pod: ref.name,
        container: CONTAINER,
        command: agentCommand(ref.facts, a.o.dir),
        protocol: o.protocol,
        collect: false,
        onOpen: (p) => (a.protocol = p),
        onStream: (h) => (a.handle = h),
        onStdout: (c) => a.received(c),
        onStderr: (c) => (a.stderrTail = (a.stderrTail + c.toString('utf8')).slice(-2000)),
      })
      .then(
        (res) => a.ended(res),
        (e) => a.ended(undefined, e),
      )
    try {
      await hello
    } catch (e) {
      a.die(e instanceof Error ? e.message : String(e))
      throw e
    } finally {
      clearTimeout(timer)
    }
    a.state = 'ready'
    a.handle?.keepAlive(false)
    a.keepAlive = setInterval(() => void a.idlePing(), a.o.limits.keepAliveMs)
    a.keepAlive.unref()
    return a
  }

  /** Runs one command; never throws: every way it can end is an outcome. */
  run(r: AgentRun): Promise<AgentOutcome> {
    if (r.signal?.aborted) return Promise.resolve({ kind: 'aborted' })
    if (this.state !== 'ready')
      return Promise.resolve({ kind: 'unstarted', why: this.deadWhy ?? 'the agent is not ready' })
    const id = crypto.randomBytes(6).toString('hex')
    const data = encodeRequest({ id, from: r.from, seconds: r.seconds, stdin: r.stdin, argv: r.argv })
    return new Promise<AgentOutcome>((resolve) => {
      const onAbort = () => void this.abort(id)
      const p: Pending = { resolve, off: () => r.signal?.removeEventListener('abort', onAbort) }
      this.pending.set(id, p)
      this.handle?.keepAlive(true)
      r.signal?.addEventListener('abort', onAbort, { once: true })
      p.timer = setTimeout(() => void this.overdue(id), r.timeoutMs + this.o.limits.backstopMs)
      const ackMs = this.o.limits.startAckMs + Math.ceil((r.stdin?.length ?? 0) / 1000)
      this.send(
        data,
        r.stdin !== undefined ? id : undefined,
        () => this.pending.has(id) && (p.ackTimer = setTimeout(() => void this.unacked(id), ackMs)),
      )
    })
  }

  /** Commands sent and not answered yet. */
  get busy(): number {
    return this.pending.size
  }

  /** Asks the agent to quit and drops the connection (commands still running are stopped by the node's timeout). */
  close(why = 'closed'): void {
    if (this.state === 'dead') return
    this.handle?.write(encodeControl('Q'))
    this.handle?.closeStdin()
    this.die(why, false)
  }

  /**
   * True when the agent answers a ping within pingMs of it being written (longer while the agent is still sending
   * other bytes). A ping queued behind stdin being staged waits: that request's own watchdog decides.
   */
  async alive(): Promise<boolean> {
    if (this.state !== 'ready') return false
    const id = crypto.randomBytes(6).toString('hex')
    const pong = this.wait(`P ${id}`)
    let sentAt: number | undefined
    this.send(encodeControl('P', id), undefined, () => (sentAt = performance.now()))
    for (;;) {
      const got = await Promise.race([pong.then(() => true), sleep(this.o.limits.pingMs).then(() => false)])
      if (got) return true
      if (this.state !== 'ready') return false
      if (sentAt === undefined) continue
      const now = performance.now()
      const busy = now - this.lastRx < this.o.limits.pingMs && now - sentAt < 30_000
      if (!busy && now - sentAt >= this.o.limits.pingMs) {
        this.waiters.delete(`P ${id}`)
        return false
      }
    }
  }

  // A request the agent has not confirmed in time: a ping tells a busy agent from a lost one (a request whose
  // stdin it has not confirmed blocks the ping, so then it is lost).
  private async unacked(id: string): Promise<void> {
    if (!this.pending.has(id) || this.state !== 'ready') return
    if (this.gate === id)
      return this.die(`it did not confirm a request within ${this.o.limits.startAckMs} ms (+1 s per MB of stdin)`)
    if (!(await this.alive())) this.die(`it did not answer a ping within ${this.o.limits.pingMs} ms`)
  }

  // Every keepAliveMs while idle: a connection that was dropped silently is found before the next command needs it.
  private async idlePing(): Promise<void> {
    if (this.state !== 'ready' || this.pending.size) return
    if (!(await this.alive()) && this.state === 'ready')
      this.die(`it did not answer a keep-alive ping within ${this.o.limits.pingMs} ms`)
  }

  // A command past its deadline and backstop: stop it if the agent is fine, else the agent is dropped.
  private async overdue(id: string): Promise<void> {
    if (!this.pending.has(id)) return
    const ok = await this.alive()
    const p = this.pending.get(id)
    if (!p) return
    if (!ok) return this.die(`it did not answer a ping within ${this.o.limits.pingMs} ms`)
    await this.withdraw(id, 'timeout')
  }

  private abort(id: string): Promise<void> {
    return this.withdraw(id, 'aborted')
  }

  // Takes a command back (a late answer is then ignored), stops it on the node, then settles it.
  private async withdraw(id: string, kind: 'aborted' | 'timeout'): Promise<void> {
    const p = this.pending.get(id)
    if (!p) return
    this.pending.delete(id)
    clearTimeout(p.timer)
    clearTimeout(p.ackTimer)
    p.off()
    await this.stop(id)
    p.resolve({ kind })
    this.idle()
  }

  /** Stops a command and what it started: through the agent, else (no answer in stopMs) a one-shot kill exec. */
  private async stop(id: string): Promise<void> {
    if (this.state === 'ready') {
      const stopped = this.wait(`K ${id}`)
      this.send(encodeControl('K', id))
      if (await Promise.race([stopped.then(() => true), sleep(this.o.limits.stopMs).then(() => false)])) return
      this.waiters.delete(`K ${id}`)
    }
    await killExec(this.api, this.ref, this.o, id)
  }

  private wait(key: string): Promise<AgentEvent> {
    return new Promise((resolve) => this.waiters.set(key, resolve))
  }

  private send(data: Buffer, gate?: string, onSent?: () => void): void {
    this.queue.push({ data, gate, onSent })
    this.pump()
  }

  private pump(): void {
    while (!this.gate && this.queue.length && this.state !== 'dead') {
      const item = this.queue.shift()!
      if (!this.handle?.write(item.data)) return this.die('its exec stream is closed', false)
      this.gate = item.gate
      item.onSent?.()
    }
  }

  private received(chunk: Buffer): void {
    this.lastRx = performance.now()
    let events: AgentEvent[]
    try {
      events = this.decoder.push(chunk)
    } catch (e) {
      return this.die((e as Error).message)
    }
    for (const e of events) this.event(e)
  }

  private event(e: AgentEvent): void {
    switch (e.type) {
      case 'hello':
        if (e.version !== AGENT_VERSION)
          return this.onHello?.(
            new AgentStartError(`the agent speaks protocol ${e.version}, not ${AGENT_VERSION}`, true),
          )
        this.pid = e.pid
        return this.onHello?.()
      case 'started':
        clearTimeout(this.pending.get(e.id)?.ackTimer)
        if (this.gate === e.id) {
          this.gate = undefined
          this.pump()
        }
        return
      case 'answer':
        return this.settle(e.id, { kind: 'answer', exitCode: e.exitCode, stdout: e.stdout, stderr: e.stderr })
      case 'stopped':
      case 'pong': {
        const key = `${e.type === 'stopped' ? 'K' : 'P'} ${e.id}`
        const w = this.waiters.get(key)
        this.waiters.delete(key)
        return w?.(e)
      }
      default:
        return this.die(`it sent "${e.type}", which only a rescue sends`)
    }
  }

  private settle(id: string, o: AgentOutcome): void {
    const p = this.pending.get(id)
    if (!p) return // aborted or timed out already: a late answer
    this.pending.delete(id)
    clearTimeout(p.timer)
    clearTimeout(p.ackTimer)
    p.off()
    p.resolve(o)
    this.idle()
  }

  private idle(): void {
    if (!this.pending.size && this.state === 'ready') this.handle?.keepAlive(false)
  }

  private ended(res?: ExecStreamResult, err?: unknown): void {
    if (this.state === 'dead') return
    const { how, startError } = agentEnded(this.stderrTail, res, err)
    this.onHello?.(startError)
    this.die(how, false) // its process exited or its connection is gone (a pod being deleted): nothing to stop
  }

  /**
   * Marks the agent dead and drops its connection; a rescue exec settles what it carried, and also runs with
   * nothing pending when the agent was found broken while its process lives on (stop), so it does not linger.
   */
  private die(why: string, stop = true): void {
    if (this.state === 'dead') return
    const wasReady = this.state === 'ready'
    this.state = 'dead'
    this.deadWhy = why
    this.onHello = undefined
    clearInterval(this.keepAlive)
    this.handle?.close()
    this.waiters.clear() // pings and stops waiting on them end by their own timers
    if (wasReady && (this.pending.size || stop)) this.rescuing = this.rescue(why)
  }

  // One exec settles every command the lost agent carried (see RESCUE in agentscript.ts).
  private async rescue(why: string): Promise<void> {
    const ids = [...this.pending.keys()]
    const outcomes = await rescueOutcomes(this.api, this.ref, this.o, this.pid, ids, why, this.o.limits.rescueMs)
    for (const id of ids) this.settle(id, outcomes.get(id)!)
  }

  /** Resolves once a rescue in progress has settled every command (for tests). */
  async settled(): Promise<void> {
    await this.rescuing
  }
}
