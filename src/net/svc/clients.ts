// Client classes: which endpoints pods, the node itself and outside clients reach through one frontend (pure).
// Each proxy mode describes its rules as ClassRules (iptables.ts / nft.ts adapters); one walker follows them per class.
import { joinMasq } from './spec.ts'
import type { ClientClass, SvcChain, SvcClientRoute, SvcFrontend } from './types.ts'

/** The classes, in the order results list them. */
export const CLIENT_CLASSES: readonly ClientClass[] = ['pod', 'node', 'external']

/**
 * A source condition of a rule, as kube-proxy uses it: pod = its local-traffic detector (`-s CLUSTER_CIDR`, `-i
 * BRIDGE`), node = `--src-type LOCAL` / `fib saddr type local`, loopback = `-s 127.0.0.0/8`, range = a
 * loadBalancerSourceRanges entry, other = anything else. `text`/`inverse` say it in words, negation included.
 */
export interface SrcCond {
  what: 'pod' | 'node' | 'loopback' | 'range' | 'other'
  neg: boolean
  text: string
  inverse: string
}

/** What a rule does when it matches. */
export type ClassVerdict =
  | { kind: 'masq' }
  | { kind: 'chain'; name: string; goto?: boolean; picks?: boolean }
  | { kind: 'endpoints' }
  | { kind: 'drop' | 'reject' }
  | { kind: 'return' }
  | { kind: 'none' }

/** One rule as the walker sees it. */
export interface ClassRule {
  /** False when the rule's destination address or port rules this frontend out. */
  applies: boolean
  conds: SrcCond[]
  verdict: ClassVerdict
  /** "CHAIN: comment or rule text". */
  label: string
}

/** A mode's rules, seen from one frontend. */
export interface ClassGraph {
  rules(chain: string): ClassRule[] | undefined
  /** The endpoints a chain picks from (KUBE-SVC/SVL/XLB, nft service-/local-), when it picks any. */
  endpoints(chain: string): { scope: 'cluster' | 'local'; endpoints: { ip: string; port: number }[] } | undefined
}

/** What happens to a connection no nat rule took: the filter rule that refuses it, or undefined (none does). */
export type Fallthrough = (client: ClientClass) => { action: 'drop' | 'reject'; via: string } | undefined

type Tri = 'yes' | 'no' | 'maybe'

function judge(c: SrcCond, client: ClientClass): Tri {
  let t: Tri = 'maybe'
  if (c.what === 'pod') t = client === 'pod' ? 'yes' : 'no'
  else if (c.what === 'node') t = client === 'node' ? 'yes' : 'no'
  else if (c.what === 'loopback') t = client === 'node' ? 'maybe' : 'no'
  if (c.neg && t !== 'maybe') t = t === 'yes' ? 'no' : 'yes'
  return t
}

/** All conditions of a rule for one class: no if any is no, yes if all are, else maybe (with the open conditions). */
function judgeAll(conds: SrcCond[], client: ClientClass): { t: Tri; yes: string[]; open: SrcCond[] } {
  const yes: string[] = []
  const open: SrcCond[] = []
  for (const c of conds) {
    const t = judge(c, client)
    if (t === 'no') return { t: 'no', yes: [], open: [] }
    if (t === 'yes') yes.push(c.text)
    else open.push(c)
  }
  return { t: open.length ? 'maybe' : 'yes', yes, open }
}

interface State {
  when: string[]
  masq: string[]
  match: string[]
}

const MAX_DEPTH = 12
const MAX_STATES = 32
/** Rule visits per class: kube-proxy's chains need a few dozen; a crafted rule graph with many paths stops here. */
const MAX_STEPS = 1000

