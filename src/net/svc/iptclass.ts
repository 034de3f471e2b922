// iptables mode: kube-proxy's nat and filter rules as the client-class walker (clients.ts) reads them.
// Covers v1.24+ (KUBE-EXT: pod traffic and src-type LOCAL to KUBE-SVC, the rest to KUBE-SVL or the filter DROP) and the
// older layout (KUBE-XLB: pods and LOCAL to KUBE-SVC, the rest to local KUBE-SEPs or KUBE-MARK-DROP).
import {
  classGraph,
  classRoutes,
  hookFallthrough,
  LOOPBACK,
  type ClassRule,
  type ClassVerdict,
  type Fallthrough,
  type SrcCond,
} from './clients.ts'
import { hostAddress } from './spec.ts'
import type { SvcChain, SvcClientRoute, SvcFrontend } from './types.ts'

/** The parts of an iptables rule the walker reads (structurally an IptRule of iptables.ts). */
export interface ClassIptRule {
  text: string
  comment?: string
  target?: string
  options: { name: string; values: string[]; neg: boolean }[]
}

/** A table of chains (structurally iptables.ts' Map<string, IptChain>). */
export type ClassIptTable = Map<string, { rules: ClassIptRule[] }>

function cond(what: SrcCond['what'], neg: boolean, name: string, v: string): SrcCond {
  const [is, isNot] = name === 'src' ? [' in', ' not in'] : ['', ' not']
  return { what, neg, text: `${name}${neg ? isNot : is} ${v}`, inverse: `${name}${neg ? is : isNot} ${v}` }
}

function conds(r: ClassIptRule, chain: string): SrcCond[] {
  const out: SrcCond[] = []
  for (const o of r.options) {
    const v = o.values[0] ?? ''
    if (o.name === '-s')
      out.push(cond(chain.startsWith('KUBE-FW-') ? 'range' : LOOPBACK.test(v) ? 'loopback' : 'pod', o.neg, 'src', v))
    else if (o.name === '-i') out.push(cond('pod', o.neg, 'in-interface', v))
    else if (o.name === '--src-type') out.push(cond(v === 'LOCAL' ? 'node' : 'other', o.neg, 'src-type', v))
  }
  return out
}

function verdict(r: ClassIptRule): ClassVerdict {
  const t = r.target
  if (!t) return { kind: 'none' }
  if (t === 'KUBE-MARK-MASQ') return { kind: 'masq' }
  if (/^KUBE-SV[CL]-/.test(t)) return { kind: 'chain', name: t, picks: true }
  if (t.startsWith('KUBE-SEP-')) return { kind: 'endpoints' }
  if (t === 'KUBE-MARK-DROP' || t === 'DROP') return { kind: 'drop' }
  if (t === 'REJECT') return { kind: 'reject' }
  if (t === 'RETURN') return { kind: 'return' }
  if (t.startsWith('KUBE-')) return { kind: 'chain', name: t, goto: r.options.some((o) => o.name === '-g') }
  return { kind: 'none' }
}

function applies(r: ClassIptRule, fe: SvcFrontend): boolean {
  const d = r.options.find((o) => o.name === '-d')
  if (d && !d.neg && fe.ip !== '*' && hostAddress(d.values[0] ?? '') !== fe.ip) return false
  const p = r.options.find((o) => o.name === '--dport')
  return !(p && !p.neg && Number(p.values[0]) !== fe.port)
}

/** One iptables rule for the walker. */
export function classRule(r: ClassIptRule, chain: string, fe: SvcFrontend): ClassRule {
  return {
    applies: applies(r, fe),
    conds: conds(r, chain),
    verdict: verdict(r),
    label: `${chain}: ${r.comment ?? r.text.replace(/^-A \S+ /, '')}`,
  }
}

/** The built-in filter chains (INPUT, FORWARD, OUTPUT) that jump to `chain`. */
function hooksOf(filter: ClassIptTable, chain: string): Set<string> {
  const out = new Set<string>()
  for (const hook of ['INPUT', 'FORWARD', 'OUTPUT'])
    if (filter.get(hook)?.rules.some((r) => r.target === chain)) out.add(hook)
  return out
}

/** A connection nothing DNATed reaches the filter chain in INPUT/FORWARD (pods, outside) or OUTPUT (the node). */
export function iptFallthrough(filter: ClassIptTable, block: SvcFrontend | undefined): Fallthrough {
  const hooks = block ? hooksOf(filter, block.path[0].replace(/^filter /, '')) : new Set<string>()
  return hookFallthrough(block, hooks, { output: 'OUTPUT', input: 'INPUT', forward: 'FORWARD' })
}

/**
 * Client routes of one forwarding frontend: `entry` are its entry chain's rules that concern it (older kube-proxy's
 * masquerade marks, then the jump), `chains` the endpoint chains iptables.ts extracted.
 */
export function iptClientRoutes(
  nat: ClassIptTable,
  filter: ClassIptTable,
  fe: SvcFrontend,
  entry: ClassIptRule[],
  chains: Map<string, SvcChain>,
  block: SvcFrontend | undefined,
): SvcClientRoute[] {
  const g = classGraph((c) => nat.get(c)?.rules.map((r) => classRule(r, c, fe)), chains)
  return classRoutes(
    g,
    fe.path[0],
    entry.map((r) => classRule(r, fe.path[0], fe)),
    iptFallthrough(filter, block),
  )
}
