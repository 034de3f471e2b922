// Kube: the Kubernetes API for the REPL. No I/O at construction; client-node is imported on the first call.
import { received } from '../errors.ts'
import { present } from '../present.ts'
import { checkOptions, KubeCore, LIST_OPTIONS, ONE_OPTIONS, type KubeOptions } from './client-core.ts'
import { KubeError } from './errors.ts'
import { loadKubeconfig, type LoadOptions } from './kubeconfig.ts'
import { asDescription, asUsageList } from './present.ts'
import { checkSort, nodeUsage, podUsage, type NodeUsage, type PodUsage, type TopSort } from './top.ts'
import { describeGeneric, describeNode, describePod, describeService } from './describe.ts'
import { BUILTIN_RESOURCES, parseName, parseSince, query, resourcePath, type ResourceInfo } from './resources.ts'
import type {
  Description,
  EndpointSlice,
  KubeEvent,
  KubeList,
  KubeObject,
  Lease,
  ListOptions,
  LogOptions,
  NameArg,
  Node,
  NodeMetrics,
  Pod,
  PodMetrics,
  Selector,
  Service,
} from './types.ts'

export type { KubeOptions } from './client-core.ts'

/** Options of top(): namespace/allNamespaces/selector as for pods(), kubectl top's --sort-by and --containers. */
export interface TopOptions extends ListOptions {
  selector?: Selector
  /** Descending by cpu or memory; default by name. */
  sortBy?: TopSort
  /** Print one row per container (the rows always carry .containers). */
  containers?: boolean
}

/** What events() accepts: an API object, {kind, name, namespace}, or "kind/name" / "kind/namespace/name". */
export type EventTarget = KubeObject | { kind: string; name: string; namespace?: string; uid?: string } | string

const R = (kind: string) => BUILTIN_RESOURCES.find((r) => r.kind === kind)!
const POD = R('Pod')
const SVC = R('Service')
const NODE = R('Node')
const EVENT = R('Event')
const SLICE = R('EndpointSlice')
const LEASE = R('Lease')
const METRICS = { group: 'metrics.k8s.io', version: 'v1beta1' }

/** The Kubernetes API of one kubeconfig context; methods are async and return plain API objects. */
export class Kube extends KubeCore {
  /** A Kube that loads the kubeconfig (kubectl's rules) on first use: no I/O now. */
  static fromKubeconfig(opts: LoadOptions & KubeOptions = {}): Kube {
    return new Kube(() => loadKubeconfig(opts), { namespace: opts.namespace, timeoutMs: opts.timeoutMs })
  }

  /** Pods in the namespace (or all with allNamespaces), optionally by label selector. */
  async pods(selector?: Selector, opts: ListOptions = {}): Promise<KubeList<Pod>> {
    checkOptions(opts, LIST_OPTIONS)
    return this.list<Pod>(POD, selector, opts)
  }
  /** One pod: "name" or "namespace/name". */
  async pod(name: NameArg, opts: { namespace?: string } = {}): Promise<Pod> {
    checkOptions(opts, ONE_OPTIONS)
    return this.one<Pod>(POD, name, opts)
  }
  /** Services in the namespace (or all), optionally by label selector. */
  async services(selector?: Selector, opts: ListOptions = {}): Promise<KubeList<Service>> {
    checkOptions(opts, LIST_OPTIONS)
    return this.list<Service>(SVC, selector, opts)
  }
  /** One service: "name" or "namespace/name". */
  async svc(name: NameArg, opts: { namespace?: string } = {}): Promise<Service> {
    checkOptions(opts, ONE_OPTIONS)
    return this.one<Service>(SVC, name, opts)
  }
  /** Nodes, optionally by label selector. */
  nodes(selector?: Selector): Promise<KubeList<Node>> {
    return this.list<Node>(NODE, selector)
  }
  /** One node. */
  node(name: NameArg): Promise<Node> {
    return this.one<Node>(NODE, name)
  }

  /** The EndpointSlices of a service (label kubernetes.io/service-name); notfound when the service does not exist. */
  async endpoints(svcName: NameArg, opts: { namespace?: string } = {}): Promise<KubeList<EndpointSlice>> {
    checkOptions(opts, ONE_OPTIONS)
    const p = parseName(svcName, 'svcName')
    const ns = p.namespace ?? opts.namespace ?? this.namespace
    const [, slices] = await Promise.all([
      this.svc(p.name, { namespace: ns }),
      this.list<EndpointSlice>(SLICE, { 'kubernetes.io/service-name': p.name }, { namespace: ns }),
    ])
    return slices
  }