/** Masquerade conditions a class meets in a chain's leading mark-for-masquerade rules (an endpoint chain's own). */
function masqIn(g: ClassGraph, chain: string, client: ClientClass): string[] {
  const out: string[] = []
  for (const r of g.rules(chain) ?? []) {
    if (r.verdict.kind !== 'masq') continue
    if (!r.applies) continue
    const j = judgeAll(r.conds, client)
    if (j.t === 'yes') out.push('always')
    else if (j.t === 'maybe') out.push(`if ${j.open.map((c) => c.text).join(' and ')}`)
  }
  return out
}

function forward(g: ClassGraph, client: ClientClass, s: State, chain: string, via: string): SvcClientRoute {
  const picks = g.endpoints(chain)
  const route: SvcClientRoute = { client, action: 'forward', chain, endpoints: picks?.endpoints ?? [], via }
  if (picks) route.scope = picks.scope
  return finish(route, s, [...s.masq, ...masqIn(g, chain, client)])
}

function finish(route: SvcClientRoute, s: State, masq: string[]): SvcClientRoute {
  if (s.match.length) route.match = [...new Set(s.match)].join(' and ')
  if (s.when.length) route.when = s.when.join(' and ')
  const m = route.action === 'forward' ? joinMasq(masq) : undefined
  if (m) route.masquerade = m
  return route
}

/** Follows `rules` (in `chain`) for one class: the routes that end in a verdict, and the states that fall off the end. */
function walk(
  g: ClassGraph,
  chain: string,
  rules: ClassRule[],
  client: ClientClass,
  start: State,
  stack: string[],
  budget: { steps: number },
): { done: SvcClientRoute[]; fell: State[] } {
  const done: SvcClientRoute[] = []
  const fell: State[] = []
  let live: State[] = [start]
  for (const r of rules) {
    if (!live.length) break
    if ((budget.steps -= live.length) < 0) break
    if (!r.applies || r.verdict.kind === 'none') continue
    const next: State[] = []
    for (const s of live) {
      const j = judgeAll(r.conds, client)
      if (j.t === 'no') {
        next.push(s)
        continue
      }
      const v = r.verdict
      const openText = j.open.map((c) => c.text).join(' and ')
      if (v.kind === 'masq') {
        next.push({ ...s, masq: [...s.masq, j.t === 'yes' ? 'always' : `if ${openText}`] })
        continue
      }
      const taken: State = {
        ...s,
        match: [...s.match, ...j.yes],
        when: j.t === 'maybe' ? [...s.when, openText] : s.when,
      }
      if (j.t === 'maybe')
        next.push({ ...s, when: [...s.when, j.open.length === 1 ? j.open[0].inverse : `not (${openText})`] })
      if (v.kind === 'return') fell.push(taken)
      else if (v.kind === 'drop' || v.kind === 'reject')
        done.push(finish({ client, action: v.kind, endpoints: [], via: r.label }, taken, []))
      else if (v.kind === 'endpoints') done.push(forward(g, client, taken, chain, r.label))
      else if (v.kind === 'chain' && v.picks) done.push(forward(g, client, taken, v.name, r.label))
      else if (v.kind === 'chain') {
        const sub = g.rules(v.name)
        if (!sub || stack.includes(v.name) || stack.length >= MAX_DEPTH) {
          next.push(taken) // a missing chain (or a loop) returns at once, as iptables does for an empty chain
          continue
        }
        const inner = walk(g, v.name, sub, client, taken, [...stack, chain], budget)
        done.push(...inner.done)
        if (v.goto) fell.push(...inner.fell)
        else next.push(...inner.fell)
      }
    }
    live = next.slice(0, MAX_STATES)
  }
  fell.push(...live)
  return { done, fell: fell.slice(0, MAX_STATES) }
}

/**
 * Per class, what the rules do with a new connection to a frontend: `entry` are the rules of the entry chain that
 * concern it (masquerade marks, then the jump), `fallthrough` what the filter rules do with a connection nothing
 * DNATed. Identical routes of a class are listed once.
 */
