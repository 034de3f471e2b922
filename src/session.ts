// Session: the context, namespace, config, a lazy Kube client and the node registry of one shell.
import type { KinspectConfig } from './config.ts'
import type { NameKind, SessionApi } from './session-api.ts'
import { defaultConfig, nodesToSshConfig, ruleMatches } from './config.ts'
import { oneLineReason } from './kube/errors.ts'
import type { Kube, KubeconfigInfo, LoadOptions } from './kube/index.ts'
import type { NodeHandle, SshPool } from './exec/index.ts'
import type { CloseReport, GcResult } from './exec/nodepod/index.ts'
import { AccessHooks } from './access/hooks.ts'
import type { AccessPlanEntry, FleetBegin, FleetPlan, NodeAccess } from './access/index.ts'
import { received } from './errors.ts'
import { isDnsLabel } from './names.ts'
import { ShellError } from './repl/errors.ts'

type KubeModule = typeof import('./kube/index.ts')
type ExecModule = typeof import('./exec/index.ts')
type AccessModule = typeof import('./access/index.ts')
type KubeconfigModule = Pick<KubeModule, 'loadKubeconfig' | 'listContexts'>

export type { KubeApi, NameKind, SessionApi } from './session-api.ts'

/** How to start a session: command-line overrides, config, environment. */
export interface SessionOptions {
  context?: string
  namespace?: string
  kubeconfig?: string
  config?: KinspectConfig
  env?: Record<string, string | undefined>
}

function nameOf(o: unknown): string | undefined {
  const x = o as { metadata?: { name?: unknown }; name?: unknown } | null
  const n = x?.metadata?.name ?? x?.name
  return typeof n === 'string' ? n : undefined
}

/** One shell session. Session.create reads the kubeconfig (no network); load() brings in the client modules. */
export class Session implements SessionApi {
  private kubeMod?: KubeModule
  private execMod?: ExecModule
  private accessMod?: AccessModule
  /** --yes, the consent question, node pod phase listeners (set by the shell). */
  readonly access = new AccessHooks()
  #abort = new AbortController()
  #accesses = new Map<string, NodeAccess>()
  #closing?: Promise<CloseReport>
  #loading?: Promise<void>
  readonly config: KinspectConfig
  #context: string
  #namespace: string
  #info?: KubeconfigInfo
  #loadError?: Error
  #status?: string
  #kube?: Kube
  #pool?: SshPool
  #nodes = new Map<string, NodeHandle>()
  #opts: SessionOptions

  private constructor(
    private kubeconfigMod: KubeconfigModule,
    opts: SessionOptions,
  ) {
    this.#opts = opts
    this.config = opts.config ?? defaultConfig()
    const context = opts.context ?? this.config.context
    const namespace = opts.namespace ?? this.config.namespace
    try {
      this.#info = kubeconfigMod.loadKubeconfig(this.#loadOptions({ context, namespace }))
    } catch (e) {
      this.#loadError = e as Error
      this.#status = oneLineReason(e)
    }
    this.#context = this.#info?.currentContext ?? context ?? ''
    this.#namespace = this.#info?.namespace ?? namespace ?? 'default'
  }

  /**
   * Reads the kubeconfig; never fails on a missing or broken one (see status). Only the kubeconfig loader
   * is imported here: the client and transport modules cost start-up time and come with load().
   */
  static async create(opts: SessionOptions = {}): Promise<Session> {
    return new Session(await import('./kube/kubeconfig.ts'), opts)
  }

