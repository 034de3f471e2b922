// The REPL's globals, built by one function (buildContext) from one list: zx, cluster, node, net, q, session.
import { createRequire } from 'node:module'
import type { SessionApi, KubeApi } from '../session.ts'
import { ShellError } from './errors.ts'

const require = createRequire(import.meta.url)

/** One global: its name, a one-line help for .help, and how to make its value (called lazily for `lazy`). */
export interface GlobalSpec {
  name: string
  help: string
  group: 'cluster' | 'node' | 'net' | 'zx' | 'data' | 'shell'
  make: (session: SessionApi, deps: ContextDeps) => unknown
  /** Made on first access (the module costs start-up time). */
  lazy?: boolean
}

/** Injected loaders (tests replace them). */
export interface ContextDeps {
  /** The net helpers module (src/net/index.ts) or undefined when it does not exist. */
  loadNet: () => Promise<Record<string, unknown> | undefined>
}

let zxMod: Record<string, unknown> | undefined
/** zx, loaded synchronously on first use of one of its globals (~0.3 s, so never at start-up). */
function zx(): Record<string, unknown> {
  zxMod ??= require('zx') as Record<string, unknown>
  return zxMod
}

/** The zx globals the shell exposes, as zx's own `zx/globals` does. */
export const ZX_GLOBALS = ['$', 'cd', 'within', 'chalk', 'fs', 'path', 'YAML', 'sleep', 'retry', 'spinner', 'question'] as const

/** Cluster helpers; each call goes to session.kube at call time, so .ctx/.ns apply without .reset. */
export const CLUSTER_GLOBALS = ['pods', 'pod', 'svc', 'services', 'endpoints', 'nodes', 'events', 'logs', 'describe', 'top'] as const satisfies readonly (keyof KubeApi)[]

/** Network helpers, provided by src/net/index.ts when it exists. */
export const NET_GLOBALS = ['enterNetns', 'vethOf', 'svcRules', 'dnsQuery', 'conntrackStats', 'conntrackList'] as const

const CLUSTER_HELP: Record<(typeof CLUSTER_GLOBALS)[number], string> = {
  pods: 'pods([selector]) — pods of the namespace, as a table',
  pod: "pod('name') — one pod",
  svc: "svc('name') — one service",
  services: 'services() — services of the namespace',
  endpoints: "endpoints('svc') — endpoints (slices) of a service",
  nodes: 'nodes() — the cluster nodes',
  events: 'events([object]) — recent events',
  logs: "logs('pod', [opts]) — container logs",
  describe: "describe('pod/name') — kubectl-describe-like view",
  top: "top('pods'|'nodes', {sortBy: 'cpu', containers, allNamespaces}) — CPU/memory like kubectl top (metrics API)",
}

const NET_HELP: Record<(typeof NET_GLOBALS)[number], string> = {
  enterNetns: "enterNetns('pod') — run commands inside the pod's network namespace",
  vethOf: "vethOf('pod') — the host-side veth of a pod",
  svcRules: "svcRules('svc') — kube-proxy rules for a service",
  dnsQuery: "dnsQuery('name', {from: 'pod'}) — resolve a name as that pod would (each search-list try)",
  conntrackStats: "conntrackStats('node') — conntrack -S, count and max on a node",
  conntrackList: "conntrackList('node', {filter}) — conntrack -L flows on a node",
}

/** Loads src/net/index.ts if it exists (resolved at run time so the shell works without it). */
export async function loadNetModule(): Promise<Record<string, unknown> | undefined> {
  const spec = '../net/index.ts'
  try {
    return (await import(spec)) as Record<string, unknown>
  } catch (e) {
    const err = e as NodeJS.ErrnoException
    if (err.code === 'ERR_MODULE_NOT_FOUND' && /net[\\/]index\.(ts|js)/.test(err.message)) return undefined
    throw e
  }
}

