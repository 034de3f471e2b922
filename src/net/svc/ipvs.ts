// ipvs mode: parses `ipvsadm -Ln`, `ipvsadm -Ln --stats --exact` and `ipset list`, and extracts one Service.
// Written from ipvsadm(8) and kube-proxy's ipvs proxier; the lab kernel has no IPVS, so no real capture backs it.
import { SvcRulesError } from './errors.ts'
import { masqueradeCondition, opt, type IptablesDump } from './iptables.ts'
import { distinctEndpoints, familyOf, frontendKindOf, hostPort, joinMasq, normProtocol, splitHostPort } from './spec.ts'
import type { Counters, Protocol, SvcChain, SvcEndpoint, SvcFrontend, SvcPortRules, SvcSpec } from './types.ts'

/** A real server of a virtual service. */
export interface IpvsReal {
  ip: string
  port: number
  forward: string
  weight: number
  activeConns: number
  inactiveConns: number
}

/** A virtual service line of `ipvsadm -Ln` and its real servers. */
export interface IpvsService {
  protocol: Protocol | 'FWM'
  ip: string
  port: number
  /** Firewall mark, for FWM services. */
  fwmark?: number
  scheduler: string
  /** Persistence timeout in seconds (`persistent N`). */
  persistent?: number
  /** Other flags printed after the scheduler (ops, mask …, (flag-1,…)). */
  flags: string[]
  reals: IpvsReal[]
  /** The line as printed. */
  text: string
}

/** Counters of `ipvsadm -Ln --stats` for one virtual service and its real servers (keyed "ip:port"). */
export interface IpvsStats {
  counters: Counters
  reals: Map<string, Counters>
}

/** An ipset of `ipset list`. */
export interface Ipset {
  name: string
  type: string
  members: string[]
}

// /s: without it a U+2028 (which \s matches and . does not) after a long scheduler word made (\S+)(.*)$ backtrack quadratically
const VS = /^(TCP|UDP|SCTP|FWM)\s+(\S+)\s+(\S+)(.*)$/s
const REAL = /^\s*->\s+(\S+)\s+(\S+)\s+(\d+)\s+(\d+)\s+(\d+)\s*$/

function address(s: string, line: string): { ip: string; port: number } {
  const a = splitHostPort(s)
  if (!a || a.port > 65535)
    throw new SvcRulesError(
      'parse',
      `ipvsadm: cannot read the address ${JSON.stringify(s)} in ${JSON.stringify(line.trim())}`,
      'run ipvsadm with -n (numeric addresses)',
    )
  return a
}

/** A count ipvsadm printed (digits, at most 64 bits); SvcRulesError naming the line otherwise. */
function whole(s: string | undefined, what: string, line: string): number {
  if (!/^\d{1,20}$/.test(s ?? '') || BigInt(s!) >= 2n ** 64n)
    throw new SvcRulesError(
      'parse',
      `ipvsadm: ${what} ${JSON.stringify((s ?? '').slice(0, 30))} is not a count in ${JSON.stringify(line.trim().slice(0, 160))}`,
    )
  return Number(s)
}

/** Parses `ipvsadm -Ln` (numeric listing): virtual services with scheduler, persistence and real servers. */
export function parseIpvsadm(text: string): IpvsService[] {
  const out: IpvsService[] = []
  for (const line of text.split('\n')) {
    if (!line.trim() || /^(IP Virtual Server|Prot )/.test(line) || /->\s+RemoteAddress/.test(line)) continue
    const v = VS.exec(line)
    if (v) {
      const rest = v[4].trim().split(/\s+/).filter(Boolean)
      const flags: string[] = []
      let persistent: number | undefined
      for (let i = 0; i < rest.length; i++) {
        if (rest[i] === 'persistent') persistent = whole(rest[++i], 'persistence timeout', line)
        else flags.push(rest[i])
      }
      const fwm = v[1] === 'FWM'
      const a = fwm ? { ip: '', port: 0 } : address(v[2], line)
      out.push({
        protocol: fwm ? 'FWM' : normProtocol(v[1]),
        ...a,
        fwmark: fwm ? whole(v[2], 'firewall mark', line) : undefined,
        scheduler: v[3],
        persistent,
        flags,
        reals: [],
        text: line.trim(),
      })
      continue
    }
    const r = REAL.exec(line)
    if (r) {
      const vs = out.at(-1)
      if (!vs)
        throw new SvcRulesError(
          'parse',
          `ipvsadm: real server line before any virtual service: ${JSON.stringify(line.trim())}`,
        )
      vs.reals.push({
        ...address(r[1], line),
        forward: r[2],
        weight: whole(r[3], 'weight', line),
        activeConns: whole(r[4], 'ActiveConn', line),
        inactiveConns: whole(r[5], 'InActConn', line),
      })
      continue
    }
    throw new SvcRulesError(
      'parse',
      `ipvsadm: unexpected line ${JSON.stringify(line.trim())}`,
      'expected the output of `ipvsadm -Ln`',
    )
  }
  return out
}

