// NodeAccess: one session's way to the nodes of one cluster. It hands out a NodeAccessExec per node, keeps the node
// pods (one NodePods per pod settings, all with the session's id), asks consent through the hooks, and closes them
// all on one bounded path.
import { nodeAccessFor, patternMatches, type NodeAccessRule, type NodeAccessSettings } from '../config-access.ts'
import type { DaemonSetApi, NodePodApi } from '../exec/nodepod/api.ts'
import type { NodeDaemonSet } from '../exec/nodepod/daemonset.ts'
import { NodePodExec } from '../exec/nodepod/exec.ts'
import { NodePods, type CloseReport, type NodePodsOptions } from '../exec/nodepod/manager.ts'
import { DEFAULT_IMAGE, newSessionId } from '../exec/nodepod/spec.ts'
import { gc, type GcResult } from '../exec/nodepod/gc.ts'
import type { Exec } from '../exec/types.ts'
import { NodeAccessExec, type SshSide } from './chooser.ts'
import { Consent } from './consent.ts'
import type { AccessHooks } from './hooks.ts'
import {
  DEFAULT_DAEMONSET_ABOVE,
  daemonSetGroups,
  hasDaemonSets,
  prepareDaemonSets,
  type FleetBegin,
  type FleetDaemonSets,
  type FleetPlan,
} from './fleetds.ts'
import { accessPlan, type AccessPlanEntry } from './plan.ts'

/** What a session gives its node access. */
export interface NodeAccessOptions {
  /** nodeAccess rules of .recipes. */
  rules: readonly NodeAccessRule[]
  /** Patterns of the .recipes nodes rules (SSH is configured for names they match). */
  sshRules: readonly { match: string }[]
  env: Record<string, string | undefined>
  hooks: AccessHooks
  /** The SSH pool (shared by every context of the session). */
  ssh: () => SshSide
  /** The cluster's API for node pods (and DaemonSets, when it has those calls); throws when there is no usable kubeconfig. */
  api: () => NodePodApi & Partial<DaemonSetApi>
  /** The session's abort signal for the command being run. */
  signal: () => AbortSignal | undefined
  /** Session id for the pods' labels (default random). */
  session?: string
  /** Extra NodePods options (tests: timeouts, heartbeat). */
  podOptions?: Partial<NodePodsOptions>
  /** Upper bound of close() (default 20 s). */
  closeWaitMs?: number
}

/** The settings that make a distinct set of pods. */
function podKey(s: NodeAccessSettings): string {
  return JSON.stringify([
    s.namespace,
    s.image ?? DEFAULT_IMAGE,
    s.imagePullSecrets,
    s.deadlineSeconds,
    s.priorityClassName ?? '',
  ])
}

/** A session's node access for one cluster: transports per node, node pods, consent, cleanup. */
export class NodeAccess {
  readonly session: string
  readonly consent: Consent
  readonly #execs = new Map<string, NodeAccessExec>()
  readonly #pods = new Map<string, NodePods>()
  /** The fleets' DaemonSets, and the nodes they serve. */
  readonly #daemonSets: NodeDaemonSet[] = []
  readonly #dsNodes = new Set<string>()
  #api?: NodePodApi & Partial<DaemonSetApi>
  #closing?: Promise<CloseReport>

  constructor(readonly opts: NodeAccessOptions) {
    this.session = opts.session ?? newSessionId()
    this.consent = new Consent(opts.hooks)
  }

  /** The settings that apply to a node (the nodeAccess rules, defaults filled in). */
  settings(node: string): NodeAccessSettings {
    return nodeAccessFor(this.opts.rules, node)
  }

  /** The node's Exec (one per node; it chooses its transport on its first command). */
  exec(node: string): NodeAccessExec {
    let e = this.#execs.get(node)
    if (!e) {
      const settings = this.settings(node)
      e = new NodeAccessExec({
        node,
        settings,
        rule: this.#sshRule(node),
        env: this.opts.env,
        ssh: this.opts.ssh,
        pods: () => this.#podSide(settings),
        signal: this.opts.signal,
      })
      this.#execs.set(node, e)
    }
    return e
  }

  /** The transport the node's Exec chose, if it has one (none is made). */
  via(node: string): NodeAccessExec['via'] {
    return this.#execs.get(node)?.via
  }

