// iptables mode: extracts one Service's kube-proxy chains from a parsed iptables-save (iptables-save.ts).
import { assignClients } from './clients.ts'
import { SvcRulesError } from './errors.ts'
import { iptClientRoutes } from './iptclass.ts'
import { opt, val, type IptablesDump, type IptChain, type IptRule } from './iptables-save.ts'
import {
  distinctEndpoints,
  frontendKindOf,
  hostAddress,
  joinMasq,
  normProtocol,
  servicePortName,
  splitHostPort,
} from './spec.ts'
import type { SvcChain, SvcEndpoint, SvcFrontend, SvcPortRules, SvcSpec } from './types.ts'

export * from './iptables-save.ts'

/** Splits a kube-proxy comment "ns/name:port cluster IP" into the service port name and the remark. */
export function splitComment(comment: string | undefined): { spn: string; remark: string } | undefined {
  if (!comment) return undefined
  const m = /^([^\s/]+\/[^\s:]+(?::[^\s]*)?)(?:\s+(.*))?$/.exec(comment)
  return m ? { spn: m[1], remark: m[2] ?? '' } : undefined
}

/** "if src not in 10.244.0.0/16", "if src is local", "always": when a KUBE-MARK-MASQ rule fires. */
export function masqueradeCondition(r: IptRule): string {
  const parts: string[] = []
  const s = opt(r, '-s')
  if (s) parts.push(`src ${s.neg ? 'not in' : 'in'} ${s.values[0]}`)
  const st = opt(r, '--src-type')
  if (st) parts.push(`src ${st.neg ? 'is not' : 'is'} ${st.values[0].toLowerCase()}`)
  return parts.length ? `if ${parts.join(' and ')}` : 'always'
}

/** A rule's --dport as a port number; SvcRulesError when it is something else (kube-proxy writes single ports). */
function dportOf(r: IptRule): number | undefined {
  const d = val(r, '--dport')
  if (d === undefined) return undefined
  if (!/^\d{1,5}$/.test(d) || Number(d) > 65535)
    throw new SvcRulesError(
      'parse',
      `iptables-save: --dport ${JSON.stringify(d.slice(0, 40))} is not a port number in ${JSON.stringify(r.text.slice(0, 160))}`,
    )
  return Number(d)
}

/** A rule's --probability (0..1); SvcRulesError when it is something else. */
function probabilityOf(r: IptRule): number {
  const p = Number(val(r, '--probability'))
  if (!(p >= 0 && p <= 1))
    throw new SvcRulesError(
      'parse',
      `iptables-save: --probability ${JSON.stringify(val(r, '--probability')?.slice(0, 40))} is not a probability in ${JSON.stringify(r.text.slice(0, 160))}`,
    )
  return p
}

function applies(r: IptRule, fe: SvcFrontend): boolean {
  const d = val(r, '-d')
  if (d && hostAddress(d) !== fe.ip) return false
  const dport = val(r, '--dport')
  return !(dport && Number(dport) !== fe.port)
}