/** A counter as ipvsadm prints it: 123, or rounded 12K/3M/4G without --exact. */
export function ipvsNumber(s: string): number {
  const m = /^(\d+)([KMG]?)$/.exec(s)
  if (!m) return NaN
  return Number(m[1]) * { '': 1, K: 1e3, M: 1e6, G: 1e9 }[m[2] as '' | 'K' | 'M' | 'G']
}

/** Parses `ipvsadm -Ln --stats [--exact]`, keyed "PROT ip:port" (e.g. "TCP 10.96.0.1:443", "FWM 5"). */
export function parseIpvsadmStats(text: string): Map<string, IpvsStats> {
  const out = new Map<string, IpvsStats>()
  let cur: IpvsStats | undefined
  for (const line of text.split('\n')) {
    if (!line.trim() || /^(IP Virtual Server|Prot )/.test(line) || /->\s+RemoteAddress/.test(line)) continue
    const w = line.trim().split(/\s+/)
    const num = (x: string) => {
      const n = ipvsNumber(x)
      if (!(n < 2 ** 64))
        throw new SvcRulesError(
          'parse',
          `ipvsadm --stats: ${JSON.stringify(x.slice(0, 30))} is not a counter in ${JSON.stringify(line.trim().slice(0, 160))}`,
          'expected the output of `ipvsadm -Ln --stats`',
        )
      return n
    }
    const nums = (xs: string[]): Counters => ({ connections: num(xs[0]), packets: num(xs[1]), bytes: num(xs[3]) })
    if (/^(TCP|UDP|SCTP|FWM)$/.test(w[0]) && w.length >= 7) {
      cur = { counters: nums(w.slice(2)), reals: new Map() }
      out.set(`${w[0]} ${w[1]}`, cur)
    } else if (w[0] === '->' && w.length >= 7 && cur) {
      cur.reals.set(w[1], nums(w.slice(2)))
    } else {
      throw new SvcRulesError(
        'parse',
        `ipvsadm --stats: unexpected line ${JSON.stringify(line.trim())}`,
        'expected the output of `ipvsadm -Ln --stats`',
      )
    }
  }
  return out
}

/** Parses `ipset list` (all sets): name, type and members. */
export function parseIpsetList(text: string): Map<string, Ipset> {
  const out = new Map<string, Ipset>()
  let cur: Ipset | undefined
  let inMembers = false
  for (const line of text.split('\n')) {
    // [^\n]* rather than .*: a stray \r after a long blank run made "\s*(.*)$" backtrack quadratically
    const m = /^(\w[\w ]*):([^\n]*)$/.exec(line)
    if (m && !inMembers) {
      if (m[1] === 'Name') {
        cur = { name: m[2].trim(), type: '', members: [] }
        out.set(cur.name, cur)
      } else if (m[1] === 'Type' && cur) cur.type = m[2].trim()
      else if (m[1] === 'Members') inMembers = true
      continue
    }
    if (!line.trim()) {
      inMembers = false
      continue
    }
    if (inMembers && cur) cur.members.push(line.trim().split(/\s+/)[0])
  }
  return out
}

/** True when kube-proxy's ipvs rules are present (any virtual service). */
export function hasIpvsServices(services: IpvsService[]): boolean {
  return services.length > 0
}

function setHas(set: Ipset, ip: string, proto: string, port: number): boolean {
  const p = proto.toLowerCase()
  if (set.type.startsWith('bitmap:port'))
    return set.members.includes(String(port)) || set.members.includes(`${p}:${port}`)
  return set.members.includes(`${ip},${p}:${port}`)
}

