// The shell's globals: ONE list (GLOBALS). buildContext installs it, .help lists it, tab completion reads its
// `completes`, and the recipe declarations (src/recipes/dts.ts) take each global's type from GlobalTypes,
// which is derived from the functions themselves. A new global is one entry here (plus its function).
import { createRequire } from 'node:module'
import { closest, received } from '../errors.ts'
import { parseQuantity } from '../kube/quantity.ts'
import { bindFleet } from '../fleet/index.ts'
import { expandNodes, foldNodes } from '../fleet/nodeset.ts'
import { eventTime, sortEvents } from '../kube/status.ts'
import { checkName, isName } from '../names.ts'
import { searchCandidates } from '../net/resolvconf.ts'
import type { KubeApi, NameKind, SessionApi } from '../session.ts'
import { ShellError } from './errors.ts'
import { fleetProgressOf, trackFleet } from './fleet.ts'

const require = createRequire(import.meta.url)

type Zx = typeof import('zx')
/** The network helpers of one session, as src/net binds them. */
type NetApi = ReturnType<typeof import('../net/index.ts').bindNet>

/** The groups of .help, in order, with their titles. */
export const GLOBAL_GROUPS = [
  ['cluster', 'cluster'],
  ['node', 'nodes'],
  ['net', 'network'],
  ['helpers', 'helpers (pure functions of the library)'],
  ['data', 'data'],
  ['shell', 'shell'],
  ['zx', 'zx'],
] as const

/** A group of .help. */
export type GlobalGroup = (typeof GLOBAL_GROUPS)[number][0]

/** One global: its name, a one-line help for .help, and how to make its value. */
export interface GlobalSpec<N extends string = string, V = unknown> {
  name: N
  help: string
  group: GlobalGroup
  /** The kind of name its first string argument takes (tab completion). */
  completes?: NameKind
  /** Made on first access (the module costs start-up time). */
  lazy?: boolean
  /**
   * Needs neither the cluster client, the node transports nor the result renderers (session.load()): input that names
   * only such globals runs without waiting for them (src/repl/gate.ts). Unset means it may need them.
   */
  pure?: true
  make: (session: SessionApi) => V
}

let zxMod: Zx | undefined
/** zx, loaded synchronously on first use of one of its globals (~0.3 s, so never at start-up). */
function zx(): Zx {
  zxMod ??= require('zx') as Zx
  return zxMod
}

