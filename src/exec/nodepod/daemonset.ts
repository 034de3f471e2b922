// NodeDaemonSet: one DaemonSet for many nodes of a fleet instead of a node pod each. It checks access, asks consent
// once, creates the DaemonSet, watches its pods (one list call per poll for all nodes), maps node → ready pod for
// NodePods.adopt, reports each node whose pod does not start by its own error, and deletes it all on close().
import os from 'node:os'
import { performance } from 'node:perf_hooks'
import { KubeError } from '../../kube/errors.ts'
import type { DaemonSet, KubeEvent, Pod } from '../../kube/types.ts'
import { NodePodError, type DaemonSetApi, type NodePodApi, type NodePodPhase } from './api.ts'
import { explainRefusal, podRunning, startFailure, startTimeout } from './diagnose.ts'
import { buildNodeDaemonSet } from './dsspec.ts'
import type { NodePodRef, NodePods } from './manager.ts'
import { ANNOTATION, DEFAULT_DEADLINE_SECONDS, LABEL } from './spec.ts'

/** How a fleet's DaemonSet is made and waited for. */
export interface NodeDaemonSetOptions {
  /** Called with the object before it is created (consent); throw to refuse. */
  beforeCreate?: (ds: DaemonSet) => Promise<void> | void
  /** Limit for each node's pod to be ready, from the creation (default: the NodePods' startTimeoutMs, else 60 s). */
  startTimeoutMs?: number
  /** Phases of the whole DaemonSet (node: "N nodes"), for the shell's spinner. */
  onPhase?: (p: NodePodPhase) => void
  /** Heartbeat period (default 60 s). */
  heartbeatMs?: number
  /** Bounded wait for the deletion in close() (default 15 s). */
  deleteWaitMs?: number
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** The node a DaemonSet pod is for: its nodeName once bound, else the node its affinity names. */
export function dsPodNode(pod: Pod): string | undefined {
  if (pod.spec.nodeName) return pod.spec.nodeName
  const terms = pod.spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? []
  for (const t of terms)
    for (const f of t.matchFields ?? []) if (f.key === 'metadata.name' && f.values?.length === 1) return f.values[0]
  return undefined
}

/** One DaemonSet over a set of nodes, as a source of ready pods for a session's NodePods. */
export class NodeDaemonSet {
  readonly namespace: string
  name = ''
  #refs = new Map<
    string,
    { promise: Promise<NodePodRef>; resolve: (r: NodePodRef) => void; reject: (e: unknown) => void; settled: boolean }
  >()
  #created = false
  #closed = false
  #heartbeat?: NodeJS.Timeout
  #deadlineAt = 0

