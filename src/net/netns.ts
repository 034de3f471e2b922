// enterNetns: run commands in a pod's network namespace from its node (nsenter -t PID -n), with the node's own tools.
import {
  checkRunOptions,
  checkTimeout,
  templateArgv,
  type ArgValue,
  type ExecPromise,
  type NodeHandle,
} from '../exec/node.ts'
import { ExecError, exitError, type ExecOutput, type RunOptions } from '../exec/types.ts'
import { present } from '../present.ts'
import { discoverPid } from './discover.ts'
import { cgroupMatchesPod, procCgroupArgv, type PidMethod } from './pid.ts'
import { checkEnterable, fetchPod, onNode, rootOn, type NetSession, type PodArg, type PodRef } from './pods.ts'
import { NETNS_INFO, type MethodAttempt, type NetnsInfo } from './types.ts'
import { received } from '../errors.ts'

export type { NetnsInfo } from './types.ts'

/** `nsenter -t PID -n -- argv`: argv runs in PID's network namespace with the node's filesystem and tools. */
export function nsenterArgv(pid: number, argv: readonly string[]): string[] {
  if (!Number.isInteger(pid) || pid <= 0)
    throw new TypeError(`nsenterArgv: pid must be a positive integer, received ${pid}`)
  return ['nsenter', '-t', String(pid), '-n', '--', ...argv]
}

/** True when nsenter failed because the PID is gone (container restarted, pod recreated). */
export function pidGone(r: Pick<ExecOutput, 'exitCode' | 'stderr'>): boolean {
  return r.exitCode !== 0 && /nsenter: .*(\/proc\/\d+\/ns\/net|No such process)/.test(r.stderr)
}

/** One cached PID: valid while the pod's running container IDs are the same and the PID still belongs to the pod. */
interface PidEntry {
  node: string
  ids: string
  pid: number
  method: PidMethod
  detail: string
  containerId?: string
  attempts: MethodAttempt[]
}

const caches = new WeakMap<object, Map<string, PidEntry>>()

/** The per-session PID cache, keyed by pod UID (bindNet is called per REPL call, so it cannot live in a closure). */
function cacheOf(session: object): Map<string, PidEntry> {
  let c = caches.get(session)
  if (!c) caches.set(session, (c = new Map()))
  return c
}

const idsKey = (ref: PodRef) => [...ref.runningIds].sort().join(',')

/** A cached entry if the container IDs did not change and the PID is still the pod's; else a fresh discovery. */
async function resolve(
  session: NetSession,
  ref: PodRef & { node: string },
  node: NodeHandle,
  force = false,
): Promise<PidEntry & { cached: boolean }> {
  const cache = cacheOf(session)
  const hit = cache.get(ref.uid)
  if (hit && !force && hit.node === ref.node && hit.ids === idsKey(ref)) {
    const r = await node.run(procCgroupArgv(hit.pid), { nothrow: true, timeoutMs: 15_000 })
    if (r.ok && cgroupMatchesPod(r.stdout, ref.uid)) return { ...hit, cached: true }
  }
  cache.delete(ref.uid)
  const f = await discoverPid(node, ref)
  const entry: PidEntry = {
    node: ref.node,
    ids: idsKey(ref),
    pid: f.pid,
    method: f.method,
    detail: f.detail,
    containerId: f.containerId,
    attempts: f.attempts,
  }
  cache.set(ref.uid, entry)
  return { ...entry, cached: false }
}

interface HandleState {
  session: NetSession
  ref: PodRef & { node: string }
  node: NodeHandle
  entry: PidEntry & { cached: boolean }
}

function execPromise(p: Promise<ExecOutput>): ExecPromise {
  return Object.assign(p, {
    json: <T>() => p.then((o) => o.json<T>()),
    text: () => p.then((o) => o.text()),
    lines: () => p.then((o) => o.lines()),
  })
}

/** A pod's network namespace: `$`, run(argv) and sh(script) run there from the node (works for distroless pods). */
export class NetnsHandle {
  /** Tagged template like node.$: each interpolated value is one argv word. */
  readonly $: (strings: TemplateStringsArray, ...values: ArgValue[]) => ExecPromise
  readonly #st: HandleState
  readonly #defaults: RunOptions

  constructor(st: HandleState, defaults: RunOptions = {}) {
    this.#st = st
    this.#defaults = defaults
    this.$ = (strings, ...values) => {
      if (!Array.isArray(strings) || !('raw' in strings))
        return execPromise(
          Promise.reject(
            new ExecError(
              'invalid',
              { target: `netns:${this.pod}` },
              'netns.$ is a tagged template: write h.$`ip -j addr`, or use h.run([...argv])',
            ),
          ),
        )
      try {
        return this.run(templateArgv(strings, values))
      } catch (e) {
        return execPromise(Promise.reject(e))
      }
    }
    Object.defineProperty(this, '$', { enumerable: false })
  }

