// nftables mode: parses `nft -j list table ip kube-proxy` and extracts one Service's maps, chains and endpoints.
import { assignClients } from './clients.ts'
import { SvcRulesError } from './errors.ts'
import { nftClientRoutes } from './nftclass.ts'
import { distinctEndpoints, frontendKindOf, joinMasq, normProtocol, servicePortName } from './spec.ts'
import type { Counters, SvcChain, SvcEndpoint, SvcFrontend, SvcPortRules, SvcSpec } from './types.ts'

/** One rule: its JSON expressions, a text rendering in nft syntax, and its counter when it has one. */
export interface NftRule {
  chain: string
  handle?: number
  comment?: string
  expr: any[]
  text: string
  counters?: Counters
}

/** One element of a verdict map: key parts, optional comment, and the verdict (goto/jump target or drop/accept…). */
export interface NftMapElement {
  key: (string | number)[]
  comment?: string
  verdict: string
  target?: string
}

/** A named set. */
export interface NftSet {
  type: string | string[]
  elements: string[]
  /** Element timeout in seconds (affinity sets). */
  timeout?: number
}

/** One nft table. */
export interface NftTable {
  family: string
  name: string
  sets: Map<string, NftSet>
  maps: Map<string, NftMapElement[]>
  chains: Map<string, NftRule[]>
  /** The hook of each base chain (input, forward, output, prerouting, postrouting). */
  hooks?: Map<string, string>
}

/** Parses the JSON of `nft -j list table FAMILY NAME` (text or already parsed). */
export function parseNftJson(input: string | object): NftTable {
  let doc: any
  try {
    doc = typeof input === 'string' ? JSON.parse(input) : input
  } catch (e) {
    throw new SvcRulesError('parse', 'nft -j: the output is not JSON', 'run `nft -j list table ip kube-proxy` on the node to see what it prints', e)
  }
  const items: any[] = doc?.nftables
  if (!Array.isArray(items)) throw new SvcRulesError('parse', 'nft -j: expected an object with an "nftables" array', 'is nft older than 0.9 (no JSON output)?')
  const t: NftTable = { family: '', name: '', sets: new Map(), maps: new Map(), chains: new Map(), hooks: new Map() }
  for (const it of items) {
    if (it.table) Object.assign(t, { family: it.table.family, name: it.table.name })
    else if (it.set) t.sets.set(it.set.name, { type: it.set.type, elements: (it.set.elem ?? []).map((e: unknown) => exprText(unwrapElem(e).val)), timeout: it.set.timeout })
    else if (it.map) t.maps.set(it.map.name, (it.map.elem ?? []).map(mapElement))
    else if (it.chain) {
      t.chains.set(it.chain.name, t.chains.get(it.chain.name) ?? [])
      if (typeof it.chain.hook === 'string') t.hooks!.set(it.chain.name, it.chain.hook)
    }
    else if (it.rule) {
      const r = it.rule
      const expr: any[] = r.expr ?? []
      const c = expr.find((e) => e && typeof e === 'object' && 'counter' in e)?.counter
      const rule: NftRule = { chain: r.chain, handle: r.handle, comment: r.comment, expr, text: expr.map(exprText).join(' ') + (r.comment ? ` comment "${r.comment}"` : '') }
      if (c) rule.counters = { packets: c.packets ?? 0, bytes: c.bytes ?? 0 }
      const list = t.chains.get(r.chain) ?? []
      list.push(rule)
      t.chains.set(r.chain, list)
    }
  }
  return t
}

function unwrapElem(e: any): { val: any; comment?: string } {
  if (e && typeof e === 'object' && 'elem' in e) return { val: e.elem.val, comment: e.elem.comment }
  return { val: e }
}

function mapElement(pair: any): NftMapElement {
  const [k, v] = Array.isArray(pair) ? pair : [pair, undefined]
  const { val: key, comment } = unwrapElem(k)
  const parts: (string | number)[] = key && typeof key === 'object' && 'concat' in key ? key.concat.map((x: unknown) => (typeof x === 'number' ? x : exprText(x))) : [typeof key === 'number' ? key : exprText(key)]
  const verdict = v && typeof v === 'object' ? Object.keys(v)[0] : String(v)
  return { key: parts, comment, verdict, target: v?.[verdict]?.target }
}