  /** Events, oldest first: of one object (field selector involvedObject.*), else of the namespace (or all). */
  async events(target?: EventTarget, opts: ListOptions = {}): Promise<KubeList<KubeEvent>> {
    checkOptions(opts, LIST_OPTIONS)
    if (target === undefined) return this.list<KubeEvent>(EVENT, undefined, opts)
    const ref = await this.eventRef(target, opts.namespace)
    const f = [`involvedObject.kind=${ref.kind}`, `involvedObject.name=${ref.name}`]
    if (ref.namespace) f.push(`involvedObject.namespace=${ref.namespace}`)
    if (ref.uid) f.push(`involvedObject.uid=${ref.uid}`)
    if (opts.fieldSelector) f.push(opts.fieldSelector)
    return this.list<KubeEvent>(EVENT, undefined, {
      ...opts,
      namespace: ref.namespace,
      allNamespaces: !ref.namespace,
      fieldSelector: f.join(','),
    })
  }

  private async eventRef(
    t: EventTarget,
    nsOpt?: string,
  ): Promise<{ kind: string; name: string; namespace?: string; uid?: string }> {
    if (typeof t === 'string') {
      const parts = t.split('/')
      if (parts.length < 2 || parts.length > 3)
        throw new KubeError(
          'invalid',
          `target: expected "kind/name" or "kind/namespace/name", received ${JSON.stringify(t)}`,
          'or pass the object itself: events(await pod("web-..."))',
        )
      const res = await this.resource(parts[0])
      const p = parseName(parts.slice(1).join('/'), 'target')
      return {
        kind: res.kind,
        name: p.name,
        namespace: res.namespaced ? (p.namespace ?? nsOpt ?? this.namespace) : undefined,
      }
    }
    if (t && typeof t === 'object' && 'metadata' in t && t.metadata) {
      const o = t as KubeObject
      if (!o.kind)
        throw new KubeError('invalid', 'target: the object has no kind', 'pass {kind, name, namespace} or "kind/name"')
      const namespaced = o.kind !== 'Node' && o.metadata.namespace !== undefined
      return {
        kind: o.kind,
        name: o.metadata.name,
        namespace: namespaced ? o.metadata.namespace : undefined,
        uid: o.kind === 'Node' ? undefined : o.metadata.uid,
      }
    }
    if (t && typeof t === 'object' && typeof (t as any).kind === 'string' && typeof (t as any).name === 'string') {
      const r = t as { kind: string; name: string; namespace?: string; uid?: string }
      const res = await this.resource(r.kind)
      return {
        kind: res.kind,
        name: r.name,
        namespace: res.namespaced ? (r.namespace ?? nsOpt ?? this.namespace) : undefined,
        uid: r.uid,
      }
    }
    throw new KubeError(
      'invalid',
      `target: expected an API object, {kind, name, namespace} or "kind/name", received ${received(t)}`,
    )
  }

  /** Container logs as text (like kubectl logs). */
  async logs(pod: NameArg, opts: LogOptions = {}): Promise<string> {
    checkOptions(opts, ['container', 'previous', 'tail', 'since', 'timestamps', 'namespace', 'timeoutMs'])
    const p = parseName(pod, 'pod')
    const ns = p.namespace ?? opts.namespace ?? this.namespace
    if (opts.tail !== undefined && !(Number.isInteger(opts.tail) && opts.tail >= 0))
      throw new KubeError('invalid', `tail: expected a whole number of lines >= 0, received ${received(opts.tail)}`)
    const q = query({
      container: opts.container,
      previous: opts.previous === true,
      tailLines: opts.tail,
      sinceSeconds: opts.since === undefined ? undefined : parseSince(opts.since),
      timestamps: opts.timestamps === true,
    })
    const path = resourcePath(POD, ns, p.name, 'log') + q
    const r = await this.http.request(path, {
      accept: '*/*',
      timeoutMs: opts.timeoutMs ?? 60_000,
      object: { kind: 'Pod', name: p.name, namespace: ns },
    })
    return r.body
  }

