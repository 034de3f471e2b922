// NodePods: one session's node pods. The first command on a node creates its pod, later ones reuse it; a heartbeat
// annotation shows the session is alive; close() deletes every pod it made.
import os from 'node:os'
import { performance } from 'node:perf_hooks'
import { canCloseStdin } from '../../kube/execproto.ts'
import type { Pod } from '../../kube/types.ts'
import { NodePodError, type NodePodApi, type NodePodPhase } from './api.ts'
import type { PodFacts } from './command.ts'
import { createRefusal, probePod, reviewAccess, sleep, waitRunning } from './manager-start.ts'
import { kubeletGone } from './diagnose.ts'
import type { CloseReport, NodePodRef, NodePodsOptions } from './manager-types.ts'
import { ANNOTATION, DEFAULT_DEADLINE_SECONDS, buildNodePod, checkNodePodOptions, newSessionId } from './spec.ts'

export type { CloseReport, NodePodRef, NodePodsOptions } from './manager-types.ts'

/** One session's node pods: created on first use per node, reused, heartbeated, deleted on close(). */
export class NodePods {
  readonly session: string
  readonly namespace: string
  private starting = new Map<string, Promise<NodePodRef>>()
  private made = new Map<string, { namespace: string; name: string; node: string }>()
  /** node → name of the pod that `starting` resolved to. */
  private current = new Map<string, string>()
  private missing = new Map<string, Set<string>>()
  /** Pods of a DaemonSet, handed in by adopt(): never deleted one by one (the DaemonSet would make them again). */
  private adopted = new Set<string>()
  private preflight?: Promise<void>
  private heartbeat?: NodeJS.Timeout
  private closing = new AbortController()
  private closed = false
  /** The exec subprotocol the server picked last (v5 closes stdin with CLOSE; v4 needs head -c). */
  protocol?: string

  constructor(
    readonly api: NodePodApi,
    readonly opts: NodePodsOptions = {},
  ) {
    this.session = opts.session ?? newSessionId()
    this.namespace = opts.namespace ?? 'kube-system'
    try {
      checkNodePodOptions('node', {
        ...opts,
        namespace: this.namespace,
        session: this.session,
        user: '',
        host: '',
        pid: 0,
        now: new Date(),
      })
    } catch (e) {
      throw new NodePodError('invalid', (e as Error).message.replace(/^buildNodePod: /, 'NodePods: '))
    }
    if (opts.startTimeoutMs !== undefined && !(opts.startTimeoutMs > 0))
      throw new NodePodError(
        'invalid',
        `NodePods: startTimeoutMs: expected a positive number of milliseconds, received ${JSON.stringify(opts.startTimeoutMs)}`,
      )
  }

  /** Whether stdin can be closed with v5's CLOSE frame (known after the first exec; false until then). */
  get canCloseStdin(): boolean {
    return this.protocol !== undefined && canCloseStdin(this.protocol)
  }

  /** Records the protocol an exec negotiated. */
  noteProtocol(p: string): void {
    if (p) this.protocol = p
  }

  /** Remembers that a node lacks a program (so 'auto' goes straight to the image's copy next time). */
  noteMissing(node: string, program: string): void {
    if (!this.missing.has(node)) this.missing.set(node, new Set())
    this.missing.get(node)!.add(program)
  }
  /** True when a node was seen to lack a program. */
  lacks(node: string, program: string): boolean {
    return this.missing.get(node)?.has(program) ?? false
  }

  /** Names of the pods this session made and has not deleted yet. */
  pods(): { node: string; namespace: string; name: string }[] {
    return [...this.made.values()]
  }