/** The rules of one Service (for the family of `spec`) in an iptables-save dump, per Service port. */
export function iptablesSvcRules(dump: IptablesDump, spec: SvcSpec): SvcPortRules[] {
  const nat = dump.tables.nat ?? new Map<string, IptChain>()
  const filter = dump.tables.filter ?? new Map<string, IptChain>()
  const rulesOf = (t: Map<string, IptChain>, c: string) => t.get(c)?.rules ?? []
  const nodePortAddrs = rulesOf(nat, 'KUBE-SERVICES')
    .filter((r) => r.target === 'KUBE-NODEPORTS')
    .map((r) => (val(r, '-d') ? hostAddress(val(r, '-d')!) : '*'))
  if (!nodePortAddrs.length) nodePortAddrs.push('*')

  return spec.ports.map((port): SvcPortRules => {
    const spn = servicePortName(spec, port.name)
    // an unnamed port reads "ns/name" (very old kube-proxy wrote "ns/name:")
    const mine = (r: IptRule) =>
      splitComment(r.comment)?.spn === spn || (port.name === '' && splitComment(r.comment)?.spn === `${spn}:`)
    const frontends: SvcFrontend[] = []
    const chains = new Map<string, SvcChain>()
    const mk = (
      kind: SvcFrontend['kind'],
      ip: string,
      r: IptRule,
      entry: string,
      action: SvcFrontend['action'] = 'forward',
    ): SvcFrontend => ({
      kind,
      ip,
      port: dportOf(r) ?? (kind === 'NodePort' ? (port.nodePort ?? 0) : port.port),
      protocol: val(r, '-p') ? normProtocol(val(r, '-p')) : port.protocol,
      family: spec.family,
      action,
      path: [entry],
      ...(r.counters ? { counters: r.counters } : {}),
      rule: r.text,
      notes: [],
    })

    const entries: { fe: SvcFrontend; r: IptRule }[] = []
    for (const r of rulesOf(nat, 'KUBE-SERVICES')) {
      if (!mine(r) || r.target === 'KUBE-MARK-MASQ' || !r.target) continue
      const d = val(r, '-d')
      const remark = splitComment(r.comment)!.remark
      const kind =
        remark === 'cluster IP'
          ? 'ClusterIP'
          : remark === 'external IP'
            ? 'ExternalIP'
            : remark === 'loadbalancer IP'
              ? 'LoadBalancer'
              : d
                ? frontendKindOf(spec, d)
                : undefined
      if (kind && d) entries.push({ fe: mk(kind, hostAddress(d), r, 'KUBE-SERVICES'), r })
    }
    for (const r of rulesOf(nat, 'KUBE-NODEPORTS')) {
      if (!mine(r) || r.target === 'KUBE-MARK-MASQ' || !r.target) continue
      const d = val(r, '-d')
      for (const ip of d ? [hostAddress(d)] : nodePortAddrs) {
        const fe = mk('NodePort', ip, r, 'KUBE-NODEPORTS')
        if (d?.startsWith('127.')) fe.notes.push('NodePort on localhost (route_localnet)')
        entries.push({ fe, r })
      }
    }
    const entryRule = new Map(entries.map(({ fe, r }) => [fe, r]))
    for (const { fe, r } of entries) {
      const masq: string[] = []
      // older kube-proxy marks for masquerade in the entry chain itself
      for (const m of rulesOf(nat, fe.path[0]))
        if (mine(m) && m.target === 'KUBE-MARK-MASQ' && applies(m, fe)) masq.push(masqueradeCondition(m))
      walk(nat, r.target!, fe, masq, chains, port.protocol, spec)
      fe.masquerade = joinMasq(masq)
      frontends.push(fe)
    }

    for (const chainName of ['KUBE-SERVICES', 'KUBE-EXTERNAL-SERVICES', 'KUBE-PROXY-FIREWALL', 'KUBE-NODEPORTS']) {
      for (const r of rulesOf(filter, chainName)) {
        if (!mine(r)) continue
        const action = r.target === 'REJECT' ? 'reject' : r.target === 'DROP' ? 'drop' : undefined
        if (!action) continue
        const d = val(r, '-d')
        const local = opt(r, '--dst-type')?.values[0] === 'LOCAL'
        const kind = d
          ? (frontendKindOf(spec, d) ?? 'ClusterIP')
          : local || Number(val(r, '--dport')) === port.nodePort
            ? 'NodePort'
            : 'ClusterIP'
        const ips = d ? [hostAddress(d)] : kind === 'NodePort' ? (local ? ['*'] : nodePortAddrs) : ['*']
        for (const ip of ips) {
          const fe = mk(kind, ip, r, `filter ${chainName}`, action)
          fe.notes.push(splitComment(r.comment)!.remark)
          frontends.push(fe)
        }
      }
    }
    assignClients(frontends, (fe, block) => {
      const entry = rulesOf(nat, fe.path[0])
      const upTo = entry.indexOf(entryRule.get(fe)!)
      return iptClientRoutes(nat, filter, fe, entry.slice(0, upTo + 1).filter(mine), chains, block)
    })
    const chainList = [...chains.values()]
    return { ...port, frontends, chains: chainList, endpoints: distinctEndpoints(chainList) }
  })
}