/** nft syntax for one JSON expression (the common kube-proxy ones; anything else as JSON). */
export function exprText(e: any): string {
  if (e === null || e === undefined) return ''
  if (typeof e !== 'object') return String(e)
  if (Array.isArray(e)) return e.map(exprText).join(' . ')
  const [k] = Object.keys(e)
  const v = e[k]
  switch (k) {
    case 'payload':
      return `${v.protocol} ${v.field}`
    case 'meta':
      return `meta ${v.key}`
    case 'ct':
      return `ct ${v.key}`
    case 'fib':
      return `fib ${[].concat(v.flags ?? []).join(' . ')} type`
    case 'prefix':
      return `${v.addr}/${v.len}`
    case 'range':
      return `${exprText(v[0])}-${exprText(v[1])}`
    case 'concat':
      return v.map(exprText).join(' . ')
    case 'set':
      return Array.isArray(v) ? `{ ${v.map((x: any) => (Array.isArray(x) ? `${exprText(x[0])} : ${exprText(x[1])}` : exprText(x))).join(', ')} }` : String(v)
    case 'elem':
      return exprText(v.val)
    case 'match': {
      const op = v.op === '==' || v.op === 'in' ? '' : ` ${v.op}`
      return `${exprText(v.left)}${op} ${exprText(v.right)}`
    }
    case 'counter':
      return `counter packets ${v?.packets ?? 0} bytes ${v?.bytes ?? 0}`
    case 'jump':
    case 'goto':
      return `${k} ${v.target}`
    case 'vmap':
      return `${exprText(v.key)} vmap ${exprText(v.data)}`
    case 'numgen':
      return `numgen ${v.mode} mod ${v.mod}${v.offset ? ` offset ${v.offset}` : ''}`
    case 'dnat':
    case 'snat':
      return `${k} to ${v.addr}${v.port !== undefined ? `:${v.port}` : ''}`
    case 'mangle':
      return `${exprText(v.key)} set ${exprText(v.value)}`
    case '|':
    case '&':
    case '^':
      return `${exprText(v[0])} ${k} ${exprText(v[1])}`
    case 'masquerade':
      return `masquerade${v?.flags ? ` ${[].concat(v.flags).join(',')}` : ''}`
    case 'reject':
      return 'reject'
    case 'drop':
    case 'accept':
    case 'return':
    case 'continue':
      return k
    case 'update':
    case 'add':
      return `${k} ${v.set} { ${exprText(v.elem)} }`
    default:
      return JSON.stringify(e)
  }
}

/** Splits a kube-proxy chain name "service-HASH-ns/name/tcp/port[__ip/port]". */
export function nftChainName(name: string): { prefix: string; base: string; endpoint?: string } | undefined {
  const m = /^(service|external|local|firewall|endpoint|affinity)-[A-Z0-9]+-(.+)$/.exec(name)
  if (!m) return undefined
  const i = m[2].indexOf('__')
  return i < 0 ? { prefix: m[1], base: m[2] } : { prefix: m[1], base: m[2].slice(0, i), endpoint: m[2].slice(i + 2) }
}

/** True when the table is kube-proxy's (it has the service-ips map). */
export function hasNftProxyRules(t: NftTable): boolean {
  return t.maps.has('service-ips')
}

const matches = (r: NftRule) => r.expr.filter((e) => e && typeof e === 'object' && 'match' in e).map((e) => e.match)
const field = (m: any) => (m.left?.payload ? `${m.left.payload.protocol} ${m.left.payload.field}` : m.left?.fib ? 'fib' : exprText(m.left))
const verdictOf = (r: NftRule) => r.expr.map((e) => (e && typeof e === 'object' ? (e.jump ?? e.goto) : undefined)).find(Boolean)?.target as string | undefined

function masqCondition(r: NftRule): string {
  const parts: string[] = []
  for (const m of matches(r)) {
    const f = field(m)
    if (/^ip6? saddr$/.test(f)) parts.push(`src ${m.op === '!=' ? 'not in' : 'in'} ${exprText(m.right)}`)
    else if (f === 'fib') parts.push(`src is ${exprText(m.right)}`)
  }
  return parts.length ? `if ${parts.join(' and ')}` : 'always'
}

function applies(r: NftRule, fe: SvcFrontend): boolean {
  for (const m of matches(r)) {
    const f = field(m)
    if (/^ip6? daddr$/.test(f) && m.op === '==' && typeof m.right === 'string' && m.right !== fe.ip) return false
    if (/^(tcp|udp|sctp) dport$/.test(f) && m.op === '==' && typeof m.right === 'number' && m.right !== fe.port) return false
  }
  return true
}