  /**
   * The node's pod, created on first use and reused after; one that would end within needMs is replaced.
   * Waits for Running with its own limit (startTimeoutMs), not the command's.
   */
  async ensure(node: string, o: { signal?: AbortSignal; needMs?: number } = {}, replaced = false): Promise<NodePodRef> {
    if (this.closed)
      throw new NodePodError('closed', 'the node pods of this session were closed', 'start a new session')
    let p = this.starting.get(node)
    if (!p) {
      const started = this.start(node)
      started.catch(() => this.starting.get(node) === started && this.starting.delete(node))
      this.starting.set(node, (p = started))
    }
    const ref = await raceAbort(p, o.signal)
    const need = (o.needMs ?? 0) + 10_000
    const fresh = (this.opts.deadlineSeconds ?? DEFAULT_DEADLINE_SECONDS) * 1000
    if (ref.deadlineAt - Date.now() > need || need >= fresh || replaced) return ref
    // It would reach its deadline during the command, and a new pod would not: replace it.
    if (this.starting.get(node) === p) this.starting.delete(node)
    void this.remove(ref.namespace, ref.name).catch(() => {})
    return this.ensure(node, o, true)
  }

  /**
   * Serves a node's commands from a pod made elsewhere (the session's DaemonSet) instead of creating one. A node
   * whose pod fails gets the failure on its commands; one whose pod ends later gets a node pod of its own.
   */
  adopt(node: string, ref: Promise<NodePodRef>): void {
    if (this.closed) return
    const p = ref.then((r) => {
      this.adopted.add(r.name)
      this.current.set(node, r.name)
      return r
    })
    p.catch(() => this.starting.get(node) === p && this.starting.delete(node))
    this.starting.set(node, p)
  }

  /** Drops a pod that is gone or has ended (deleting what is left of it, in the background); the next command makes a new one. */
  discard(ref: NodePodRef): void {
    if (this.current.get(ref.node) === ref.name) {
      this.starting.delete(ref.node)
      this.current.delete(ref.node)
    }
    void this.remove(ref.namespace, ref.name).catch(() => {})
  }

  private emit(p: Omit<NodePodPhase, 'elapsedMs'>, t0: number): void {
    try {
      this.opts.onPhase?.({ ...p, elapsedMs: performance.now() - t0 })
    } catch {
      /* a display callback must not break the transport */
    }
  }

  // Access review once per session (a failed one is asked again next time).
  private checkAccess(): Promise<void> {
    this.preflight ??= reviewAccess(this.api, this.namespace)
    this.preflight.catch(() => (this.preflight = undefined))
    return this.preflight
  }

  private async start(node: string): Promise<NodePodRef> {
    const t0 = performance.now()
    const ns = this.namespace
    this.emit({ node, phase: 'checking', namespace: ns }, t0)
    const [, nodeObj] = await Promise.all([this.checkAccess(), this.api.getNode(node).catch(() => null)])
    if (nodeObj === undefined)
      throw new NodePodError('node', `node "${node}" does not exist`, 'nodes() lists the nodes')
    const gone = kubeletGone(nodeObj, node)
    if (gone) throw gone
    const pod = buildNodePod(node, {
      namespace: ns,
      session: this.session,
      user: this.api.user,
      image: this.opts.image,
      imagePullSecrets: this.opts.imagePullSecrets,
      imagePullPolicy: this.opts.imagePullPolicy,
      deadlineSeconds: this.opts.deadlineSeconds,
      priorityClassName: this.opts.priorityClassName,
      resources: this.opts.resources,
      host: this.opts.host ?? os.hostname(),
      pid: this.opts.pid ?? process.pid,
      now: new Date(),
    })
    await this.opts.beforeCreate?.(node, pod)
    if (this.closed)
      throw new NodePodError('closed', 'the node pods of this session were closed', 'start a new session')
    const name = pod.metadata.name
    this.emit({ node, phase: 'creating', pod: name, namespace: ns }, t0)
    let created: Pod
    try {
      created = await this.api.createPod(pod)
    } catch (e) {
      throw await createRefusal(this.api, this.namespace, e)
    }
    const createdAt = Date.parse(created.metadata.creationTimestamp ?? '') || Date.now()
    this.made.set(name, { namespace: ns, name, node })
    this.startHeartbeat()
    try {
      await waitRunning(this.api, node, created, {
        limitMs: this.opts.startTimeoutMs ?? 60_000,
        signal: this.closing.signal,
        emit: (p) => this.emit(p, t0),
      })
      const facts = await this.probe(ns, name)
      this.emit({ node, phase: 'ready', pod: name, namespace: ns }, t0)
      this.current.set(node, name)
      return {
        node,
        namespace: ns,
        name,
        facts,
        deadlineAt: createdAt + (this.opts.deadlineSeconds ?? DEFAULT_DEADLINE_SECONDS) * 1000,
      }
    } catch (e) {
      this.emit({ node, phase: 'failed', pod: name, namespace: ns, detail: (e as Error).message }, t0)
      await this.remove(ns, name).catch(() => {})
      throw e
    }
  }

