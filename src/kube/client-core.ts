// KubeCore, the plumbing under Kube: the kubeconfig selection, the default namespace, the HTTP transport, raw calls,
// list/get of any resource and kind resolution. No I/O at construction; client-node is imported on the first call.
import { optionsProblem, received } from '../errors.ts'
import { isDnsLabel } from '../names.ts'
import type { KubeConfig } from '@kubernetes/client-node'
import { KubeError, oneLineReason } from './errors.ts'
import type { KubeconfigInfo } from './kubeconfig.ts'
import { Transport, type RequestOptions } from './transport.ts'
import { execStream, type ExecRequest, type ExecStreamResult } from './exec.ts'
import { asList, asObject } from './present.ts'
import { sortEvents } from './status.ts'
import {
  BUILTIN_RESOURCES,
  apiVersionOf,
  discoverResources,
  findResource,
  parseName,
  query,
  resourcePath,
  selectorString,
  type ResourceInfo,
} from './resources.ts'
import type { KubeEvent, KubeList, KubeObject, ListOptions, NameArg, PingResult, Selector } from './types.ts'

/** Options of a Kube instance. */
export interface KubeOptions {
  /** Default namespace of calls (else the kubeconfig's). */
  namespace?: string
  /** Default request timeout in ms (30000). */
  timeoutMs?: number
}

const EVENT = BUILTIN_RESOURCES.find((r) => r.kind === 'Event')!

/** What every Kube call goes through: kubeconfig, namespace, transport, raw requests, list/get by resource type. */
/** The options a list call takes (pods, services, events, get). */
export const LIST_OPTIONS = ['namespace', 'allNamespaces', 'fieldSelector', 'timeoutMs'] as const
/** The options a one-object call takes (pod, svc, endpoints). */
export const ONE_OPTIONS = ['namespace', 'timeoutMs'] as const

/** Throws KubeError invalid for options that are not an object or hold a key that is none of `known`. */
export function checkOptions(opts: unknown, known: readonly string[], what = 'opts'): void {
  const problem = optionsProblem(opts, known, what)
  if (problem) throw new KubeError('invalid', problem)
}

export class KubeCore {
  private _info?: KubeconfigInfo
  private _ns?: string
  private _http?: Transport
  private _resources?: Promise<ResourceInfo[]>
  private timeoutMs: number
  constructor(
    private source: KubeconfigInfo | (() => KubeconfigInfo),
    opts: KubeOptions = {},
  ) {
    if (
      typeof source !== 'function' &&
      (!source || typeof source !== 'object' || typeof (source as KubeconfigInfo).server !== 'string')
    ) {
      throw new KubeError(
        'invalid',
        `Kube: expected a KubeconfigInfo (from loadKubeconfig()) or a function returning one, received ${received(source)}`,
      )
    }
    if (opts.namespace !== undefined) this.namespace = opts.namespace
    this.timeoutMs = opts.timeoutMs ?? 30_000
  }

  /** The kubeconfig selection (loaded on first access when constructed with a function). */
  get info(): KubeconfigInfo {
    if (!this._info) this._info = typeof this.source === 'function' ? this.source() : this.source
    return this._info
  }
  /** Default namespace of calls. */
  get namespace(): string {
    return this._ns ?? this.info.namespace
  }
  set namespace(ns: string) {
    if (!isDnsLabel(ns))
      throw new KubeError('invalid', `namespace: expected a namespace name, received ${received(ns)}`)
    this._ns = ns
  }
  /** Selected context name. */
  get context(): string {
    return this.info.currentContext
  }
  /** API server URL. */
  get server(): string {
    return this.info.server
  }

  protected get http(): Transport {
    return (this._http ??= new Transport(this.info, this.timeoutMs))
  }

  /** client-node's KubeConfig for this context (for exec/attach/port-forward); imports client-node. */
  kubeConfig(): Promise<KubeConfig> {
    return this.http.kubeConfig()
  }

  protected async json<T>(path: string, opts: RequestOptions = {}): Promise<T> {
    const r = await this.http.request(path, opts)
    try {
      return JSON.parse(r.body) as T
    } catch (e) {
      throw new KubeError(
        'parse',
        `the answer to GET ${path} is not JSON: ${r.body.slice(0, 80)}`,
        'is the server URL an API server?',
        e,
        { server: this.server, path },
      )
    }
  }

  /** GET any API path; JSON is parsed, anything else returned as text. */
  async raw(path: string, opts: { timeoutMs?: number; accept?: string } = {}): Promise<any> {
    if (typeof path !== 'string' || !path.startsWith('/'))
      throw new KubeError('invalid', `path: expected an API path starting with "/", received ${received(path)}`)
    const r = await this.http.request(path, {
      timeoutMs: opts.timeoutMs,
      accept: opts.accept ?? 'application/json, */*',
    })
    try {
      return JSON.parse(r.body)
    } catch {
      return r.body
    }
  }