/** The rules of one Service (for the family of `spec`) in kube-proxy's nft table, per Service port. */
export function nftSvcRules(t: NftTable, spec: SvcSpec): SvcPortRules[] {
  const nodeIPs = t.sets.get('nodeport-ips')?.elements ?? []
  return spec.ports.map((port): SvcPortRules => {
    const base = `${spec.namespace}/${spec.name}/${port.protocol.toLowerCase()}/${port.name}`
    const spn = servicePortName(spec, port.name)
    const ofBase = (chain?: string) => !!chain && nftChainName(chain)?.base === base
    const frontends: SvcFrontend[] = []
    const chains = new Map<string, SvcChain>()
    const mk = (kind: SvcFrontend['kind'], ip: string, el: NftMapElement, map: string, proto: unknown, p: unknown): SvcFrontend => ({
      kind,
      ip,
      port: Number(p),
      protocol: normProtocol(proto),
      family: spec.family,
      action: el.verdict === 'drop' ? 'drop' : el.target === 'reject-chain' || el.verdict === 'reject' ? 'reject' : 'forward',
      path: [`@${map}`],
      rule: `${el.key.join(' . ')}${el.comment ? ` comment "${el.comment}"` : ''} : ${el.verdict}${el.target ? ` ${el.target}` : ''}`,
      notes: [],
    })
    const entries: { fe: SvcFrontend; target: string }[] = []
    for (const el of t.maps.get('service-ips') ?? []) {
      if (!ofBase(el.target)) continue
      const [ip, proto, p] = el.key
      const kind = frontendKindOf(spec, String(ip)) ?? (nftChainName(el.target!)!.prefix === 'external' ? 'ExternalIP' : 'ClusterIP')
      entries.push({ fe: mk(kind, String(ip), el, 'service-ips', proto, p), target: el.target! })
    }
    for (const el of t.maps.get('service-nodeports') ?? []) {
      if (!ofBase(el.target)) continue
      const [proto, p] = el.key
      for (const ip of nodeIPs.length ? nodeIPs : ['*']) entries.push({ fe: mk('NodePort', ip, el, 'service-nodeports', proto, p), target: el.target! })
    }
    for (const { fe, target } of entries) {
      const masq: string[] = []
      walk(t, target, fe, masq, chains, spec)
      fe.masquerade = joinMasq(masq)
      frontends.push(fe)
    }
    for (const el of t.maps.get('firewall-ips') ?? []) {
      if (!ofBase(el.target)) continue
      const drops = (t.chains.get(el.target!) ?? []).map((r) => r.text)
      for (const fe of frontends) if (fe.ip === String(el.key[0]) && fe.port === Number(el.key[2])) fe.notes.push(`@firewall-ips -> ${el.target}: ${drops.join('; ')}`)
    }
    const noEp = (el: NftMapElement, keyMatches: boolean) => (el.comment !== undefined ? el.comment === spn : keyMatches)
    for (const el of t.maps.get('no-endpoint-services') ?? []) {
      const [ip, proto, p] = el.key
      const kind = frontendKindOf(spec, String(ip))
      if (!noEp(el, !!kind && normProtocol(proto) === port.protocol && Number(p) === port.port)) continue
      const fe = mk(kind ?? 'ClusterIP', String(ip), el, 'no-endpoint-services', proto, p)
      fe.notes.push(fe.action === 'drop' ? 'has no local endpoints' : 'has no endpoints')
      frontends.push(fe)
    }
    for (const el of t.maps.get('no-endpoint-nodeports') ?? []) {
      const [proto, p] = el.key
      if (!noEp(el, normProtocol(proto) === port.protocol && Number(p) === port.nodePort)) continue
      for (const ip of nodeIPs.length ? nodeIPs : ['*']) {
        const fe = mk('NodePort', ip, el, 'no-endpoint-nodeports', proto, p)
        fe.notes.push(fe.action === 'drop' ? 'has no local endpoints' : 'has no endpoints')
        frontends.push(fe)
      }
    }
    const targetOf = new Map(entries.map(({ fe, target }) => [fe, target]))
    const firewallOf = (fe: SvcFrontend) => (t.maps.get('firewall-ips') ?? []).find((el) => ofBase(el.target) && String(el.key[0]) === fe.ip && normProtocol(el.key[1]) === fe.protocol && Number(el.key[2]) === fe.port)?.target
    assignClients(frontends, (fe, block) => nftClientRoutes(t, fe, targetOf.get(fe)!, firewallOf(fe), chains, block, exprText))
    const chainList = [...chains.values()]
    return { ...port, frontends, chains: chainList, endpoints: distinctEndpoints(chainList) }
  })
}