  /** "namespace/name". */
  get pod(): string {
    return this.#st.ref.key
  }
  get namespace(): string {
    return this.#st.ref.namespace
  }
  get name(): string {
    return this.#st.ref.name
  }
  get uid(): string {
    return this.#st.ref.uid
  }
  /** The node the pod runs on (where the commands run). */
  get node(): string {
    return this.#st.ref.node
  }
  get podIP(): string | undefined {
    return this.#st.ref.podIP
  }
  /** The PID whose netns is entered. */
  get pid(): number {
    return this.#st.entry.pid
  }
  /** How the PID was found: crictl, docker or proc (a /proc/*\/cgroup scan). */
  get method(): PidMethod {
    return this.#st.entry.method
  }
  /** What identified the PID, e.g. "container 27c12e64f29d3 (crictl inspect)". */
  get detail(): string {
    return this.#st.entry.detail
  }
  get containerId(): string | undefined {
    return this.#st.entry.containerId
  }
  /** True when the PID came from the session's cache (checked against /proc/PID/cgroup). */
  get cached(): boolean {
    return this.#st.entry.cached
  }
  /** Every discovery try (empty when cached). */
  get attempts(): MethodAttempt[] {
    return this.#st.entry.cached ? [] : this.#st.entry.attempts
  }
  /** The node handle (root) the commands go through. */
  get nodeHandle(): NodeHandle {
    return this.#st.node
  }

  /** Runs argv in the netns; re-resolves the PID once if it is gone (restart) and runs again. */
  run(argv: readonly string[], opts: RunOptions = {}): ExecPromise {
    return execPromise(this.#run(argv, opts))
  }

  async #run(argv: readonly string[], opts: RunOptions): Promise<ExecOutput> {
    checkRunOptions(`netns:${this.pod}`, opts, 'run: opts')
    const o = { ...this.#defaults, ...opts }
    const go = () => this.#st.node.run(nsenterArgv(this.pid, argv), { ...o, nothrow: true })
    let r = await onNode(this.node, `running ${this.pod}`, go)
    if (pidGone(r)) {
      await this.refresh()
      r = await onNode(this.node, `running ${this.pod}`, go)
    }
    if (r.ok || o.nothrow) return r
    throw exitError(r)
  }

  /** Runs a POSIX script with the node's sh inside the netns; args become $1, $2, …. */
  sh(script: string, args: readonly string[] = [], opts: RunOptions = {}): ExecPromise {
    if (typeof script !== 'string')
      return execPromise(
        Promise.reject(
          new ExecError(
            'invalid',
            { target: `netns:${this.pod}` },
            `sh: expected the script as a string, received ${received(script)}`,
          ),
        ),
      )
    return this.run(['sh', '-s', '--', ...args], { ...opts, input: script })
  }

  /** A handle with more default options (shares the PID and its refreshes). */
  with(opts: RunOptions): NetnsHandle {
    checkRunOptions(`netns:${this.pod}`, opts, 'with')
    return new NetnsHandle(this.#st, { ...this.#defaults, ...opts })
  }
  /** A handle that returns non-zero exits instead of throwing. */
  nothrow(): NetnsHandle {
    return this.with({ nothrow: true })
  }
  /** A handle whose commands have this deadline. */
  timeout(ms: number): NetnsHandle {
    return this.with({ timeoutMs: checkTimeout(`netns:${this.pod}`, ms) })
  }

  /** Fetches the pod again and re-resolves the PID (after a restart or a reschedule). */
  async refresh(): Promise<this> {
    const st = this.#st
    const ref = await fetchPod(st.session, { namespace: st.ref.namespace, name: st.ref.name })
    checkEnterable(ref)
    const node = ref.node === st.ref.node ? st.node : rootOn(st.session, ref.node)
    st.entry = await onNode(ref.node, `where ${ref.key} runs`, () => resolve(st.session, ref, node, true))
    st.ref = ref
    st.node = node
    return this
  }

  /** Plain data (JSON, q()). */
  toJSON(): NetnsInfo {
    return {
      pod: this.pod,
      namespace: this.namespace,
      name: this.name,
      uid: this.uid,
      node: this.node,
      podIP: this.podIP,
      pid: this.pid,
      method: this.method,
      detail: this.detail,
      containerId: this.containerId,
      cached: this.cached,
      attempts: this.attempts,
    }
  }
}
// Prints like enterNetns' table: what the handle points at and how the PID was found.
present(NetnsHandle.prototype, (h, o) => NETNS_INFO.text(h.toJSON(), o))

/** Enters a pod's network namespace: finds a PID of the pod on its node (crictl, docker, /proc) and returns a handle. */
export async function enterNetns(session: NetSession, pod: PodArg): Promise<NetnsHandle> {
  const ref = await fetchPod(session, pod)
  checkEnterable(ref)
  const node = rootOn(session, ref.node)
  const entry = await onNode(ref.node, `where ${ref.key} runs`, () => resolve(session, ref, node))
  return new NetnsHandle({ session, ref, node, entry })
}