/** Follows a frontend's jumps through KUBE-EXT/KUBE-FW/KUBE-XLB chains to the KUBE-SVC/KUBE-SVL chains. */
function walk(
  nat: Map<string, IptChain>,
  start: string,
  fe: SvcFrontend,
  masq: string[],
  chains: Map<string, SvcChain>,
  proto: SvcEndpoint['protocol'],
  spec: SvcSpec,
): void {
  const queue = [start]
  while (queue.length) {
    const name = queue.shift()!
    if (fe.path.includes(name)) continue
    fe.path.push(name)
    const chain = nat.get(name)
    if (!chain) {
      fe.notes.push(`chain ${name} is referenced but does not exist`)
      continue
    }
    // older kube-proxy (before 1.24) picks the local endpoints in KUBE-XLB- itself
    const isSvc =
      /^KUBE-SV[CL]-/.test(name) ||
      (name.startsWith('KUBE-XLB-') && chain.rules.some((r) => r.target?.startsWith('KUBE-SEP-')))
    if (isSvc && !chains.has(name)) chains.set(name, endpointChain(nat, chain, proto, spec))
    for (const r of chain.rules) {
      const t = r.target
      if (t === 'KUBE-MARK-MASQ') {
        if (applies(r, fe)) masq.push(masqueradeCondition(r))
      } else if (t === 'KUBE-MARK-DROP' || t === 'DROP' || t === 'REJECT') {
        fe.notes.push(`${name}: ${r.comment ?? t}`)
      } else if (!t) {
        if (r.comment) fe.notes.push(`${name}: ${r.comment}`)
      } else if (t.startsWith('KUBE-') && !t.startsWith('KUBE-SEP-')) {
        const s = opt(r, '-s')
        if (s && name.startsWith('KUBE-FW-'))
          fe.notes.push(`${name}: allows src ${s.neg ? 'not in ' : ''}${s.values[0]}`)
        queue.push(t)
      }
    }
  }
}

/** A KUBE-SVC-/KUBE-SVL-/KUBE-XLB- chain with its endpoints and their effective probabilities. */
function endpointChain(
  nat: Map<string, IptChain>,
  chain: IptChain,
  proto: SvcEndpoint['protocol'],
  spec: SvcSpec,
): SvcChain {
  const out: SvcChain = {
    name: chain.name,
    kind: /^KUBE-(SVL|XLB)-/.test(chain.name) ? 'local' : 'cluster',
    family: spec.family,
    endpoints: [],
    notes: [],
  }
  const affinity = new Map<string, number>()
  let remaining = 1
  for (const r of chain.rules) {
    const t = r.target ?? ''
    if (!t.startsWith('KUBE-SEP-')) {
      if (t === 'KUBE-MARK-DROP' || t === 'DROP' || t === 'REJECT') out.notes.push(r.comment ?? t)
      continue
    }
    if (opt(r, '--rcheck')) {
      affinity.set(t, Number(val(r, '--seconds') ?? 0))
      continue
    }
    const p = opt(r, '--probability') ? probabilityOf(r) : undefined
    const eff = remaining * (p ?? 1)
    remaining -= eff
    out.endpoints.push(sepEndpoint(nat, t, r, eff, p, proto, spec))
  }
  for (const e of out.endpoints) if (affinity.has(e.chain)) e.affinitySeconds = affinity.get(e.chain)
  return out
}

function sepEndpoint(
  nat: Map<string, IptChain>,
  sep: string,
  jump: IptRule,
  probability: number,
  ruleProbability: number | undefined,
  proto: SvcEndpoint['protocol'],
  spec: SvcSpec,
): SvcEndpoint {
  const rules = nat.get(sep)?.rules ?? []
  const dnat = rules.find((r) => r.target === 'DNAT')
  const to =
    splitHostPort(val(dnat ?? jump, '--to-destination') ?? '') ??
    splitHostPort(/->\s*(\S+)$/.exec(jump.comment ?? '')?.[1] ?? '')
  const ep: SvcEndpoint = {
    ip: to?.ip ?? '',
    port: to?.port ?? 0,
    protocol: dnat && val(dnat, '-p') ? normProtocol(val(dnat, '-p')) : proto,
    family: spec.family,
    probability,
    chain: sep,
    hairpinMasquerade: rules.some((r) => r.target === 'KUBE-MARK-MASQ' && opt(r, '-s') && !opt(r, '-s')!.neg),
    rule: dnat?.text ?? `${jump.text}  (chain ${sep} does not exist)`,
  }
  if (ruleProbability !== undefined) ep.ruleProbability = ruleProbability
  const counters = dnat?.counters ?? jump.counters
  if (counters) ep.counters = counters
  if (!ep.ip) ep.rule = `${jump.text}  (no DNAT target found)`
  return ep
}
