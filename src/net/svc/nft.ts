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

/** Parses the JSON of `nft -j list table FAMILY NAME` (text or already parsed); pieces of an unexpected shape are skipped. */
export function parseNftJson(input: string | object): NftTable {
  let doc: any
  try {
    doc = typeof input === 'string' ? JSON.parse(input) : input
  } catch (e) {
    throw new SvcRulesError(
      'parse',
      'nft -j: the output is not JSON',
      'run `nft -j list table ip kube-proxy` on the node to see what it prints',
      e,
    )
  }
  const items: unknown[] = doc?.nftables
  if (!Array.isArray(items))
    throw new SvcRulesError(
      'parse',
      'nft -j: expected an object with an "nftables" array',
      'is nft older than 0.9 (no JSON output)?',
    )
  const t: NftTable = { family: '', name: '', sets: new Map(), maps: new Map(), chains: new Map(), hooks: new Map() }
  for (const it of items) {
    if (!isObj(it)) continue
    if (isObj(it.table)) Object.assign(t, { family: str(it.table.family) ?? '', name: str(it.table.name) ?? '' })
    else if (isObj(it.set) && str(it.set.name) !== undefined) {
      const type =
        typeof it.set.type === 'string' ||
        (Array.isArray(it.set.type) && it.set.type.every((x) => typeof x === 'string'))
          ? it.set.type
          : ''
      const timeout = typeof it.set.timeout === 'number' && it.set.timeout >= 0 ? it.set.timeout : undefined
      t.sets.set(it.set.name, { type, elements: list(it.set.elem).map((e) => exprText(unwrapElem(e).val)), timeout })
    } else if (isObj(it.map) && str(it.map.name) !== undefined)
      t.maps.set(it.map.name, list(it.map.elem).map(mapElement))
    else if (isObj(it.chain) && str(it.chain.name) !== undefined) {
      t.chains.set(it.chain.name, t.chains.get(it.chain.name) ?? [])
      if (typeof it.chain.hook === 'string') t.hooks!.set(it.chain.name, it.chain.hook)
    } else if (isObj(it.rule) && str(it.rule.chain) !== undefined) {
      const r = it.rule
      const expr = list(r.expr)
      const comment = str(r.comment)
      const c = expr.find((e) => isObj(e) && 'counter' in e)?.counter
      const rule: NftRule = {
        chain: r.chain,
        handle: typeof r.handle === 'number' ? r.handle : undefined,
        comment,
        expr,
        text: expr.map((e) => exprText(e)).join(' ') + (comment ? ` comment "${comment}"` : ''),
      }
      if (isObj(c) && count(c.packets ?? 0) !== undefined && count(c.bytes ?? 0) !== undefined)
        rule.counters = { packets: c.packets ?? 0, bytes: c.bytes ?? 0 }
      const rules = t.chains.get(r.chain) ?? []
      rules.push(rule)
      t.chains.set(r.chain, rules)
    }
  }
  return t
}

const isObj = (x: unknown): x is Record<string, any> => x !== null && typeof x === 'object' && !Array.isArray(x)
const str = (x: unknown): string | undefined => (typeof x === 'string' ? x : undefined)
const list = (x: unknown): any[] => (Array.isArray(x) ? x : [])
/** A port number (0-65535) from a number or digits, else undefined. */
const portNumber = (x: unknown): number | undefined => {
  const n = typeof x === 'string' && /^\d{1,5}$/.test(x) ? Number(x) : x
  return Number.isInteger(n) && (n as number) <= 65535 && (n as number) >= 0 ? (n as number) : undefined
}
/** Text of any JSON value: objects as JSON (String() throws on one with a "toString" key that is no function). */
const txt = (x: unknown): string => (x !== null && typeof x === 'object' ? JSON.stringify(x) : String(x))
const count = (x: unknown): number | undefined =>
  Number.isSafeInteger(x) && (x as number) >= 0 ? (x as number) : undefined

function unwrapElem(e: any): { val: any; comment?: string } {
  if (isObj(e) && 'elem' in e)
    return isObj(e.elem) ? { val: e.elem.val, comment: str(e.elem.comment) } : { val: undefined }
  return { val: e }
}