  /** Imports the Kube client and the exec transports once; cheap after the first call. */
  load(): Promise<void> {
    this.#loading ??= Promise.all([
      import('./kube/index.ts'),
      import('./exec/index.ts'),
      import('./access/index.ts'),
    ]).then(([k, e, a]) => {
      this.kubeMod = k
      this.execMod = e
      this.accessMod = a
    })
    return this.#loading
  }

  #modules(): { kubeMod: KubeModule; execMod: ExecModule; accessMod: AccessModule } {
    if (!this.kubeMod || !this.execMod || !this.accessMod)
      throw new ShellError(
        'unavailable',
        'the cluster client is still loading',
        'await session.load() first (the shell does this before running your input)',
      )
    return { kubeMod: this.kubeMod, execMod: this.execMod, accessMod: this.accessMod }
  }

  #loadOptions(o: { context?: string; namespace?: string }): LoadOptions {
    return { kubeconfig: this.#opts.kubeconfig, env: this.#opts.env, context: o.context, namespace: o.namespace }
  }

  get context(): string {
    return this.#context
  }
  get namespace(): string {
    return this.#namespace
  }
  get status(): string | undefined {
    return this.#status
  }
  /** The selected kubeconfig entries (undefined when loading failed). */
  get kubeconfig(): KubeconfigInfo | undefined {
    return this.#info
  }

  get kube(): Kube {
    if (!this.#info) throw this.#loadError ?? new ShellError('unavailable', 'no kubeconfig is loaded')
    this.#kube ??= new (this.#modules().kubeMod.Kube)(this.#info, { namespace: this.#namespace })
    return this.#kube
  }

  contexts(): string[] {
    if (this.#info) return this.#info.contexts.map((c) => c.name)
    return this.kubeconfigMod.listContexts(this.#loadOptions({}))
  }

  /** Switches context (reads the kubeconfig again; the namespace becomes the context's). */
  setContext(name: string): void {
    if (typeof name !== 'string' || name === '')
      throw new ShellError('usage', `context: expected a context name, received ${received(name)}`, 'usage: .ctx NAME')
    const known = this.contexts()
    if (!known.includes(name))
      throw new ShellError(
        'notfound',
        `context "${name}" does not exist`,
        known.length ? `contexts: ${known.join(', ')}` : 'the kubeconfig defines no contexts',
      )
    const info = this.kubeconfigMod.loadKubeconfig(this.#loadOptions({ context: name }))
    this.#info = info
    this.#loadError = undefined
    this.#status = undefined
    this.#context = info.currentContext
    this.#namespace = info.namespace
    this.#kube = undefined
    this.#nodes.clear() // node names belong to a cluster; the old cluster's pods stay until close()
  }

  /** Switches namespace (no network; a missing namespace shows on the next call). */
  setNamespace(ns: string): void {
    if (!isDnsLabel(ns))
      throw new ShellError(
        'usage',
        `namespace: expected a namespace name (lowercase letters, digits and -), received ${received(ns)}`,
        'usage: .ns NAME',
      )
    this.#namespace = ns
    this.#kube = undefined
  }

  /**
   * Checks the API server (GET /version) and returns why it cannot be used, or undefined. The REPL's check runs in
   * the background, so it waits 10 s: a slow but working server (a loaded control plane, a first TLS handshake) is
   * not reported as down; a refused or unresolvable one fails at once.
   */
  async ping(opts: { timeoutMs?: number } = {}): Promise<string | undefined> {
    if (!this.#info) return this.#status
    await this.load()
    const kube = this.kube
    try {
      const r = await kube.ping({ timeoutMs: opts.timeoutMs ?? 10_000 })
      if (kube === this.#kube) this.#status = r.ok ? undefined : r.reason
    } catch (e) {
      if (kube === this.#kube) this.#status = oneLineReason(e)
    }
    return this.#status
  }

  async names(kind: NameKind): Promise<string[]> {
    if (kind === 'context') return this.contexts()
    await this.load()
    const k = this.kube
    let list: unknown
    if (kind === 'pod') list = await k.pods()
    else if (kind === 'service') list = await k.services()
    else if (kind === 'node') list = await k.nodes()
    else list = await k.get('namespaces')
    if (!Array.isArray(list)) return []
    const names = list.map(nameOf).filter((n): n is string => Boolean(n))
    return [...new Set(names)].sort()
  }

  /** Environment of the SSH transport: the config's ssh files unless KINSPECT_SSH_CONFIG/KINSPECT_KNOWN_HOSTS are set. */
  sshEnv(): Record<string, string | undefined> {
    const env = this.#opts.env ?? process.env
    return {
      ...env,
      KINSPECT_SSH_CONFIG: env.KINSPECT_SSH_CONFIG || this.config.ssh.configFile,
      KINSPECT_KNOWN_HOSTS: env.KINSPECT_KNOWN_HOSTS || this.config.ssh.knownHostsFile,
    }
  }

  #sshPool(): SshPool {
    if (!this.#pool) {
      const env = this.sshEnv()
      // The .recipes node rules come first as ssh_config Host blocks, then the ssh config files.
      const { execMod } = this.#modules()
      const configs = [
        {
          text: nodesToSshConfig(this.config.nodes, this.config.file),
          path: `${this.config.file ?? '.recipes'} (nodes)`,
          kind: 'user' as const,
        },
        ...execMod.loadConfigTexts({ env }),
      ]
      this.#pool = new execMod.SshPool({ env, configs, maxConnecting: this.config.fleet?.connectsPerHost })
    }
    return this.#pool
  }

  /** The abort signal every command gets unless it was given one (interrupt() aborts it). */
  get signal(): AbortSignal {
    return this.#abort.signal
  }

  /** Aborts every command in flight (their remote processes are stopped); with renew (default) later commands run. */
  interrupt(o: { renew?: boolean } = {}): void {
    const ac = this.#abort
    if (o.renew !== false) this.#abort = new AbortController()
    ac.abort(new Error('interrupted'))
  }

  // The node access of the current context (made on first use; pods belong to the cluster that made them).
  #access(): NodeAccess {
    const key = this.#context
    let a = this.#accesses.get(key)
    if (!a) {
      const { accessMod, kubeMod } = this.#modules()
      const kube = () => this.kube
      a = new accessMod.NodeAccess({
        rules: this.config.nodeAccess,
        sshRules: this.config.nodes,
        env: this.#opts.env ?? process.env,
        hooks: this.access,
        ssh: () => this.#sshPool(),
        api: () => kubeMod.kubeNodePodApi(kube()),
        signal: () => this.#abort.signal,
      })
      this.#accesses.set(key, a)
    }
    return a
  }

  nodeVia(name: string): NodeHandle['via'] {
    return this.#nodes.get(name)?.via ?? this.#accesses.get(this.#context)?.via(name)
  }

  node(name: string): NodeHandle {
    if (typeof name !== 'string' || name === '')
      throw new ShellError(
        'usage',
        `node: expected a node name, received ${received(name)}`,
        "node('local') is this machine; nodes() lists the cluster's",
      )
    let h = this.#nodes.get(name)
    if (!h) {
      const { execMod, accessMod } = this.#modules()
      const exec =
        name === 'local'
          ? accessMod.withSignal(new execMod.LocalExec(), () => this.#abort.signal)
          : this.#access().exec(name)
      h = new execMod.NodeHandle(exec)
      if (name !== 'local' && this.config.nodes.find((r) => ruleMatches(r, name) && r.sudo !== undefined)?.sudo)
        h = h.sudo
      this.#nodes.set(name, h)
    }
    return h
  }

  /** Lists kinspect's node pods in the cluster and deletes the leftovers (this session's are kept); dryRun only lists. */
  async gc(o: { dryRun?: boolean } = {}): Promise<GcResult> {
    await this.load()
    return this.#access().gc(o)
  }

  /** What each node would use (SSH or a node pod), without connecting or creating anything. */
  async nodeAccessPlan(nodes: readonly string[]): Promise<AccessPlanEntry[]> {
    await this.load()
    return this.#access().plan(nodes)
  }

  /** What prepareFleet would do, creating nothing (kinspect fleet --dry-run). */
  async fleetPlan(nodes: readonly string[]): Promise<FleetPlan> {
    await this.load()
    return this.#access().fleetPlan(
      nodes.filter((n) => n !== 'local'),
      this.config.fleet?.daemonSetAbove,
    )
  }

  /** Before a fleet: one DaemonSet for its nodes without SSH when there are more than fleet.daemonSetAbove (default 10). */
  prepareFleet(nodes: readonly string[]): FleetBegin {
    const begun = this.load().then(() =>
      this.#closing
        ? undefined
        : this.#access().beginFleet(
            nodes.filter((n) => n !== 'local'),
            this.config.fleet?.daemonSetAbove,
          ),
    )
    begun.catch(() => {})
    return {
      ready: (node) => begun.then((b) => b?.ready(node)).catch(() => {}),
      done: begun.then((b) => b?.done ?? { daemonSets: [], failed: [] }),
    }
  }

  /**
   * The one cleanup path: aborts what runs, deletes the session's node pods (bounded wait), closes SSH connections (if
   * `exiting`, the process ends next: without waiting for sshd's answer to the disconnect) and the cluster client.
   * Idempotent: every call gets the same report of deleted and remaining pods.
   */
  shutdown(o: { exiting?: boolean } = {}): Promise<CloseReport> {
    this.#closing ??= (async () => {
      this.interrupt({ renew: false })
      this.#nodes.clear()
      // the aborted commands stop their remote processes through the connections and pods closed below
      await Promise.all([...this.#accesses.values()].map((a) => a.settle()))
      const reports = await Promise.all([...this.#accesses.values()].map((a) => a.close()))
      const pool = this.#pool
      this.#pool = undefined
      await pool?.close(o.exiting ? 0 : undefined).catch(() => {})
      this.#kube?.close()
      this.#kube = undefined
      return { deleted: reports.flatMap((r) => r.deleted), remaining: reports.flatMap((r) => r.remaining) }
    })()
    return this.#closing
  }

  /** Ends the session (shutdown() without its report). */
  async close(): Promise<void> {
    await this.shutdown()
  }
}
