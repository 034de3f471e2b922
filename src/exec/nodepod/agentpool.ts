// The agents of one session's node pods: one per pod, started on first use, replaced when lost, and given up on
// (one-shot execs from then on) when the pod's image cannot run one. Shared by every NodePodExec of a NodePods.
import { KubeError } from '../../kube/errors.ts'
import type { AgentLimits } from './agent.ts'
import { Agent, AgentStartError, podGone } from './agent.ts'
import type { NodePodRef, NodePods } from './manager.ts'

/** After a failed start, how long one-shot execs are used before an agent is tried again (doubling, capped). */
const RETRY_MS = [5_000, 30_000, 120_000]

interface Slot {
  pod: string
  agent?: Agent
  starting?: Promise<Agent | undefined>
  /** Set when the image cannot run an agent: one-shot execs for this pod's life. */
  never?: string
  retryAt: number
  failures: number
}

/** Options of the agents (tests set the state dir and shorter limits). */
export interface AgentPoolOptions {
  dir?: string
  limits?: Partial<AgentLimits>
}

const pools = new WeakMap<NodePods, AgentPool>()

/** One agent per node pod of a session. */
export class AgentPool {
  private slots = new Map<string, Slot>()

  private constructor(
    readonly pods: NodePods,
    readonly opts: AgentPoolOptions,
  ) {}

  /** The pool of a session's node pods (made on first use; options apply when it is made). */
  static of(pods: NodePods, opts: AgentPoolOptions = {}): AgentPool {
    let p = pools.get(pods)
    if (!p) pools.set(pods, (p = new AgentPool(pods, opts)))
    return p
  }

  /**
   * A ready agent for the pod, started (and waited for) when there is none; undefined when one-shot execs are to
   * be used, with a note saying why the first time.
   */
  async get(ref: NodePodRef, note: (text: string) => void): Promise<Agent | undefined> {
    let s = this.slots.get(ref.node)
    if (!s || s.pod !== ref.name) {
      s?.agent?.close('its node pod was replaced')
      s = { pod: ref.name, retryAt: 0, failures: 0 }
      this.slots.set(ref.node, s)
    }
    if (s.agent?.state === 'ready') return s.agent
    if (s.starting) return s.starting
    if (s.never || Date.now() < s.retryAt) return undefined
    const slot = s
    const lost = slot.agent?.deadWhy
    slot.agent = undefined
    slot.starting = Agent.start(this.pods.api, ref, {
      protocol: this.pods.opts.protocol,
      dir: this.opts.dir,
      limits: this.opts.limits,
    }).then(
      (a) => {
        slot.agent = a
        slot.failures = 0
        this.pods.noteProtocol(a.protocol)
        if (lost) note(`pod:${ref.node}: the command agent was lost (${lost}); a new one took over`)
        return a
      },
      (e: unknown) => {
        const why = e instanceof Error ? e.message : String(e)
        const cause = (e as AgentStartError).cause
        if (podGone(cause)) return undefined // the one-shot exec sees it too, and makes a new pod
        if (e instanceof AgentStartError && e.permanent) {
          slot.never = why
          note(`pod:${ref.node}: ${why}; every command there runs as its own exec (slower)`)
        } else {
          slot.retryAt = Date.now() + RETRY_MS[Math.min(slot.failures, RETRY_MS.length - 1)]
          slot.failures++
          // An exec the API refused (forbidden, unreachable) is reported by the one-shot exec that follows.
          if (!(cause instanceof KubeError))
            note(
              `pod:${ref.node}: the command agent could not start (${why}); commands run as their own execs for ${Math.round((slot.retryAt - Date.now()) / 1000)} s`,
            )
        }
        return undefined
      },
    )
    try {
      return await slot.starting
    } finally {
      slot.starting = undefined
    }
  }

  /** The ready agent of a node, if any (for diagnostics and tests). */
  agentOf(node: string): Agent | undefined {
    const a = this.slots.get(node)?.agent
    return a?.state === 'ready' ? a : undefined
  }

  /** Closes the agent of a node (its pod is being deleted, or the session ends). */
  close(node?: string): void {
    for (const [n, s] of this.slots) {
      if (node !== undefined && n !== node) continue
      s.agent?.close()
      this.slots.delete(n)
    }
  }
}
