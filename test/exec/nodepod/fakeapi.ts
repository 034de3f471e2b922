// A scripted NodePodApi for unit tests of the lifecycle and the transport: pods in memory that become Running
// after a few reads, recorded calls, and exec answers from a test-supplied function.
import type { NodePodApi } from '../../../src/exec/nodepod/api.ts'
import type { ExecRequest, ExecStreamResult } from '../../../src/kube/exec.ts'
import { KubeError } from '../../../src/kube/errors.ts'
import type { KubeEvent, KubeObject, Node, Pod } from '../../../src/kube/types.ts'

/** One exec the fake answered. */
export interface ExecCall extends ExecRequest {
  /** The wrapped command's argv after the wrapper's six fixed words, or the script kind. */
  kind: 'probe' | 'wrapped' | 'kill' | 'agent' | 'rescue'
}

const RUNNING = {
  phase: 'Running',
  containerStatuses: [
    {
      name: 'node',
      ready: true,
      restartCount: 0,
      image: 'x',
      state: { running: { startedAt: '2025-11-29T08:00:01Z' } },
    },
  ],
}

/** Exec answer helper. */
export function answer(
  o: Partial<Omit<ExecStreamResult, 'stdout' | 'stderr'>> & {
    exitCode?: number | null
    stdout?: Buffer | string
    stderr?: Buffer | string
  },
): ExecStreamResult {
  const { exitCode = 0, ...rest } = o
  return {
    protocol: 'v5.channel.k8s.io',
    aborted: false,
    durationMs: 1,
    status: exitCode === null ? undefined : { exitCode, status: exitCode === 0 ? 'Success' : 'Failure' },
    ...rest,
    stdout: Buffer.from(o.stdout ?? ''),
    stderr: Buffer.from(o.stderr ?? ''),
  } as ExecStreamResult
}

export class FakeNodePodApi implements NodePodApi {
  user = 'tester'
  pods = new Map<string, Pod>()
  calls: string[] = []
  execs: ExecCall[] = []
  /** Reads of a new pod before it is Running. */
  readsToRun = 2
  /** Status a new pod shows instead of becoming Running. */
  stuckStatus?: Pod['status']
  /** Thrown by createPod. */
  createError?: unknown
  denied = new Set<string>()
  nodes = new Set(['lab-1', 'lab-2'])
  /** Nodes whose kubelet stopped posting its status (Ready=Unknown). */
  kubeletStopped = new Set<string>()
  /** Pods whose deletion no kubelet confirms: they stay, Terminating, until deleted with grace 0. */
  unconfirmed = new Set<string>()
  namespaces: KubeObject[] = [{ metadata: { name: 'kube-system' } }]
  /** Age given to the next created pod (its creationTimestamp lies this far back). */
  createdAgoMs = 0
  probeAnswer = 'nsenter=/usr/bin/nsenter\ntarget=1\n'
  protocol = 'v5.channel.k8s.io'
  /** Answers wrapped commands: argv is the caller's. */
  onExec: (argv: string[], req: ExecRequest) => Promise<ExecStreamResult> | ExecStreamResult = () => answer({})
  /** Serves agent and rescue execs (e.g. with this machine's shells, localexec.ts); by default an agent cannot start. */
  onAgent: (req: ExecRequest) => Promise<ExecStreamResult> | ExecStreamResult = () =>
    answer({ exitCode: 125, stderr: 'kinspect: no agent in this fake\n' })
  /** Serves kill execs; by default "stopped 3". */
  onKill: (req: ExecRequest) => Promise<ExecStreamResult> | ExecStreamResult = () =>
    answer({ stdout: 'stopped 3\n', protocol: this.protocol })
  private reads = new Map<string, number>()

  async createPod(pod: Pod): Promise<Pod> {
    this.calls.push(`create ${pod.metadata.name}`)
    if (this.createError) throw this.createError
    const p: Pod = structuredClone(pod)
    p.metadata.creationTimestamp = new Date(Date.now() - this.createdAgoMs).toISOString()
    this.createdAgoMs = 0
    p.status = { phase: 'Pending' }
    this.pods.set(pod.metadata.name, p)
    return structuredClone(p)
  }
  async getPod(_ns: string, name: string): Promise<Pod | undefined> {
    const p = this.pods.get(name)
    if (!p) return undefined
    const n = (this.reads.get(name) ?? 0) + 1
    this.reads.set(name, n)
    if (this.stuckStatus) p.status = structuredClone(this.stuckStatus)
    else if (n >= this.readsToRun && !p.metadata.deletionTimestamp) p.status = structuredClone(RUNNING)
    if (p.metadata.deletionTimestamp && !this.unconfirmed.has(name)) this.pods.delete(name) // gone on the read after the delete
    return structuredClone(p)
  }
  async deletePod(_ns: string, name: string, grace?: number): Promise<void> {
    this.calls.push(`delete ${name}${grace === 0 ? ' grace=0' : ''}`)
    const p = this.pods.get(name)
    if (p) p.metadata.deletionTimestamp = new Date().toISOString()
    if (grace === 0) this.pods.delete(name)
  }
  async listPods(): Promise<Pod[]> {
    return [...this.pods.values()]
  }
  async annotatePod(_ns: string, name: string, a: Record<string, string>): Promise<void> {
    this.calls.push(`annotate ${name} ${Object.keys(a).join(',')}`)
    const p = this.pods.get(name)
    if (p) Object.assign(p.metadata.annotations!, a)
  }
  async podEvents(): Promise<KubeEvent[]> {
    return []
  }
  async getNode(name: string): Promise<Node | undefined> {
    if (!this.nodes.has(name)) return undefined
    const ready = this.kubeletStopped.has(name)
      ? {
          type: 'Ready',
          status: 'Unknown',
          reason: 'NodeStatusUnknown',
          message: 'Kubelet stopped posting node status.',
        }
      : { type: 'Ready', status: 'True' }
    return { metadata: { name }, status: { conditions: [ready] } }
  }
  async getNamespace(name: string): Promise<KubeObject | undefined> {
    return this.namespaces.find((n) => n.metadata.name === name)
  }
  async listNamespaces(): Promise<KubeObject[]> {
    return this.namespaces
  }
  async limitRanges(): Promise<string[]> {
    return []
  }
  /** The identity the fake server reports. */
  identity = 'tester'
  async whoami(): Promise<string> {
    return this.identity
  }
  async canI(verb: string, resource: string, sub: string | undefined): Promise<boolean> {
    this.calls.push(`can-i ${verb} ${resource}${sub ? `/${sub}` : ''}`)
    return !this.denied.has(`${verb} ${resource}${sub ? `/${sub}` : ''}`)
  }
  async exec(req: ExecRequest): Promise<ExecStreamResult> {
    if (!this.pods.has(req.pod))
      throw new KubeError('notfound', `pod "${req.pod}" not found`, undefined, undefined, { status: 404 })
    const script = req.command[2] ?? ''
    const kind = script.includes('command -v nsenter')
      ? 'probe'
      : req.command[3] === 'kinspect-agent'
        ? 'agent'
        : req.command[3] === 'kinspect-rescue'
          ? 'rescue'
          : script.includes(': >$d/$t.stop')
            ? 'kill'
            : 'wrapped'
    this.execs.push({ ...req, kind })
    if (kind === 'probe') return answer({ stdout: this.probeAnswer, protocol: this.protocol })
    if (kind === 'kill') return this.onKill(req)
    if (kind === 'agent' || kind === 'rescue') return this.onAgent(req)
    const r = await this.onExec(req.command.slice(10), req)
    return { ...r, protocol: r.protocol ?? this.protocol }
  }
}