function mapElement(pair: any): NftMapElement {
  const [k, v] = Array.isArray(pair) ? pair : [pair, undefined]
  const { val: key, comment } = unwrapElem(k)
  const part = (x: unknown) => (typeof x === 'number' ? x : exprText(x))
  const parts: (string | number)[] = isObj(key) && 'concat' in key ? list(key.concat).map(part) : [part(key)]
  const verdict = isObj(v) ? (Object.keys(v)[0] ?? '') : txt(v)
  return { key: parts, comment, verdict, target: isObj(v) && isObj(v[verdict]) ? str(v[verdict].target) : undefined }
}

const OBJ_EXPR = new Set([
  'payload',
  'meta',
  'ct',
  'fib',
  'prefix',
  'elem',
  'match',
  'jump',
  'goto',
  'vmap',
  'numgen',
  'dnat',
  'snat',
  'mangle',
  'update',
  'add',
])
const LIST_EXPR = new Set(['range', 'concat', '|', '&', '^'])

/** nft syntax for one JSON expression (the common kube-proxy ones; anything else, or anything of an unexpected shape, as JSON). */
export function exprText(e: any, depth = 0): string {
  if (e === null || e === undefined) return ''
  if (typeof e !== 'object') return String(e) // a JSON primitive
  if (depth > 32) return '…'
  const x = (y: unknown) => exprText(y, depth + 1)
  if (Array.isArray(e)) return e.map(x).join(' . ')
  const [k] = Object.keys(e)
  const v = e[k]
  if ((OBJ_EXPR.has(k) && !isObj(v)) || (LIST_EXPR.has(k) && !Array.isArray(v))) return JSON.stringify(e)
  const o: Record<string, any> = isObj(v) ? v : {}
  const pair = Array.isArray(v) ? v : []
  switch (k) {
    case 'payload':
      return `${txt(o.protocol)} ${txt(o.field)}`
    case 'meta':
      return `meta ${txt(o.key)}`
    case 'ct':
      return `ct ${txt(o.key)}`
    case 'fib':
      return `fib ${([] as unknown[])
        .concat(o.flags ?? [])
        .map(txt)
        .join(' . ')} type`
    case 'prefix':
      return `${txt(o.addr)}/${txt(o.len)}`
    case 'range':
      return `${x(pair[0])}-${x(pair[1])}`
    case 'concat':
      return pair.map(x).join(' . ')
    case 'set':
      return Array.isArray(v)
        ? `{ ${v.map((y: any) => (Array.isArray(y) ? `${x(y[0])} : ${x(y[1])}` : x(y))).join(', ')} }`
        : txt(v)
    case 'elem':
      return x(o.val)
    case 'match': {
      const op = o.op === '==' || o.op === 'in' ? '' : ` ${txt(o.op)}`
      return `${x(o.left)}${op} ${x(o.right)}`
    }
    case 'counter':
      return `counter packets ${txt(o.packets ?? 0)} bytes ${txt(o.bytes ?? 0)}`
    case 'jump':
    case 'goto':
      return `${k} ${txt(o.target)}`
    case 'vmap':
      return `${x(o.key)} vmap ${x(o.data)}`
    case 'numgen':
      return `numgen ${txt(o.mode)} mod ${txt(o.mod)}${o.offset ? ` offset ${txt(o.offset)}` : ''}`
    case 'dnat':
    case 'snat':
      return `${k} to ${txt(o.addr)}${o.port !== undefined ? `:${txt(o.port)}` : ''}`
    case 'mangle':
      return `${x(o.key)} set ${x(o.value)}`
    case '|':
    case '&':
    case '^':
      return `${x(pair[0])} ${k} ${x(pair[1])}`
    case 'masquerade':
      return `masquerade${o.flags ? ` ${([] as unknown[]).concat(o.flags).map(txt).join(',')}` : ''}`
    case 'reject':
      return 'reject'
    case 'drop':
    case 'accept':
    case 'return':
    case 'continue':
      return k
    case 'update':
    case 'add':
      return `${k} ${txt(o.set)} { ${x(o.elem)} }`
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

const matches = (r: NftRule) => r.expr.filter((e) => isObj(e) && isObj(e.match)).map((e) => e.match)
const field = (m: any) =>
  isObj(m.left?.payload)
    ? `${txt(m.left.payload.protocol)} ${txt(m.left.payload.field)}`
    : m.left?.fib
      ? 'fib'
      : exprText(m.left)
const verdictOf = (r: NftRule) =>
  str(r.expr.map((e) => (isObj(e) ? (e.jump ?? e.goto) : undefined)).find(isObj)?.target)

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
    if (/^(tcp|udp|sctp) dport$/.test(f) && m.op === '==' && typeof m.right === 'number' && m.right !== fe.port)
      return false
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
    const mk = (
      kind: SvcFrontend['kind'],
      ip: string,
      el: NftMapElement,
      map: string,
      proto: unknown,
      p: unknown,
    ): SvcFrontend => {
      const rule = `${el.key.join(' . ')}${el.comment ? ` comment "${el.comment}"` : ''} : ${el.verdict}${el.target ? ` ${el.target}` : ''}`
      const pn = portNumber(p)
      if (pn === undefined)
        throw new SvcRulesError(
          'parse',
          `nft -j: an element of map ${map} has no port number where one was expected: ${JSON.stringify(rule)}`,
          'run `nft list table ip kube-proxy` on the node to see the map',
        )
      return {
        kind,
        ip,
        port: pn,
        protocol: normProtocol(proto),
        family: spec.family,
        action:
          el.verdict === 'drop'
            ? 'drop'
            : el.target === 'reject-chain' || el.verdict === 'reject'
              ? 'reject'
              : 'forward',
        path: [`@${map}`],
        rule,
        notes: [],
      }
    }
    const entries: { fe: SvcFrontend; target: string }[] = []
    for (const el of t.maps.get('service-ips') ?? []) {
      if (!ofBase(el.target)) continue
      const [ip, proto, p] = el.key
      const kind =
        frontendKindOf(spec, String(ip)) ??
        (nftChainName(el.target!)!.prefix === 'external' ? 'ExternalIP' : 'ClusterIP')
      entries.push({ fe: mk(kind, String(ip), el, 'service-ips', proto, p), target: el.target! })
    }
    for (const el of t.maps.get('service-nodeports') ?? []) {
      if (!ofBase(el.target)) continue
      const [proto, p] = el.key
      for (const ip of nodeIPs.length ? nodeIPs : ['*'])
        entries.push({ fe: mk('NodePort', ip, el, 'service-nodeports', proto, p), target: el.target! })
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
      for (const fe of frontends)
        if (fe.ip === String(el.key[0]) && fe.port === Number(el.key[2]))
          fe.notes.push(`@firewall-ips -> ${el.target}: ${drops.join('; ')}`)
    }
    const noEp = (el: NftMapElement, keyMatches: boolean) =>
      el.comment !== undefined ? el.comment === spn : keyMatches
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
    const firewallOf = (fe: SvcFrontend) =>
      (t.maps.get('firewall-ips') ?? []).find(
        (el) =>
          ofBase(el.target) &&
          String(el.key[0]) === fe.ip &&
          normProtocol(el.key[1]) === fe.protocol &&
          Number(el.key[2]) === fe.port,
      )?.target
    assignClients(frontends, (fe, block) =>
      nftClientRoutes(t, fe, targetOf.get(fe)!, firewallOf(fe), chains, block, exprText),
    )
    const chainList = [...chains.values()]
    return { ...port, frontends, chains: chainList, endpoints: distinctEndpoints(chainList) }
  })
}