  /** What each node would use, without connecting or creating anything (--dry-run). */
  plan(nodes: readonly string[]): Promise<AccessPlanEntry[]> {
    return accessPlan(nodes, {
      settings: (n) => this.settings(n),
      ssh: this.opts.ssh,
      rule: (n) => this.#sshRule(n),
      env: this.opts.env,
    })
  }

  /** Lists kinspect's node pods in the cluster and deletes the leftovers (this session's pods are kept); dryRun only lists. */
  gc(o: { dryRun?: boolean } = {}): Promise<GcResult> {
    this.#api ??= this.opts.api()
    return gc(this.#api, { session: this.session, dryRun: o.dryRun, namespace: this.settings('*').namespace })
  }

  /**
   * Before a fleet: when more than `above` of its nodes would each get a node pod (SSH does not apply), one DaemonSet
   * serves them instead (one consent question for it); their commands then run in its pods. Nodes already served
   * keep their transport. What could not be made is returned; those nodes get node pods of their own.
   */
  async prepareFleet(
    nodes: readonly string[],
    above = DEFAULT_DAEMONSET_ABOVE,
    plan: (nodes: readonly string[]) => Promise<AccessPlanEntry[]> = (n) => this.plan(n),
  ): Promise<FleetDaemonSets> {
    if (this.#closing) return { daemonSets: [], failed: [] }
    const r = await prepareDaemonSets(nodes, above, {
      plan,
      settings: (n) => this.settings(n),
      keyOf: (s) => `${podKey(s)}${s.pods}`,
      nodePods: (s) => this.#nodePods(s),
      api: () => (this.#api ??= this.opts.api()),
      served: (n) => this.#dsNodes.has(n) || this.#execs.get(n)?.via !== undefined,
      allow: (ds) =>
        this.consent.allow(
          {
            node: `${ds.nodes.length} nodes`,
            namespace: ds.namespace,
            pod: ds.name,
            image: ds.image,
            deadlineSeconds: ds.deadlineSeconds,
            priorityClassName: ds.settings.priorityClassName,
            imagePullSecrets: ds.settings.imagePullSecrets,
            daemonSet: { nodes: [...ds.nodes] },
          },
          ds.settings.pods,
        ),
      onPhase: (ph) => this.opts.hooks.emitPhase(ph),
    })
    for (const ds of r.made) {
      this.#daemonSets.push(ds)
      for (const n of ds.nodes) this.#dsNodes.add(n)
    }
    if (this.#closing) await Promise.all(r.made.map((ds) => ds.close())) // the session ended meanwhile
    return {
      daemonSets: r.made.map((ds) => ({ name: ds.name, namespace: ds.namespace, nodes: ds.nodes })),
      failed: r.failed,
    }
  }

  /**
   * prepareFleet without holding up the nodes SSH serves: each node's plan starts now; `ready(node)` resolves as soon
   * as that node is known not to need a pod, else once the DaemonSet decision is made (and the DaemonSet created).
   */
  beginFleet(nodes: readonly string[], above = DEFAULT_DAEMONSET_ABOVE): FleetBegin {
    const none: FleetBegin = { ready: async () => {}, done: Promise.resolve({ daemonSets: [], failed: [] }) }
    const served = (n: string) => this.#dsNodes.has(n) || this.#execs.get(n)?.via !== undefined
    if (this.#closing || nodes.length <= above || nodes.filter((n) => !served(n)).length <= above) return none
    try {
      this.#api ??= this.opts.api()
    } catch {
      return none // no cluster: nothing to make a DaemonSet in
    }
    if (!hasDaemonSets(this.#api)) return none
    const entries = new Map(nodes.map((n) => [n, this.plan([n]).then((r) => r[0])]))
    const plan = (list: readonly string[]) =>
      Promise.all(list.map((n) => entries.get(n) ?? this.plan([n]).then((r) => r[0])))
    const done = this.prepareFleet(nodes, above, plan)
    done.catch(() => {})
    return {
      async ready(node) {
        const e = await entries.get(node)?.catch(() => undefined)
        if (e?.expect === 'pod') await done.catch(() => {})
      },
      done,
    }
  }

  /** What prepareFleet would do, without creating anything (--dry-run): each node's plan, and the DaemonSets. */
  async fleetPlan(nodes: readonly string[], above = DEFAULT_DAEMONSET_ABOVE): Promise<FleetPlan> {
    const entries = await this.plan(nodes)
    const served = (n: string) => this.#dsNodes.has(n) || this.#execs.get(n)?.via !== undefined
    const groups =
      nodes.length > above
        ? daemonSetGroups(
            entries,
            (n) => {
              const s = this.settings(n)
              return `${podKey(s)}${s.pods}`
            },
            above,
            served,
          )
        : []
    const daemonSets = groups.map((g) => {
      const s = this.settings(g.nodes[0])
      return {
        nodes: g.nodes,
        namespace: s.namespace,
        image: s.image ?? DEFAULT_IMAGE,
        deadlineSeconds: s.deadlineSeconds,
        pods: s.pods,
      }
    })
    return { entries, daemonSets, above }
  }

  /** The fleets' DaemonSets this session made and has not deleted. */
  daemonSets(): { name: string; namespace: string; nodes: readonly string[] }[] {
    return this.#daemonSets.map((ds) => ({ name: ds.name, namespace: ds.namespace, nodes: ds.nodes }))
  }

  #sshRule(node: string): boolean {
    return this.opts.sshRules.some((r) => patternMatches(r.match, node))
  }

  /** Every node pod this session made and has not deleted. */
  pods(): { node: string; namespace: string; name: string }[] {
    return [...this.#pods.values()].flatMap((p) => p.pods())
  }

  #podSide(settings: NodeAccessSettings): { ensure: NodePods['ensure']; exec: (node: string) => Exec } {
    const pods = this.#nodePods(settings)
    return { ensure: (node, o) => pods.ensure(node, o), exec: (node) => new NodePodExec(pods, node) }
  }

  #nodePods(settings: NodeAccessSettings): NodePods {
    const key = podKey(settings)
    let p = this.#pods.get(key)
    if (!p) {
      this.#api ??= this.opts.api()
      const hooks = this.opts.hooks
      p = new NodePods(this.#api, {
        namespace: settings.namespace,
        image: settings.image,
        imagePullSecrets: settings.imagePullSecrets,
        deadlineSeconds: settings.deadlineSeconds,
        priorityClassName: settings.priorityClassName,
        session: this.session,
        onPhase: (ph) => hooks.emitPhase(ph),
        beforeCreate: (node, pod) => {
          const c = pod.spec!.containers[0]
          return this.consent.allow(
            {
              node,
              namespace: settings.namespace,
              pod: pod.metadata.name,
              image: c.image ?? DEFAULT_IMAGE,
              deadlineSeconds: settings.deadlineSeconds,
              priorityClassName: settings.priorityClassName,
              imagePullSecrets: settings.imagePullSecrets,
            },
            settings.pods,
          )
        },
        ...this.opts.podOptions,
      })
      this.#pods.set(key, p)
    }
    return p
  }

  /** Waits (at most ms) until every command running on a node has settled: aborted ones have stopped their remote process. */
  async settle(ms = 4000): Promise<void> {
    await Promise.all([...this.#execs.values()].map((e) => e.settle(ms)))
  }

  /**
   * Deletes every node pod of the session and waits until they are gone, at most closeWaitMs (then reports what is
   * left: gc removes it later, and each pod ends by its deadline anyway). Idempotent: later calls get the same report.
   */
  close(): Promise<CloseReport> {
    this.#closing ??= (async () => {
      this.consent.cancel() // a question still open must not hold the cleanup
      const all = [...this.#pods.values()]
      const pending = new Map(
        [
          ...this.pods(),
          ...this.daemonSets().map((d) => ({ name: `daemonset/${d.name}`, namespace: d.namespace })),
        ].map((p) => [p.name, p]),
      )
      const done = Promise.all([
        ...all.map((p) =>
          p.close().then(
            (r) => r,
            (e) => ({ deleted: [], remaining: p.pods().map((x) => ({ ...x, why: (e as Error).message })) }),
          ),
        ),
        ...this.#daemonSets.map((ds) => ds.close()),
      ])
      const limit = this.opts.closeWaitMs ?? 20_000
      let timer: NodeJS.Timeout | undefined
      const late = new Promise<'late'>((r) => (timer = setTimeout(() => r('late'), limit)))
      const r = await Promise.race([done, late])
      clearTimeout(timer)
      if (r === 'late')
        return {
          deleted: [],
          remaining: [...pending.values()].map((p) => ({
            name: p.name,
            namespace: p.namespace,
            why: `not confirmed deleted within ${limit < 1000 ? `${limit} ms` : `${Math.round(limit / 1000)} s`}`,
          })),
        }
      return { deleted: r.flatMap((x) => x.deleted), remaining: r.flatMap((x) => x.remaining) }
    })()
    return this.#closing
  }
}