  constructor(
    readonly pods: NodePods,
    readonly api: NodePodApi & DaemonSetApi,
    readonly nodes: readonly string[],
    readonly opts: NodeDaemonSetOptions = {},
  ) {
    this.namespace = pods.namespace
    for (const n of nodes) {
      let resolve!: (r: NodePodRef) => void
      let reject!: (e: unknown) => void
      const promise = new Promise<NodePodRef>((a, b) => ((resolve = a), (reject = b)))
      promise.catch(() => {}) // read by ref()
      const slot = {
        promise,
        resolve: (r: NodePodRef) => (this.#settle(slot, true), resolve(r)),
        reject: (e: unknown) => (this.#settle(slot, false), reject(e)),
        settled: false,
      }
      this.#refs.set(n, slot)
    }
  }

  #t0 = performance.now()
  #readyCount = 0

  // Marks a node settled; when the last one settles, says how many nodes have a ready pod (before their commands run).
  #settle(slot: { settled: boolean }, ok: boolean): void {
    if (slot.settled) return
    slot.settled = true
    if (ok) this.#readyCount++
    if ([...this.#refs.values()].every((r) => r.settled) && !this.#closed) {
      const n = this.nodes.length
      try {
        this.opts.onPhase?.({
          node: this.#readyCount === n ? `${n} nodes` : `${this.#readyCount} of ${n} nodes`,
          phase: this.#readyCount ? 'ready' : 'failed',
          pod: `daemonset/${this.name}`,
          namespace: this.namespace,
          elapsedMs: performance.now() - this.#t0,
        })
      } catch {
        /* a display callback must not break the transport */
      }
      // No node got a pod (a bad image, PodSecurity): it serves nothing, so it goes now rather than at the session's end.
      if (!this.#readyCount && this.#created) void this.close()
    }
  }

  /** The node's ready pod (rejects with the reason its pod did not start). */
  ref(node: string): Promise<NodePodRef> {
    const r = this.#refs.get(node)
    return r ? r.promise : Promise.reject(new NodePodError('invalid', `node ${node} is not in DaemonSet ${this.name}`))
  }

  #emit(phase: NodePodPhase['phase'], t0: number, detail?: string): void {
    try {
      this.opts.onPhase?.({
        node: `${this.nodes.length} nodes`,
        phase,
        pod: this.name ? `daemonset/${this.name}` : undefined,
        namespace: this.namespace,
        detail,
        elapsedMs: performance.now() - t0,
      })
    } catch {
      /* a display callback must not break the transport */
    }
  }

  /** Checks access, asks consent (beforeCreate), creates the DaemonSet; then waits for its pods in the background. */
  async create(): Promise<void> {
    const t0 = (this.#t0 = performance.now())
    try {
      await this.#create(t0)
    } catch (e) {
      this.#emit('failed', t0, `no DaemonSet (${(e as Error).message}); the nodes get node pods of their own`)
      throw e
    }
  }

  async #create(t0: number): Promise<void> {
    const ns = this.namespace
    this.#emit('checking', t0)
    await this.#checkAccess()
    const pods = this.pods
    const deadlineSeconds = pods.opts.deadlineSeconds ?? DEFAULT_DEADLINE_SECONDS
    const ds = buildNodeDaemonSet(this.nodes, {
      namespace: ns,
      session: pods.session,
      user: this.api.user,
      image: pods.opts.image,
      imagePullSecrets: pods.opts.imagePullSecrets,
      imagePullPolicy: pods.opts.imagePullPolicy,
      deadlineSeconds,
      priorityClassName: pods.opts.priorityClassName,
      resources: pods.opts.resources,
      host: pods.opts.host ?? os.hostname(),
      pid: pods.opts.pid ?? process.pid,
      now: new Date(),
    })
    this.name = ds.metadata.name
    await this.opts.beforeCreate?.(ds)
    if (this.#closed) throw new NodePodError('closed', 'the session ended before the DaemonSet was created')
    this.#emit('creating', t0)
    try {
      await this.api.createDaemonSet(ds)
    } catch (e) {
      if (e instanceof KubeError && (e.status === 403 || e.status === 422))
        throw explainRefusal(
          { status: e.status, message: (e.cause as { message?: string } | undefined)?.message ?? e.message },
          { namespace: ns },
          e,
        )
      throw new NodePodError(
        'api',
        `creating DaemonSet ${ns}/${this.name} failed: ${(e as Error).message}`,
        (e as KubeError).hint,
        e,
      )
    }
    this.#created = true
    this.#deadlineAt = Date.now() + deadlineSeconds * 1000
    this.#heartbeat = setInterval(() => void this.beat(), this.opts.heartbeatMs ?? 60_000)
    this.#heartbeat.unref()
    void this.#watch(t0)
  }

  async #checkAccess(): Promise<void> {
    const ns = this.namespace
    const asks: [string, string, string][] = [
      ['apps', 'create', 'daemonsets'],
      ['apps', 'delete', 'daemonsets'],
      ['', 'list', 'pods'],
      ['', 'get', 'pods'],
    ]
    const ok = await Promise.all(asks.map(([g, v, r]) => this.api.canIGroup(g, v, r, ns).catch(() => true)))
    const exec = (
      await Promise.all([
        this.api.canI('create', 'pods', 'exec', ns).catch(() => true),
        this.api.canI('get', 'pods', 'exec', ns).catch(() => true),
      ])
    ).some(Boolean)
    const missing = asks.filter((_, i) => !ok[i]).map(([, v, r]) => `${v} ${r}`)
    if (!exec) missing.push('create pods/exec')
    if (missing.length) {
      throw new NodePodError(
        'rbac',
        `user "${this.api.user}" may not ${missing.join(', ')} in namespace "${ns}" (needed for the fleet's DaemonSet)`,
        `a fleet DaemonSet needs, in namespace "${ns}": create, get, delete, patch daemonsets (apps); list, get pods; create pods/exec`,
      )
    }
  }

  // One list per poll for every node: a node's pod is probed once Running, failed on a clear start failure, and at
  // the limit every node still waiting gets its own reason (no pod made: the DaemonSet's events say why).
  async #watch(t0: number): Promise<void> {
    const ns = this.namespace
    const limit = this.opts.startTimeoutMs ?? this.pods.opts.startTimeoutMs ?? 60_000
    const end = performance.now() + limit
    const probing = new Set<string>()
    const selector = `${LABEL.daemonSet}=${this.name}`
    // One list per poll whatever the node count; polled faster for a few nodes, slower for many (the list grows).
    const cap = this.nodes.length > 100 ? 2000 : 500
    let delay = 100
    let lastDetail = ''
    while (!this.#closed) {
      const waiting = [...this.#refs].filter(([, r]) => !r.settled).map(([n]) => n)
      if (!waiting.length) break
      let pods: Pod[] = []
      try {
        pods = await this.api.listPods(selector, ns)
      } catch {
        /* transient: try again until the limit */
      }
      const byNode = new Map(pods.filter((p) => !p.metadata.deletionTimestamp).map((p) => [dsPodNode(p), p]))
      const ready = this.nodes.length - waiting.length + probing.size
      const detail = `${pods.length} of ${this.nodes.length} pods made, ${ready} ready`
      if (detail !== lastDetail) this.#emit('starting', t0, (lastDetail = detail))
      let dsEvents: KubeEvent[] | undefined
      for (const node of waiting) {
        if (probing.has(node)) continue
        const pod = byNode.get(node)
        if (pod && podRunning(pod)) {
          probing.add(node)
          void this.#ready(node, pod).finally(() => probing.delete(node))
          continue
        }
        const fail = pod && startFailure(pod)
        if (fail) {
          this.#refs.get(node)!.reject(fail)
          continue
        }
        if (!pod && performance.now() - t0 > 1500) {
          // The controller could not make the pod: PodSecurity and quota refusals show as FailedCreate on the DaemonSet.
          dsEvents ??= await this.api.daemonSetEvents(ns, this.name).catch(() => [])
          const refused = [...dsEvents].reverse().find((e) => e.reason === 'FailedCreate')
          if (refused) {
            this.#refs
              .get(node)!
              .reject(
                explainRefusal(
                  { status: 403, message: (refused.message ?? '').replace(/^Error creating: /, '') },
                  { namespace: ns },
                ),
              )
            continue
          }
        }
        if (performance.now() >= end) {
          const [events, nodeObj] = await Promise.all([
            pod ? this.api.podEvents(ns, pod.metadata.name).catch(() => []) : [],
            this.api.getNode(node).catch(() => undefined),
          ])
          const err =
            pod ||
            nodeObj === undefined ||
            nodeObj.status?.conditions?.find((c: { type: string; status: string }) => c.type === 'Ready')?.status !==
              'True'
              ? startTimeout(pod, events, nodeObj, node, limit)
              : new NodePodError(
                  'unschedulable',
                  `DaemonSet ${ns}/${this.name} made no pod on ${node} within ${Math.round(limit / 1000)} s`,
                  `see: kubectl -n ${ns} describe daemonset ${this.name}`,
                )
          this.#refs.get(node)!.reject(err)
        }
      }
      await sleep(delay)
      delay = Math.min(delay * 1.5, cap)
    }
  }

  async #ready(node: string, pod: Pod): Promise<void> {
    const slot = this.#refs.get(node)!
    try {
      const facts = await this.pods.probe(this.namespace, pod.metadata.name)
      slot.resolve({
        node,
        namespace: this.namespace,
        name: pod.metadata.name,
        facts,
        deadlineAt: this.#deadlineAt,
        daemonSet: this.name,
      })
    } catch (e) {
      slot.reject(e)
    }
  }

  /** Renews the DaemonSet's heartbeat annotation (failures are ignored: gc reads the age). */
  async beat(): Promise<void> {
    if (!this.#created || this.#closed) return
    await this.api
      .annotateDaemonSet(this.namespace, this.name, { [ANNOTATION.heartbeat]: new Date().toISOString() })
      .catch(() => {})
  }

  /** Deletes the DaemonSet and waits (bounded) until it and its pods are gone; what it made, and what remains. */
  close(): Promise<{ deleted: string[]; remaining: { name: string; namespace: string; why: string }[] }> {
    this.#closing ??= this.#close()
    return this.#closing
  }

  #closing?: ReturnType<NodeDaemonSet['close']>

  async #close(): Promise<{ deleted: string[]; remaining: { name: string; namespace: string; why: string }[] }> {
    this.#closed = true
    clearInterval(this.#heartbeat)
    for (const r of this.#refs.values())
      if (!r.settled) r.reject(new NodePodError('closed', 'the session ended while the DaemonSet was starting'))
    if (!this.#created) return { deleted: [], remaining: [] }
    const ns = this.namespace
    const what = `daemonset/${this.name}`
    try {
      await this.api.deleteDaemonSet(ns, this.name)
      const end = performance.now() + (this.opts.deleteWaitMs ?? 15_000)
      for (let d = 200; ; d = Math.min(d * 1.5, 1000)) {
        const [ds, pods] = await Promise.all([
          this.api.getDaemonSet(ns, this.name),
          this.api.listPods(`${LABEL.daemonSet}=${this.name}`, ns),
        ])
        if (!ds && !pods.length) break
        if (performance.now() >= end)
          return {
            deleted: [],
            remaining: [
              {
                name: what,
                namespace: ns,
                why: `still there (${pods.length} pod(s)) after ${Math.round((this.opts.deleteWaitMs ?? 15_000) / 1000)} s`,
              },
            ],
          }
        await sleep(d)
      }
      return { deleted: [what], remaining: [] }
    } catch (e) {
      return { deleted: [], remaining: [{ name: what, namespace: ns, why: (e as Error).message }] }
    }
  }
}
