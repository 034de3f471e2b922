// nftables mode: kube-proxy's table as the client-class walker (clients.ts) reads it. external-… chains send pod traffic
// (ip saddr CLUSTER_CIDR) and the node's own (fib saddr type local) to service-…, the rest to local-… or, with no
// local endpoint, past every nat rule to the @no-endpoint-nodeports / @no-endpoint-services drop in the filter hooks.
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
import type { SvcChain, SvcClientRoute, SvcFrontend } from './types.ts'

/** The parts of an nft rule the walker reads (structurally an NftRule of nft.ts). */
export interface ClassNftRule {
  comment?: string
  expr: any[]
  text: string
}

/** The parts of the table the walker reads (structurally an NftTable of nft.ts). */
export interface ClassNftTable {
  chains: Map<string, ClassNftRule[]>
  hooks?: Map<string, string>
}

const isObj = (e: unknown): e is Record<string, any> => !!e && typeof e === 'object'
const prefixOf = (name: string) => /^(service|local|external|firewall|endpoint)-/.exec(name)?.[1]

function conds(r: ClassNftRule, chain: string, text: (e: unknown) => string): SrcCond[] {
  const out: SrcCond[] = []
  for (const e of r.expr) {
    const m = isObj(e) ? e.match : undefined
    if (!isObj(m)) continue
    const left = isObj(m.left) ? m.left : {}
    const neg = m.op === '!='
    const right = text(m.right)
    const words = (...w: string[]) => w.filter(Boolean).join(' ')
    const say = (name: string, is: string, isNot: string) => ({
      text: words(name, neg ? isNot : is, right),
      inverse: words(name, neg ? is : isNot, right),
    })
    if (
      isObj(left.payload) &&
      left.payload.field === 'saddr' &&
      typeof left.payload.protocol === 'string' &&
      /^ip6?$/.test(left.payload.protocol)
    ) {
      out.push({
        what: chain.startsWith('firewall-') ? 'range' : LOOPBACK.test(right) ? 'loopback' : 'pod',
        neg,
        ...say('src', 'in', 'not in'),
      })
    } else if (isObj(left.fib) && [].concat(left.fib.flags ?? []).includes('saddr' as never)) {
      out.push({ what: right === 'local' ? 'node' : 'other', neg, ...say('fib saddr type', '', 'not') })
    } else if (isObj(left.meta) && typeof left.meta.key === 'string' && /^iif(name)?$/.test(left.meta.key)) {
      out.push({ what: 'pod', neg, ...say(`meta ${left.meta.key}`, '', '!=') })
    } else if (
      !(
        isObj(left.payload) && /^(daddr|dport)$/.test(typeof left.payload.field === 'string' ? left.payload.field : '')
      ) &&
      !(isObj(left.meta) && left.meta.key === 'l4proto')
    ) {
      out.push({ what: 'other', neg, ...say(text(m.left), '==', '!=') })
    }
  }
  return out
}

function verdict(r: ClassNftRule): ClassVerdict {
  for (const e of r.expr) {
    if (!isObj(e)) continue
    const j = e.jump ?? e.goto
    if (isObj(j) && typeof j.target === 'string') {
      if (j.target === 'mark-for-masquerade') return { kind: 'masq' }
      const p = prefixOf(j.target)
      if (p === 'service' || p === 'local') return { kind: 'chain', name: j.target, picks: true }
      if (p === 'endpoint') return { kind: 'endpoints' }
      return { kind: 'chain', name: j.target, goto: 'goto' in e }
    }
    if ('drop' in e) return { kind: 'drop' }
    if ('reject' in e) return { kind: 'reject' }
    if ('return' in e) return { kind: 'return' }
    if (isObj(e.vmap) && isObj(e.vmap.key) && 'numgen' in e.vmap.key) return { kind: 'endpoints' }
  }
  return { kind: 'none' }
}

function applies(r: ClassNftRule, fe: SvcFrontend): boolean {
  for (const e of r.expr) {
    const m = isObj(e) ? e.match : undefined
    if (!isObj(m) || m.op !== '==' || !isObj(m.left) || !isObj(m.left.payload)) continue
    const f = m.left.payload.field
    if (f === 'daddr' && typeof m.right === 'string' && fe.ip !== '*' && m.right !== fe.ip) return false
    if (f === 'dport' && typeof m.right === 'number' && m.right !== fe.port) return false
  }
  return true
}

/** The base-chain hooks from which a chain whose rules use `@map` is reached (one jump deep, as kube-proxy sets it up). */
function hooksOf(t: ClassNftTable, map: string): Set<string> {
  const users = [...t.chains].filter(([, rules]) => rules.some((r) => r.text.includes(`@${map}`))).map(([name]) => name)
  const out = new Set<string>()
  for (const [base, hook] of t.hooks ?? []) {
    if (
      users.includes(base) ||
      (t.chains.get(base) ?? []).some((r) => r.expr.some((e) => isObj(e) && users.includes((e.jump ?? e.goto)?.target)))
    )
      out.add(hook)
  }
  return out
}

/** A connection nothing DNATed meets the no-endpoint verdict maps in the input/forward hooks (pods, outside) or output (the node). */
export function nftFallthrough(t: ClassNftTable, block: SvcFrontend | undefined): Fallthrough {
  const hooks = block ? hooksOf(t, block.path[0].replace(/^@/, '')) : new Set<string>()
  return hookFallthrough(block, hooks, { output: 'output', input: 'input', forward: 'forward' })
}

/**
 * Client routes of one forwarding frontend: `target` is the chain its map element goes to, `firewall` the
 * firewall-… chain of @firewall-ips for its address (checked before DNAT), `chains` the endpoint chains nft.ts
 * extracted, `text` renders an expression as nft prints it.
 */
export function nftClientRoutes(
  t: ClassNftTable,
  fe: SvcFrontend,
  target: string,
  firewall: string | undefined,
  chains: Map<string, SvcChain>,
  block: SvcFrontend | undefined,
  text: (e: unknown) => string,
): SvcClientRoute[] {
  const rule = (r: ClassNftRule, c: string): ClassRule => ({
    applies: applies(r, fe),
    conds: conds(r, c, text),
    verdict: verdict(r),
    label: `${c}: ${r.comment ?? r.text}`,
  })
  const g = classGraph((c) => t.chains.get(c)?.map((r) => rule(r, c)), chains)
  const p = prefixOf(target)
  const entry: ClassRule[] = [
    ...(firewall
      ? [
          {
            applies: true,
            conds: [],
            verdict: { kind: 'chain', name: firewall } as ClassVerdict,
            label: `@firewall-ips: goto ${firewall}`,
          },
        ]
      : []),
    {
      applies: true,
      conds: [],
      verdict:
        p === 'service' || p === 'local'
          ? { kind: 'chain', name: target, picks: true }
          : { kind: 'chain', name: target, goto: true },
      label: `${fe.path[0]}: ${fe.rule}`,
    },
  ]
  return classRoutes(g, fe.path[0], entry, nftFallthrough(t, block))
}