export function classRoutes(
  g: ClassGraph,
  entryChain: string,
  entry: ClassRule[],
  fallthrough: Fallthrough,
): SvcClientRoute[] {
  const out: SvcClientRoute[] = []
  for (const client of CLIENT_CLASSES) {
    const { done, fell } = walk(g, entryChain, entry, client, { when: [], masq: [], match: [] }, [], {
      steps: MAX_STEPS,
    })
    const routes = [...done]
    for (const s of fell) {
      const f = fallthrough(client)
      routes.push(
        finish(
          f
            ? { client, action: f.action, endpoints: [], via: f.via }
            : {
                client,
                action: 'none',
                endpoints: [],
                via: 'no rule DNATs it: the connection goes on to the address itself',
              },
          s,
          [],
        ),
      )
    }
    const seen = new Set<string>()
    for (const r of routes) {
      const k = JSON.stringify([r.when, r.action, r.chain, r.via])
      if (!seen.has(k)) out.push(r)
      seen.add(k)
    }
  }
  return out
}

/** True when a blocking (DROP/REJECT) frontend catches what the forwarding frontend `fe` lets through. */
export function catches(block: SvcFrontend, fe: SvcFrontend): boolean {
  if (block.kind !== fe.kind || block.port !== fe.port || block.protocol !== fe.protocol || block.family !== fe.family)
    return false
  return block.ip === fe.ip || block.ip === '*' || fe.ip === '*' || fe.kind === 'NodePort'
}

/**
 * Gives every frontend its client routes: `routesOf` walks a forwarding frontend (told which blocking frontend catches
 * what falls through); a blocking frontend lists the classes it catches from a forwarding one, or all classes when it
 * stands alone (the Service has no endpoints, or no usable ones).
 */
export function assignClients(
  frontends: SvcFrontend[],
  routesOf: (fe: SvcFrontend, block: SvcFrontend | undefined) => SvcClientRoute[],
): void {
  const blocks = frontends.filter((f) => f.action !== 'forward')
  const caught = new Map<SvcFrontend, SvcClientRoute[]>()
  for (const fe of frontends.filter((f) => f.action === 'forward')) {
    const block = blocks.find((b) => catches(b, fe))
    fe.clients = routesOf(fe, block)
    if (block)
      caught.set(block, [
        ...(caught.get(block) ?? []),
        ...fe.clients.filter((r) => r.action === block.action && r.via === blockVia(block)),
      ])
  }
  for (const b of blocks) {
    const from = caught.get(b)
    b.clients = from
      ? dedupe(from)
      : CLIENT_CLASSES.map((client) => ({
          client,
          action: b.action as 'drop' | 'reject',
          endpoints: [],
          via: blockVia(b),
        }))
  }
}

function dedupe(routes: SvcClientRoute[]): SvcClientRoute[] {
  const seen = new Set<string>()
  return routes.filter((r) => {
    const k = JSON.stringify([r.client, r.when, r.via])
    return !seen.has(k) && !!seen.add(k)
  })
}

/** Loopback sources (`-s 127.0.0.0/8`, `ip saddr ::1`): kube-proxy's rules for the node's own localhost traffic. */
export const LOOPBACK = /^(127\.|::1(\/128)?$)/

/**
 * A ClassGraph over a mode's chains: `rulesOf` converts a chain's rules (once per chain), `chains` are the endpoint
 * chains the mode's parser extracted.
 */
export function classGraph(
  rulesOf: (chain: string) => ClassRule[] | undefined,
  chains: ReadonlyMap<string, SvcChain>,
): ClassGraph {
  const seen = new Map<string, ClassRule[] | undefined>()
  return {
    rules: (c) => {
      if (!seen.has(c)) seen.set(c, rulesOf(c))
      return seen.get(c)
    },
    endpoints: (c) => {
      const ch = chains.get(c)
      return ch && { scope: ch.kind, endpoints: ch.endpoints.map((e) => ({ ip: e.ip, port: e.port })) }
    },
  }
}