function walk(t: NftTable, start: string, fe: SvcFrontend, masq: string[], chains: Map<string, SvcChain>, spec: SvcSpec): void {
  const queue = [start]
  while (queue.length) {
    const name = queue.shift()!
    if (fe.path.includes(name)) continue
    fe.path.push(name)
    const rules = t.chains.get(name)
    if (!rules) {
      fe.notes.push(`chain ${name} is referenced but does not exist`)
      continue
    }
    const parsed = nftChainName(name)
    if ((parsed?.prefix === 'service' || parsed?.prefix === 'local') && !chains.has(name)) chains.set(name, endpointChain(t, name, rules, spec))
    for (const r of rules) {
      const target = verdictOf(r)
      if (target === 'mark-for-masquerade') {
        if (applies(r, fe)) masq.push(masqCondition(r))
      } else if (target && nftChainName(target) && nftChainName(target)!.prefix !== 'endpoint') {
        queue.push(target)
      } else if (r.expr.some((e) => e && typeof e === 'object' && ('drop' in e || 'reject' in e))) {
        fe.notes.push(`${name}: ${r.text}`)
      }
    }
  }
}

function endpointChain(t: NftTable, name: string, rules: NftRule[], spec: SvcSpec): SvcChain {
  const out: SvcChain = { name, kind: name.startsWith('local-') ? 'local' : 'cluster', family: spec.family, endpoints: [], notes: [] }
  const affinity = new Map<string, number>()
  for (const r of rules) {
    const target = verdictOf(r)
    const set = matches(r).find((m) => typeof m.right === 'string' && m.right.startsWith('@affinity-'))
    if (target && set) affinity.set(target, t.sets.get(set.right.slice(1))?.timeout ?? 0)
    const vmap = r.expr.find((e) => e && typeof e === 'object' && 'vmap' in e)?.vmap
    if (!vmap?.key?.numgen) continue
    const mod: number = vmap.key.numgen.mod
    const counts = new Map<string, number>()
    for (const [k, v] of vmap.data?.set ?? []) {
      const tgt = (v?.goto ?? v?.jump)?.target
      if (!tgt) continue
      const n = k && typeof k === 'object' && 'range' in k ? k.range[1] - k.range[0] + 1 : 1
      counts.set(tgt, (counts.get(tgt) ?? 0) + n)
    }
    for (const [tgt, n] of counts) out.endpoints.push(endpointOf(t, tgt, mod > 0 ? n / mod : undefined, spec))
  }
  for (const e of out.endpoints) if (affinity.has(e.chain)) e.affinitySeconds = affinity.get(e.chain)
  return out
}

function endpointOf(t: NftTable, chain: string, probability: number | undefined, spec: SvcSpec): SvcEndpoint {
  const rules = t.chains.get(chain) ?? []
  const dnatRule = rules.find((r) => r.expr.some((e) => e && typeof e === 'object' && 'dnat' in e))
  const dnat = dnatRule?.expr.find((e) => e && typeof e === 'object' && 'dnat' in e)?.dnat
  // the chain name ends in "__ip/port"
  const m = /^(.+)\/(\d+)$/.exec(nftChainName(chain)?.endpoint ?? '')
  const fromName = m ? { ip: m[1], port: Number(m[2]) } : undefined
  const l4 = dnatRule && matches(dnatRule).find((m) => field(m) === 'meta l4proto')
  const ep: SvcEndpoint = {
    ip: dnat?.addr ?? fromName?.ip ?? '',
    port: dnat?.port ?? fromName?.port ?? 0,
    protocol: l4 ? normProtocol(l4.right) : normProtocol(nftChainName(chain)?.base.split('/')[2]),
    family: spec.family,
    chain,
    hairpinMasquerade: rules.some((r) => verdictOf(r) === 'mark-for-masquerade' && matches(r).some((m) => /^ip6? saddr$/.test(field(m)) && m.op === '==')),
    rule: dnatRule?.text ?? `(chain ${chain} ${t.chains.has(chain) ? 'has no dnat rule' : 'does not exist'})`,
  }
  if (probability !== undefined) ep.probability = probability
  if (dnatRule?.counters) ep.counters = dnatRule.counters
  return ep
}