function walk(
  t: NftTable,
  start: string,
  fe: SvcFrontend,
  masq: string[],
  chains: Map<string, SvcChain>,
  spec: SvcSpec,
): void {
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
    if ((parsed?.prefix === 'service' || parsed?.prefix === 'local') && !chains.has(name))
      chains.set(name, endpointChain(t, name, rules, spec))
    for (const r of rules) {
      const target = verdictOf(r)
      if (target === 'mark-for-masquerade') {
        if (applies(r, fe)) masq.push(masqCondition(r))
      } else if (target && nftChainName(target) && nftChainName(target)!.prefix !== 'endpoint') {
        queue.push(target)
      } else if (r.expr.some((e) => isObj(e) && ('drop' in e || 'reject' in e))) {
        fe.notes.push(`${name}: ${r.text}`)
      }
    }
  }
}

function endpointChain(t: NftTable, name: string, rules: NftRule[], spec: SvcSpec): SvcChain {
  const out: SvcChain = {
    name,
    kind: name.startsWith('local-') ? 'local' : 'cluster',
    family: spec.family,
    endpoints: [],
    notes: [],
  }
  const affinity = new Map<string, number>()
  let picked = false
  for (const r of rules) {
    const target = verdictOf(r)
    const set = matches(r).find((m) => typeof m.right === 'string' && m.right.startsWith('@affinity-'))
    if (target && set) affinity.set(target, t.sets.get(set.right.slice(1))?.timeout ?? 0)
    const vmap = r.expr.find((e) => isObj(e) && 'vmap' in e)?.vmap
    if (picked || !isObj(vmap) || !isObj(vmap.key?.numgen)) continue
    // The chain's (first) numgen vmap picks the endpoint: numgen yields 0 .. mod-1, and an endpoint's share is how many
    // of those values its keys cover. Elements overlapping an earlier one are ignored (nft refuses them in a map).
    picked = true
    const mod = count(vmap.key.numgen.mod) ?? 0
    const counts = new Map<string, number>()
    const taken: [number, number][] = []
    for (const el of list(vmap.data?.set)) {
      const [k, v] = list(el)
      const tgt = isObj(v) ? str((v.goto ?? v.jump)?.target) : undefined
      const [lo, hi] = isObj(k) && 'range' in k ? list(k.range) : [k, k]
      if (
        !tgt ||
        typeof lo !== 'number' ||
        typeof hi !== 'number' ||
        hi < lo ||
        taken.some(([a, b]) => lo <= b && hi >= a)
      )
        continue
      taken.push([lo, hi])
      counts.set(tgt, (counts.get(tgt) ?? 0) + Math.max(0, Math.min(hi, mod - 1) - Math.max(lo, 0) + 1))
    }
    for (const [tgt, n] of counts) out.endpoints.push(endpointOf(t, tgt, mod > 0 ? n / mod : undefined, spec))
  }
  for (const e of out.endpoints) if (affinity.has(e.chain)) e.affinitySeconds = affinity.get(e.chain)
  return out
}