let netMod: Promise<typeof import('../net/index.ts')> | undefined
/** src/net, imported on the first call of a network helper (the prompt does not wait for it). */
function loadNet(): Promise<typeof import('../net/index.ts')> {
  netMod ??= import('../net/index.ts')
  return netMod
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

function spec<const N extends string, V>(s: GlobalSpec<N, V>): GlobalSpec<N, V> {
  return s
}

/** A cluster helper: each call goes to session.kube at call time, so .ctx/.ns apply without .reset. */
function cluster<const N extends keyof KubeApi>(name: N, help: string, completes?: NameKind) {
  return spec({
    name,
    group: 'cluster',
    help,
    completes,
    make: (session) =>
      named(name, ((...args: unknown[]) => {
        const kube = session.kube
        return (kube[name] as (...a: unknown[]) => unknown).apply(kube, args)
      }) as KubeApi[N]),
  })
}

/** A network helper: src/net's bindNet(session)[name], with the same parameters and result. */
function net<const N extends keyof NetApi>(name: N, help: string, completes?: NameKind) {
  type Fn = NetApi[N]
  return spec({
    name,
    group: 'net',
    help,
    completes,
    make: (session) =>
      named(name, (async (...args: Parameters<Fn>) => {
        const bound = (await loadNet()).bindNet(session)
        return (bound[name] as unknown as (...a: Parameters<Fn>) => ReturnType<Fn>)(...args)
      }) as (...args: Parameters<Fn>) => Promise<Awaited<ReturnType<Fn>>>),
  })
}

/** A pure library function (no session, no I/O), for recipes that would otherwise copy it. */
function helper<const N extends string, F extends Function>(name: N, help: string, fn: F) {
  return spec({ name, group: 'helpers', help, pure: true, make: () => fn })
}

/** A zx global, as zx's own `zx/globals` provides it. */
function fromZx<const N extends keyof Zx>(name: N) {
  return spec({ name, group: 'zx', help: `${name} — from zx`, lazy: true, pure: true, make: (): Zx[N] => zx()[name] })
}

const DEFS = [
  cluster('pods', 'pods([selector]) — pods of the namespace, as a table'),
  cluster('pod', "pod('name') — one pod", 'pod'),
  cluster('svc', "svc('name') — one service", 'service'),
  cluster('services', 'services() — services of the namespace', 'service'),
  cluster('endpoints', "endpoints('svc') — endpoints (slices) of a service", 'service'),
  cluster('nodes', 'nodes() — the cluster nodes'),
  cluster('events', 'events([object]) — recent events'),
  cluster('logs', "logs('pod', [opts]) — container logs", 'pod'),
  cluster('describe', "describe('pod/name') — kubectl-describe-like view", 'pod'),
  cluster(
    'top',
    "top('pods'|'nodes', {sortBy: 'cpu', containers, allNamespaces}) — CPU/memory like kubectl top (metrics API)",
  ),
  spec({
    name: 'node',
    group: 'node',
    help: "node('name') — a node over SSH, else through a node pod ('local' is this machine); node(n).$`cmd`; node(n).via says which; await node(n).sshConfig shows its ssh settings and their source",
    completes: 'node',
    make: (session) => (name: string) => session.node(name),
  }),
  spec({
    name: 'fleet',
    group: 'node',
    help: "fleet('role=worker' | ['lab-2','lab-3'] | nothing for all) — one command on many nodes: await fleet().timeout(5000).$`uptime`; .groups(), .errors(); for await (const r of fleet().$`id`) streams",
    make: (session) =>
      bindFleet(session, { onProgress: (p) => fleetProgressOf(session)?.(p) }, (run) => trackFleet(session, run)),
  }),
  net('enterNetns', "enterNetns('pod') — run commands inside the pod's network namespace", 'pod'),
  net('vethOf', "vethOf('pod') — the host-side veth of a pod", 'pod'),
  net('svcRules', "svcRules('svc') — kube-proxy rules for a service", 'service'),
  net('dnsQuery', "dnsQuery('name', {from: 'pod'}) — resolve a name as that pod would (each search-list try)"),
  net('conntrackStats', "conntrackStats('node') — conntrack -S, count and max on a node", 'node'),
  net('conntrackList', "conntrackList('node', {filter}) — conntrack -L flows on a node", 'node'),
  helper(
    'searchCandidates',
    "searchCandidates('name', resolvConf, 'glibc'|'musl') — the names a resolver tries, in order (dnsQuery's walk)",
    searchCandidates,
  ),
  helper(
    'isName',
    "isName('dns-label'|'dns-subdomain'|'node'|'pod'|'service'|'dns-name', value) — whether value is such a name",
    isName,
  ),
  helper(
    'checkName',
    "checkName(rule, value, 'what') — value, or an error saying what was expected and received",
    checkName,
  ),
  helper(
    'foldNodes',
    "foldNodes(['lab-ssh-1','lab-ssh-2','lab-ssh-7']) — node names as a set: lab-ssh-[1-2,7] (as clush and pdsh print them)",
    foldNodes,
  ),
  helper('expandNodes', "expandNodes('lab-ssh-[1-3,7]') — the names of a node set", expandNodes),
  helper('eventTime', 'eventTime(event) — when an event last happened (what events() sorts by)', eventTime),
  helper('sortEvents', 'sortEvents(events) — events oldest first, as events() and describe() order them', sortEvents),
  helper(
    'parseQuantity',
    "parseQuantity('250m') — a Kubernetes quantity as a number (0.25; '1Gi' is 1073741824)",
    parseQuantity,
  ),
  spec({
    name: 'q',
    group: 'data',
    pure: true,
    help: "q(obj, 'query') — json-query over any value, e.g. q(await pods(), '[*].metadata.name')",
    make:
      () =>
      (obj: unknown, query: string): unknown => {
        if (typeof query !== 'string' || query === '')
          throw new ShellError(
            'usage',
            `q: expected a json-query string as the second argument, received ${received(query)}`,
            "e.g. q(await pods(), '[*].metadata.name')",
          )
        const jsonQuery = require('json-query') as (q: string, o: { data: unknown }) => { value: unknown }
        return jsonQuery(query, { data: plainData(obj) }).value
      },
  }),
  spec({
    name: 'session',
    group: 'shell',
    help: 'session — context, namespace, config, kube, node(), setContext(), setNamespace()',
    make: (session) => session,
  }),
  ...(['$', 'cd', 'within', 'chalk', 'fs', 'path', 'YAML', 'sleep', 'retry', 'spinner', 'question'] as const).map(
    fromZx,
  ),
] as const

/** Every global of the shell, in .help order. */
export const GLOBALS: readonly GlobalSpec[] = DEFS

/** The type of every global, derived from the function that makes it (recipe declarations: src/recipes/dts.ts). */
export type GlobalTypes = { [G in (typeof DEFS)[number] as G['name']]: ReturnType<G['make']> }

/**
 * For `ReferenceError: conntrack is not defined` raised by code typed at the shell: the globals the name most likely
 * meant, as a hint line (undefined for any other error, or when no global is close).
 */
export function globalHint(err: unknown): string | undefined {
  const e = err as { name?: unknown; message?: unknown } | null
  if (!e || e.name !== 'ReferenceError' || typeof e.message !== 'string') return undefined
  const name = /^(\S+) is not defined$/.exec(e.message)?.[1]
  const near = name
    ? closest(
        name,
        GLOBALS.map((g) => g.name),
      ).slice(0, 3)
    : []
  return near.length ? `did you mean ${near.join(', ')}? (.help lists the shell's globals)` : undefined
}

let presenters: Promise<void> | undefined
/** Installs the renderers results print with (src/render/presenters.ts); the shell awaits it before it prints. */
export function loadPresenters(): Promise<void> {
  presenters ??= import('../render/presenters.ts').then((m) => m.installPresenters())
  return presenters
}

function defineValue(target: object, name: string, value: unknown): void {
  Object.defineProperty(target, name, { value, writable: true, configurable: true, enumerable: true })
}

/** Installs every global onto `target` (the REPL context, or globalThis for scripts) and returns it. */
export function buildContext<T extends object>(session: SessionApi, target: T = {} as T): T {
  for (const g of GLOBALS) {
    if (!g.lazy) {
      defineValue(target, g.name, g.make(session))
      continue
    }
    Object.defineProperty(target, g.name, {
      configurable: true,
      enumerable: true,
      get() {
        const v = g.make(session)
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