  /**
   * Any API call with a JSON body (POST/PUT/PATCH/DELETE, or GET): the answer parsed, or its text. For kinspect's own
   * writes (node pods, access reviews); errors are KubeErrors naming `object` when given.
   */
  async request<T = any>(
    method: string,
    path: string,
    opts: { body?: unknown; contentType?: string; timeoutMs?: number; object?: RequestOptions['object'] } = {},
  ): Promise<T> {
    if (typeof path !== 'string' || !path.startsWith('/'))
      throw new KubeError('invalid', `path: expected an API path starting with "/", received ${JSON.stringify(path)}`)
    const body =
      opts.body === undefined ? undefined : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body)
    const r = await this.http.request(path, {
      method,
      body,
      contentType: opts.contentType,
      timeoutMs: opts.timeoutMs,
      object: opts.object,
    })
    try {
      return JSON.parse(r.body) as T
    } catch {
      return r.body as T
    }
  }

  /** Runs a command in a pod over the exec WebSocket (see ExecRequest); output is collected, not streamed. */
  async exec(req: ExecRequest): Promise<ExecStreamResult> {
    return execStream(await this.http.upgrade(), req)
  }

  protected async list<T extends KubeObject>(
    res: ResourceInfo,
    selector: Selector | undefined,
    opts: ListOptions = {},
  ): Promise<KubeList<T>> {
    const all = opts.allNamespaces === true || !res.namespaced
    const ns = res.namespaced ? (opts.namespace ?? this.namespace) : undefined
    const q = query({ labelSelector: selectorString(selector), fieldSelector: opts.fieldSelector })
    const l = await this.json<{ items?: T[] }>(resourcePath(res, all ? undefined : ns) + q, {
      timeoutMs: opts.timeoutMs,
      object: { kind: res.kind, namespace: all ? undefined : ns },
    })
    const items = res === EVENT ? sortEvents((l.items ?? []) as unknown as KubeEvent[]) : (l.items ?? [])
    return asList(items as T[], res.kind, apiVersionOf(res), {
      namespace: ns,
      allNamespaces: opts.allNamespaces === true && res.namespaced,
    })
  }

  protected async one<T extends KubeObject>(
    res: ResourceInfo,
    arg: NameArg,
    opts: { namespace?: string; timeoutMs?: number } = {},
    argName = 'name',
  ): Promise<T> {
    const p = parseName(arg, argName)
    const ns = res.namespaced ? (p.namespace ?? opts.namespace ?? this.namespace) : undefined
    const o = await this.json<T>(resourcePath(res, ns, p.name), {
      timeoutMs: opts.timeoutMs,
      object: { kind: res.kind, name: p.name, namespace: ns },
    })
    return asObject(o)
  }

  /** Resolves a kind ("po", "deploy", "Deployment", "deployments.apps") via the built-in table, then discovery. */
  async resource(kind: string): Promise<ResourceInfo> {
    if (typeof kind !== 'string' || kind.trim() === '')
      throw new KubeError(
        'invalid',
        `kind: expected a resource type like "pods" or "deploy", received ${received(kind)}`,
      )
    const hit = findResource(kind, BUILTIN_RESOURCES)
    if (hit) return hit
    this._resources ??= discoverResources((path, accept) => this.json(path, { accept, timeoutMs: 15_000 }))
    this._resources.catch(() => (this._resources = undefined))
    const found = findResource(kind, await this._resources)
    if (!found)
      throw new KubeError(
        'invalid',
        `kind: the server has no resource type "${kind}"`,
        'kubectl api-resources lists them (e.g. pods, svc, deploy, cm)',
      )
    return found
  }

  /** Generic get: one object by name, or the list (by selector) when name is omitted. */
  async get(
    kind: string,
    name?: NameArg,
    opts: ListOptions & { selector?: Selector } = {},
  ): Promise<KubeObject | KubeList<KubeObject>> {
    checkOptions(opts, [...LIST_OPTIONS, 'selector'])
    const res = await this.resource(kind)
    if (name === undefined) return this.list<KubeObject>(res, opts.selector, opts)
    return this.one<KubeObject>(res, name, opts)
  }

  /** GET /version with a short timeout: {ok, version} or {ok: false, reason} (one line); never throws. */
  async ping(opts: { timeoutMs?: number } = {}): Promise<PingResult> {
    const t0 = performance.now()
    let server: string | undefined
    try {
      server = this.info.server
      const v = await this.json<{ gitVersion?: string }>('/version', { timeoutMs: opts.timeoutMs ?? 3000 })
      return { ok: true, server, version: v.gitVersion ?? 'unknown', durationMs: performance.now() - t0 }
    } catch (e) {
      return {
        ok: false,
        server,
        reason: oneLineReason(e),
        kind: e instanceof KubeError ? e.kind : 'unknown',
        durationMs: performance.now() - t0,
      }
    }
  }

  /** Closes idle keep-alive connections. */
  close(): void {
    this._http?.close()
    this._http = undefined
  }
}