/** Calls a net helper: `bindNet(session)[name]` when the module has bindNet, else its export `name`. */
async function callNet(name: string, session: SessionApi, deps: ContextDeps, args: unknown[]): Promise<unknown> {
  const mod = await deps.loadNet()
  const unavailable = () => new ShellError('unavailable', `${name}() is not available: the network helpers (src/net) are not installed in this build`, 'inspect the node directly meanwhile, e.g. await node(NAME).$`ip -br link`')
  if (!mod) throw unavailable()
  const bound = typeof mod.bindNet === 'function' ? (mod.bindNet as (s: SessionApi) => Record<string, unknown>)(session) : mod
  const fn = bound[name]
  if (typeof fn !== 'function') throw unavailable()
  return (fn as (...a: unknown[]) => unknown)(...args)
}

/** JSON data in this realm: values typed at the REPL come from the vm context, where json-query's instanceof checks fail. */
function plainData(obj: unknown): unknown {
  try {
    return obj === undefined ? obj : JSON.parse(JSON.stringify(obj))
  } catch {
    return obj // cycles, BigInt: query the value as it is
  }
}

function named<F extends Function>(name: string, fn: F): F {
  return Object.defineProperty(fn, 'name', { value: name })
}

/** Every global of the shell, in .help order. */
export const GLOBALS: readonly GlobalSpec[] = [
  ...CLUSTER_GLOBALS.map(
    (name): GlobalSpec => ({
      name,
      group: 'cluster',
      help: CLUSTER_HELP[name],
      make: (session) =>
        named(name, (...args: unknown[]) => {
          const kube = session.kube as unknown as Record<string, (...a: unknown[]) => unknown>
          return kube[name].apply(kube, args)
        }),
    }),
  ),
  { name: 'node', group: 'node', help: "node('name') — a node over SSH ('local' is this machine); node(n).$`cmd`; await node(n).sshConfig shows its ssh settings and their source", make: (session) => (name: string) => session.node(name) },
  ...NET_GLOBALS.map((name): GlobalSpec => ({ name, group: 'net', help: NET_HELP[name], make: (session, deps) => named(name, (...args: unknown[]) => callNet(name, session, deps, args)) })),
  {
    name: 'q',
    group: 'data',
    help: "q(obj, 'query') — json-query over any value, e.g. q(await pods(), '[*].metadata.name')",
    make: () => (obj: unknown, query: string) => {
      if (typeof query !== 'string' || query === '') throw new ShellError('usage', `q: expected a json-query string as the second argument, received ${typeof query}`, "e.g. q(await pods(), '[*].metadata.name')")
      const jsonQuery = require('json-query') as (q: string, o: { data: unknown }) => { value: unknown }
      return jsonQuery(query, { data: plainData(obj) }).value
    },
  },
  { name: 'session', group: 'shell', help: 'session — context, namespace, config, kube, node(), setContext(), setNamespace()', make: (session) => session },
  ...ZX_GLOBALS.map((name): GlobalSpec => ({ name, group: 'zx', help: `${name} — from zx`, lazy: true, make: () => zx()[name] })),
]

function defineValue(target: object, name: string, value: unknown): void {
  Object.defineProperty(target, name, { value, writable: true, configurable: true, enumerable: true })
}

/** Installs every global onto `target` (the REPL context, or globalThis for scripts) and returns it. */
export function buildContext<T extends object>(session: SessionApi, target: T = {} as T, deps: ContextDeps = { loadNet: loadNetModule }): T {
  for (const g of GLOBALS) {
    if (!g.lazy) {
      defineValue(target, g.name, g.make(session, deps))
      continue
    }
    Object.defineProperty(target, g.name, {
      configurable: true,
      enumerable: true,
      get() {
        const v = g.make(session, deps)
        defineValue(target, g.name, v)
        return v
      },
      set(v: unknown) {
        defineValue(target, g.name, v)
      },
    })
  }
  return target
}