  /** Once per pod: where nsenter is and whose namespaces are the node's; also learns the exec protocol. */
  probe(ns: string, name: string): Promise<PodFacts> {
    return probePod(this.api, ns, name, this.opts.protocol, (p) => this.noteProtocol(p))
  }

  private startHeartbeat(): void {
    if (this.heartbeat || this.closed) return
    this.heartbeat = setInterval(() => void this.beat(), this.opts.heartbeatMs ?? 60_000)
    this.heartbeat.unref()
  }

  /** Renews the heartbeat annotation of every pod this session made (failures are ignored; gc reads the age). */
  async beat(): Promise<void> {
    const now = new Date().toISOString()
    await Promise.all(
      this.pods().map((p) =>
        this.api.annotatePod(p.namespace, p.name, { [ANNOTATION.heartbeat]: now }).catch(() => {}),
      ),
    )
  }

  // Deletes one pod and waits (bounded) until it is gone.
  private async remove(ns: string, name: string, waitMs = this.opts.deleteWaitMs ?? 15_000): Promise<void> {
    if (this.adopted.has(name)) return // its DaemonSet deletes it
    await this.api.deletePod(ns, name, 1)
    let end = performance.now() + waitMs
    let forced = false
    for (let d = 100; ; d = Math.min(d * 1.5, 500)) {
      if (!(await this.api.getPod(ns, name))) break
      if (performance.now() >= end) {
        if (forced) throw new Error(`still there after ${Math.round(waitMs / 1000)} s, and after a forced delete`)
        // Its kubelet did not confirm (a node that went down): delete the object now, as `kubectl delete --force`
        // does; a kubelet that comes back stops what is left of the pod.
        forced = true
        await this.api.deletePod(ns, name, 0)
        end = performance.now() + 5000
      }
      await sleep(d)
    }
    this.made.delete(name)
  }

  /** Deletes a node's pod now (the next command on the node makes a new one). */
  async release(node: string): Promise<void> {
    this.starting.delete(node)
    await Promise.all(
      this.pods()
        .filter((p) => p.node === node)
        .map((p) => this.remove(p.namespace, p.name)),
    )
  }

  /** Deletes every pod this session made and waits (bounded) until they are gone; later ensure() fails. */
  async close(): Promise<CloseReport> {
    this.closed = true
    this.closing.abort()
    clearInterval(this.heartbeat)
    await Promise.all([...this.starting.values()].map((p) => p.catch(() => {})))
    this.starting.clear()
    const report: CloseReport = { deleted: [], remaining: [] }
    await Promise.all(
      this.pods().map(async (p) => {
        try {
          await this.remove(p.namespace, p.name)
          report.deleted.push(p.name)
        } catch (e) {
          report.remaining.push({ name: p.name, namespace: p.namespace, why: (e as Error).message })
        }
      }),
    )
    return report
  }
}

function raceAbort<T>(p: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return p
  if (signal.aborted) return Promise.reject(signal.reason ?? new Error('aborted'))
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason ?? new Error('aborted'))
    signal.addEventListener('abort', onAbort, { once: true })
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort)
        resolve(v)
      },
      (e) => {
        signal.removeEventListener('abort', onAbort)
        reject(e)
      },
    )
  })
}