/**
 * The fallthrough of a blocking frontend reached from the base-chain `hooks` found for it: the node's own connections
 * pass the `output` hook, pods' and outside ones `input` or `forward` (named as the mode names them). With no hook
 * found, every class is taken to reach it.
 */
export function hookFallthrough(
  block: SvcFrontend | undefined,
  hooks: ReadonlySet<string>,
  names: { output: string; input: string; forward: string },
): Fallthrough {
  if (!block) return () => undefined
  const reaches = (c: ClientClass) =>
    !hooks.size || (c === 'node' ? hooks.has(names.output) : hooks.has(names.input) || hooks.has(names.forward))
  return (c) => (reaches(c) ? { action: block.action as 'drop' | 'reject', via: blockVia(block) } : undefined)
}

/** How a blocking frontend's rule reads in a route: "filter KUBE-EXTERNAL-SERVICES: has no local endpoints". */
export function blockVia(b: SvcFrontend): string {
  return `${b.path.join(' > ')}: ${b.notes[0] ?? b.rule}`
}

/** True when the classes of a frontend are not all treated alike (another action, chain or endpoint set). */
export function classesDiffer(fe: SvcFrontend): boolean {
  const k = (r: SvcClientRoute) => JSON.stringify([r.when, r.action, r.chain, r.endpoints])
  const keys = new Set((fe.clients ?? []).map(k))
  return keys.size > 1
}

const WHO: Record<ClientClass, string> = { pod: 'pods', node: 'the node', external: 'outside clients' }

/** One route in words: "reach 2 endpoints (10.244.1.3:8080, 10.244.2.2:8080)", "are dropped (has no local endpoints)". */
export function routeWords(r: SvcClientRoute): string {
  const n = r.endpoints.length
  const eps = r.endpoints.map((e) => (e.ip.includes(':') ? `[${e.ip}]:${e.port}` : `${e.ip}:${e.port}`))
  const count = `${r.scope === 'local' ? (n === 1 ? 'only the local endpoint' : `only the ${n} local endpoints`) : n === 1 ? '1 endpoint' : `${n} endpoints`}`
  if (r.action === 'forward')
    return n ? `reach ${count}${n <= 3 ? ` (${eps.join(', ')})` : ''}` : `reach no endpoint (${r.chain} is empty)`
  const why = r.via.replace(/^.*?: /, '')
  return r.action === 'none'
    ? 'are not DNATed by any rule'
    : `are ${r.action === 'drop' ? 'dropped' : 'rejected'} (${why})`
}

/**
 * Who reaches what, per port and frontend whose classes differ, in one line each:
 * "NodePort 30081: pods and the node reach 2 endpoints …; outside clients are dropped (has no local endpoints)".
 */
export function clientSummary(ports: readonly { frontends: SvcFrontend[] }[]): string[] {
  const lines: string[] = []
  for (const p of ports) {
    for (const fe of p.frontends) {
      if (fe.action !== 'forward' || !classesDiffer(fe)) continue
      const byWords = new Map<string, ClientClass[]>()
      for (const client of CLIENT_CLASSES) {
        const routes = (fe.clients ?? []).filter((r) => r.client === client)
        if (!routes.length) continue
        const w = routes.map((r) => `${r.when ? `(${r.when}) ` : ''}${routeWords(r)}`).join(', ')
        byWords.set(w, [...(byWords.get(w) ?? []), client])
      }
      const addr =
        fe.kind === 'NodePort'
          ? `NodePort ${fe.port}`
          : `${fe.kind} ${fe.ip.includes(':') ? `[${fe.ip}]` : fe.ip}:${fe.port}`
      const line = `${addr}: ${[...byWords].map(([w, cs]) => `${cs.map((c) => WHO[c]).join(' and ')} ${w}`).join('; ')}`
      if (!lines.includes(line)) lines.push(line)
    }
  }
  return lines
}