function endpointOf(t: NftTable, chain: string, probability: number | undefined, spec: SvcSpec): SvcEndpoint {
  const rules = t.chains.get(chain) ?? []
  const dnatRule = rules.find((r) => r.expr.some((e) => isObj(e) && isObj(e.dnat)))
  const dnat = dnatRule?.expr.find((e) => isObj(e) && isObj(e.dnat))?.dnat
  // the chain name ends in "__ip/port"
  const m = /^(.+)\/(\d+)$/.exec(nftChainName(chain)?.endpoint ?? '')
  const fromName = m ? { ip: m[1], port: portNumber(m[2]) } : undefined
  const l4 = dnatRule && matches(dnatRule).find((m) => field(m) === 'meta l4proto')
  const ep: SvcEndpoint = {
    ip: str(dnat?.addr) ?? fromName?.ip ?? '',
    port: portNumber(dnat?.port) ?? fromName?.port ?? 0,
    protocol: l4 ? normProtocol(l4.right) : normProtocol(nftChainName(chain)?.base.split('/')[2]),
    family: spec.family,
    chain,
    hairpinMasquerade: rules.some(
      (r) =>
        verdictOf(r) === 'mark-for-masquerade' &&
        matches(r).some((m) => /^ip6? saddr$/.test(field(m)) && m.op === '=='),
    ),
    rule: dnatRule?.text ?? `(chain ${chain} ${t.chains.has(chain) ? 'has no dnat rule' : 'does not exist'})`,
  }
  if (probability !== undefined) ep.probability = probability
  if (dnatRule?.counters) ep.counters = dnatRule.counters
  return ep
}
