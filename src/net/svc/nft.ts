// nftables mode: extracts one Service's maps, chains and endpoints from kube-proxy's table (parsed by nft-json.ts).
import { assignClients } from './clients.ts'
import { SvcRulesError } from './errors.ts'
import { count, exprText, isObj, list, str, txt, type NftMapElement, type NftRule, type NftTable } from './nft-json.ts'
import { nftClientRoutes } from './nftclass.ts'
import { distinctEndpoints, frontendKindOf, joinMasq, normProtocol, servicePortName } from './spec.ts'
import type { SvcChain, SvcEndpoint, SvcFrontend, SvcPortRules, SvcSpec } from './types.ts'

export { exprText, parseNftJson, type NftMapElement, type NftRule, type NftSet, type NftTable } from './nft-json.ts'

/** A port number (0-65535) from a number or digits, else undefined. */
const portNumber = (x: unknown): number | undefined => {
  const n = typeof x === 'string' && /^\d{1,5}$/.test(x) ? Number(x) : x
  return Number.isInteger(n) && (n as number) <= 65535 && (n as number) >= 0 ? (n as number) : undefined
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