/** The virtual services of one Service port (ClusterIP, external, load-balancer and NodePort addresses) with their real servers. */
export function ipvsSvcRules(
  services: IpvsService[],
  stats: Map<string, IpvsStats>,
  ipsets: Map<string, Ipset>,
  nat: IptablesDump | undefined,
  spec: SvcSpec,
): SvcPortRules[] {
  const masqRules = [...(nat?.tables.nat?.values() ?? [])]
    .flatMap((c) => c.rules)
    .filter((r) => r.target === 'KUBE-MARK-MASQ' && opt(r, '--match-set'))
  const loopback = [...ipsets.values()].filter((s) => /LOOP-BACK$/.test(s.name)).flatMap((s) => s.members)
  return spec.ports.map((port): SvcPortRules => {
    const frontends: SvcFrontend[] = []
    const chains: SvcChain[] = []
    for (const vs of services) {
      if (vs.protocol !== port.protocol || familyOf(vs.ip) !== spec.family) continue
      const kind =
        vs.port === port.port
          ? frontendKindOf(spec, vs.ip)
          : port.nodePort !== undefined && vs.port === port.nodePort
            ? 'NodePort'
            : undefined
      if (!kind) continue
      const name = `${vs.protocol} ${hostPort(vs.ip, vs.port)}`
      const st = stats.get(name)
      const policy = kind === 'ClusterIP' ? spec.internalTrafficPolicy : spec.externalTrafficPolicy
      const random = /^(rr|wrr)$/.test(vs.scheduler)
      const total = vs.reals.reduce((s, r) => s + r.weight, 0)
      const endpoints = vs.reals.map((r): SvcEndpoint => {
        const e: SvcEndpoint = {
          ip: r.ip,
          port: r.port,
          protocol: port.protocol,
          family: familyOf(r.ip),
          weight: r.weight,
          activeConns: r.activeConns,
          inactiveConns: r.inactiveConns,
          chain: `-> ${hostPort(r.ip, r.port)}`,
          hairpinMasquerade: loopback.includes(`${r.ip},${port.protocol.toLowerCase()}:${r.port},${r.ip}`),
          rule: `-> ${hostPort(r.ip, r.port)}  ${r.forward} ${r.weight} ${r.activeConns} ${r.inactiveConns}`,
        }
        if (random && total > 0) e.probability = r.weight / total
        if (vs.persistent !== undefined) e.affinitySeconds = vs.persistent
        const c = st?.reals.get(hostPort(r.ip, r.port))
        if (c) e.counters = c
        return e
      })
      const notes = random
        ? []
        : [`scheduler ${vs.scheduler}: the choice depends on connection counts, not a fixed probability`]
      chains.push({
        name,
        kind: policy === 'Local' ? 'local' : 'cluster',
        family: spec.family,
        scheduler: vs.scheduler,
        endpoints,
        notes,
      })
      const fe: SvcFrontend = {
        kind,
        ip: vs.ip,
        port: vs.port,
        protocol: port.protocol,
        family: spec.family,
        action: vs.reals.length ? 'forward' : 'reject',
        path: ['ipvs', name],
        rule: vs.text,
        notes: [],
      }
      if (st) fe.counters = st.counters
      if (!vs.reals.length)
        fe.notes.push(
          'virtual server has no real servers: new connections get a reset / port unreachable from kube-ipvs0',
        )
      const sets = [...ipsets.values()].filter((s) => setHas(s, vs.ip, port.protocol, vs.port))
      if (sets.length) fe.notes.push(`in ipset ${sets.map((s) => s.name).join(', ')}`)
      const masq = masqRules
        .filter((r) => {
          const set = ipsets.get(opt(r, '--match-set')!.values[0])
          const p = opt(r, '-p')?.values[0]
          return !!set && setHas(set, vs.ip, port.protocol, vs.port) && (!p || normProtocol(p) === port.protocol)
        })
        .map(masqueradeCondition)
      const m = joinMasq(masq)
      if (m) fe.masquerade = m
      frontends.push(fe)
    }
    return { ...port, frontends, chains, endpoints: distinctEndpoints(chains) }
  })
}