  /** What kubectl describe shows, as data that prints like it: describe(obj), describe('pod/ns/name') or describe('pod', 'name'). */
  async describe(target: KubeObject | string, name?: NameArg): Promise<Description> {
    let kind: string
    let arg: NameArg
    if (typeof target === 'string') {
      if (name !== undefined) [kind, arg] = [target, name]
      else {
        const i = target.indexOf('/')
        if (i <= 0)
          throw new KubeError(
            'invalid',
            `target: expected "kind/name", "kind/namespace/name" or an object, received ${JSON.stringify(target)}`,
            "or describe('pod', 'name')",
          )
        ;[kind, arg] = [target.slice(0, i), target.slice(i + 1)]
      }
    } else if (target && typeof target === 'object' && target.metadata?.name && target.kind) {
      ;[kind, arg] = [target.kind, target]
    } else {
      throw new KubeError(
        'invalid',
        `target: expected an API object with kind and metadata.name, or "kind/name", received ${received(target)}`,
      )
    }
    const res = await this.resource(kind)
    const p = parseName(arg, 'name')
    const ns = res.namespaced ? (p.namespace ?? this.namespace) : undefined
    const evs = this.events({ kind: res.kind, name: p.name, namespace: ns })
    if (res.kind === 'Pod') {
      const [pod, events] = await Promise.all([this.pod({ metadata: { name: p.name, namespace: ns } }), evs])
      return asDescription(
        describePod(
          pod,
          events.filter((e) => !e.involvedObject.uid || e.involvedObject.uid === pod.metadata.uid),
        ),
      )
    }
    if (res.kind === 'Node') {
      const [node, lease, pods, events] = await Promise.all([
        this.node(p.name),
        this.one<Lease>(LEASE, { metadata: { name: p.name, namespace: 'kube-node-lease' } }).catch((e) => {
          if (e instanceof KubeError && e.kind === 'notfound') return undefined
          throw e
        }),
        this.pods(undefined, { allNamespaces: true, fieldSelector: `spec.nodeName=${p.name}` }),
        evs,
      ])
      return asDescription(describeNode(node, lease, pods, events))
    }
    if (res.kind === 'Service') {
      const [svc, slices, events] = await Promise.all([
        this.svc({ metadata: { name: p.name, namespace: ns } }),
        this.list<EndpointSlice>(SLICE, { 'kubernetes.io/service-name': p.name }, { namespace: ns }),
        evs,
      ])
      return asDescription(describeService(svc, slices, events))
    }
    const [obj, events] = await Promise.all([
      this.one<KubeObject>(res, { metadata: { name: p.name, namespace: ns } }),
      evs,
    ])
    return asDescription(describeGeneric(obj, events))
  }

  /**
   * CPU/memory from metrics.k8s.io, as kubectl top pod / top node computes it: pods sum their containers; nodes add
   * CPU% and MEMORY% of allocatable and list nodes without metrics as <unknown>. A clear error when metrics are not served.
   */
  async top(what: 'nodes', opts?: TopOptions): Promise<NodeUsage[]>
  async top(what?: 'pods', opts?: TopOptions): Promise<PodUsage[]>
  async top(what: 'pods' | 'nodes' = 'pods', opts: TopOptions = {}): Promise<PodUsage[] | NodeUsage[]> {
    if (what !== 'pods' && what !== 'nodes')
      throw new KubeError('invalid', `what: expected "pods" or "nodes", received ${received(what)}`)
    checkOptions(opts, [...LIST_OPTIONS, 'selector', 'sortBy', 'containers'])
    const sortBy = checkSort(opts.sortBy)
    const res: ResourceInfo = {
      ...METRICS,
      resource: what,
      kind: what === 'pods' ? 'PodMetrics' : 'NodeMetrics',
      namespaced: what === 'pods',
      aliases: [],
    }
    const metrics = this.list<PodMetrics | NodeMetrics>(res, opts.selector, opts).catch(async (e) => {
      if (e instanceof KubeError && (e.status === 404 || e.status === 503)) {
        const how =
          e.status === 404
            ? 'is not served by this cluster'
            : `is registered but not available (503)${await this.apiServiceWhy(`${METRICS.version}.${METRICS.group}`)}`
        const hint =
          e.status === 404
            ? 'install metrics-server; kubectl top needs it too'
            : 'fix metrics-server (kubectl -n kube-system get pods,endpoints metrics-server); kubectl top needs it too'
        throw new KubeError('unsupported', `the metrics API (metrics.k8s.io/v1beta1) ${how}`, hint, e, {
          server: this.server,
          status: e.status,
          path: e.path,
        })
      }
      throw e
    })
    const ctx = {
      namespace: opts.namespace ?? this.namespace,
      allNamespaces: opts.allNamespaces,
      containers: opts.containers,
    }
    if (what === 'pods')
      return asUsageList(podUsage((await metrics) as PodMetrics[], { sortBy, allNamespaces: opts.allNamespaces }), ctx)
    const [m, nodes] = await Promise.all([metrics, this.nodes(opts.selector)])
    return asUsageList(nodeUsage(m as NodeMetrics[], nodes, { sortBy }), ctx)
  }

  /** ": Available=False (Reason): message" of an APIService, or "" when it cannot be read (best effort, 3 s). */
  private async apiServiceWhy(name: string): Promise<string> {
    try {
      const a = await this.json<KubeObject>(`/apis/apiregistration.k8s.io/v1/apiservices/${name}`, { timeoutMs: 3000 })
      const c = (
        a.status?.conditions as { type: string; status: string; reason?: string; message?: string }[] | undefined
      )?.find((x) => x.type === 'Available')
      return c
        ? `: APIService ${name} Available=${c.status}${c.reason ? ` (${c.reason})` : ''}${c.message ? `: ${c.message}` : ''}`
        : ''
    } catch {
      return ''
    }
  }
}
// Prints a summary, never credentials: Kube { context, server, namespace }.
present(Kube.prototype, (k) => {
  try {
    return `Kube { context: ${k.context}, server: ${k.server}, namespace: ${k.namespace} }`
  } catch (e) {
    return `Kube { ${e instanceof KubeError ? e.message : 'kubeconfig not loadable'} }`
  }
})
