// The Service fields kube-proxy acts on, per IP family, and small helpers shared by the three mode parsers.
import type { Service } from '../../kube/types.ts'
import type { Family, Protocol, SvcChain, SvcEndpoint, SvcSpec } from './types.ts'

/** 4 or 6 for an address (a CIDR suffix is ignored). */
export function familyOf(ip: string): Family {
  return ip.includes(':') ? 6 : 4
}

/** The address without a host-length suffix, canonical: 10.0.0.1/32 -> 10.0.0.1, fd00::1/128 -> fd00::1 (other prefixes stay). */
export function hostAddress(cidr: string): string {
  return canonicalIP(cidr.replace(/\/(32|128)$/, ''))
}

const ipv4Sloppy = (s: string): number[] | undefined => {
  const parts = s.split('.')
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) || /^0+\d{1,3}$/.test(p))) return undefined
  const n = parts.map((p) => Number(p))
  return n.every((x) => x <= 255) ? n : undefined
}

/**
 * An address as kube-proxy writes it in its rules: IPv4 octets with leading zeros read as decimal (Kubernetes'
 * ParseIPSloppy: 010.096.000.010 -> 10.96.0.10), IPv6 lower-case and compressed (RFC 5952). Anything that is not an
 * address (a CIDR, '*', a name) comes back unchanged.
 */
export function canonicalIP(ip: string): string {
  if (typeof ip !== 'string') return ip
  const v4 = ipv4Sloppy(ip)
  if (v4) return v4.join('.')
  if (!ip.includes(':') || !/^[0-9A-Fa-f:.]+$/.test(ip)) return ip
  const halves = ip.split('::')
  if (halves.length > 2) return ip
  const groups = (h: string): number[] | undefined => {
    if (h === '') return []
    const out: number[] = []
    const parts = h.split(':')
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i]
      if (i === parts.length - 1 && p.includes('.')) {
        const q = ipv4Sloppy(p)
        if (!q) return undefined
        out.push((q[0] << 8) | q[1], (q[2] << 8) | q[3])
      } else if (/^[0-9A-Fa-f]{1,4}$/.test(p)) out.push(parseInt(p, 16))
      else return undefined
    }
    return out
  }
  const head = groups(halves[0])
  const tail = halves.length === 2 ? groups(halves[1]) : []
  if (!head || !tail) return ip
  const fill = 8 - head.length - tail.length
  if (halves.length === 2 ? fill < 1 : fill !== 0) return ip
  const all = [...head, ...Array(fill).fill(0), ...tail]
  let best = -1
  let bestLen = 1
  for (let i = 0; i < 8;) {
    let j = i
    while (j < 8 && all[j] === 0) j++
    if (j - i > bestLen) [best, bestLen] = [i, j - i]
    i = j === i ? i + 1 : j
  }
  const hex = all.map((g) => g.toString(16))
  if (best < 0) return hex.join(':')
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`
}

/** Service addresses kube-proxy reads differently from how they are written (leading zeros, IPv6 spelling): one line each. */
export function addressSpellingNotes(svc: Service): string[] {
  const spec = svc.spec ?? ({} as Service['spec'])
  const lists: [string, (string | undefined)[]][] = [
    ['clusterIPs', spec.clusterIPs?.length ? spec.clusterIPs : [spec.clusterIP]],
    ['externalIPs', spec.externalIPs ?? []],
    ['status.loadBalancer.ingress', (svc.status?.loadBalancer?.ingress ?? []).map((i) => i.ip)],
  ]
  const out: string[] = []
  for (const [field, ips] of lists) {
    ips.forEach((ip, i) => {
      if (typeof ip === 'string' && ip !== 'None' && ip !== '' && canonicalIP(ip) !== ip)
        out.push(
          `${field}[${i}] is written "${ip}"; kube-proxy reads it as ${canonicalIP(ip)}${ipv4Sloppy(ip) ? ' (leading zeros are decimal, not octal)' : ''}, and so does this comparison`,
        )
    })
  }
  return out
}

/** "ip:port", bracketing IPv6: [fd00::1]:80. */
export function hostPort(ip: string, port: number | string): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`
}

/** Splits "ip:port" or "[v6]:port"; undefined when it is not one (or the port is beyond 65535). */
export function splitHostPort(s: string): { ip: string; port: number } | undefined {
  const m = /^\[([^\]]+)\]:(\d{1,5})$/.exec(s) ?? /^([^:[\]]+):(\d{1,5})$/.exec(s)
  return m && Number(m[2]) <= 65535 ? { ip: canonicalIP(m[1]), port: Number(m[2]) } : undefined
}

/** TCP/UDP/SCTP from any spelling (tcp, 6, …); TCP when absent, as the API defaults it. */
export function normProtocol(p: unknown): Protocol {
  const s = typeof p === 'string' || typeof p === 'number' ? String(p).toUpperCase() : 'TCP'
  if (s === 'UDP' || s === '17') return 'UDP'
  if (s === 'SCTP' || s === '132') return 'SCTP'
  return 'TCP'
}

/** "ns/name:port" as kube-proxy writes it in iptables comments and nft element comments ("ns/name" for an unnamed port). */
export function servicePortName(spec: Pick<SvcSpec, 'namespace' | 'name'>, portName: string): string {
  return portName ? `${spec.namespace}/${spec.name}:${portName}` : `${spec.namespace}/${spec.name}`
}

/** The IP families the Service has ClusterIPs in (IPv4 when it says nothing). */
export function serviceFamilies(svc: Service): Family[] {
  const ips = (svc.spec?.clusterIPs?.length ? svc.spec.clusterIPs : [svc.spec?.clusterIP]).filter(
    (ip): ip is string => typeof ip === 'string' && ip !== '' && ip !== 'None',
  )
  const fams = [...new Set(ips.map(familyOf))]
  if (fams.length) return fams
  const declared = (svc.spec?.ipFamilies as string[] | undefined) ?? []
  return declared.includes('IPv6') && !declared.includes('IPv4') ? [6] : [4]
}

/** The spec of one family: its ClusterIPs, external and load-balancer addresses, ports and traffic policies. */
export function svcSpec(svc: Service, family: Family): SvcSpec {
  const spec = svc.spec ?? ({} as Service['spec'])
  const clusterIPs = (spec.clusterIPs?.length ? spec.clusterIPs : [spec.clusterIP]).filter(
    (ip): ip is string => typeof ip === 'string' && ip !== '' && ip !== 'None',
  )
  const ofFamily = (ips: (string | undefined)[]) =>
    ips.filter((ip): ip is string => typeof ip === 'string' && ip !== '' && familyOf(ip) === family).map(canonicalIP)
  // LoadBalancer ingress with ipMode "Proxy" is delivered by the load balancer itself: kube-proxy programs no rule for it.
  const lb = (svc.status?.loadBalancer?.ingress ?? [])
    .filter((i) => (i as { ipMode?: string }).ipMode !== 'Proxy')
    .map((i) => i.ip)
  const affinity =
    spec.sessionAffinity === 'ClientIP' ? (spec.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? 10800) : undefined
  return {
    namespace: svc.metadata.namespace ?? 'default',
    name: svc.metadata.name,
    family,
    clusterIPs: ofFamily(clusterIPs),
    externalIPs: ofFamily(spec.externalIPs ?? []),
    loadBalancerIPs: spec.type === 'LoadBalancer' ? ofFamily(lb) : [],
    ports: (spec.ports ?? []).map((p) => ({
      name: p.name ?? '',
      protocol: normProtocol(p.protocol),
      port: p.port,
      nodePort: (spec.type === 'NodePort' || spec.type === 'LoadBalancer') && p.nodePort ? p.nodePort : undefined,
      targetPort: p.targetPort,
    })),
    internalTrafficPolicy: spec.internalTrafficPolicy === 'Local' ? 'Local' : 'Cluster',
    externalTrafficPolicy:
      spec.externalTrafficPolicy === 'Local' || spec.externalTrafficPolicy === 'local' ? 'Local' : 'Cluster',
    sessionAffinitySeconds: affinity,
  }
}

/** Which kind of frontend an address of the Service is (undefined when it is none of them). */
export function frontendKindOf(spec: SvcSpec, ip: string): 'ClusterIP' | 'ExternalIP' | 'LoadBalancer' | undefined {
  const a = hostAddress(ip)
  if (spec.clusterIPs.includes(a)) return 'ClusterIP'
  if (spec.externalIPs.includes(a)) return 'ExternalIP'
  if (spec.loadBalancerIPs.includes(a)) return 'LoadBalancer'
  return undefined
}

/** Why kube-proxy ignores this Service (headless, ExternalName, service-proxy-name label), or undefined. */
export function notProxiedReason(svc: Service): string | undefined {
  const spec = svc.spec ?? ({} as Service['spec'])
  if (spec.type === 'ExternalName')
    return `ExternalName Service (${spec.externalName ?? '?'}): DNS answers with a CNAME, kube-proxy programs no rules`
  if (spec.clusterIP === 'None')
    return 'headless Service (clusterIP: None): DNS answers with the pod IPs, kube-proxy programs no rules'
  const proxyName = svc.metadata.labels?.['service.kubernetes.io/service-proxy-name']
  if (proxyName)
    return `label service.kubernetes.io/service-proxy-name=${proxyName}: kube-proxy leaves this Service to another proxy`
  if (!spec.clusterIP && !spec.clusterIPs?.length) return 'the Service has no ClusterIP yet'
  return undefined
}

/** Joins masquerade conditions: any "always" wins; none gives undefined. */
export function joinMasq(conds: string[]): string | undefined {
  const u = [...new Set(conds)]
  if (u.includes('always')) return 'always'
  return u.length ? u.join(' or ') : undefined
}

/** Distinct endpoints (ip:port) over chains, in chain order. */
export function distinctEndpoints(chains: SvcChain[]): SvcEndpoint[] {
  const seen = new Map<string, SvcEndpoint>()
  for (const c of chains)
    for (const e of c.endpoints)
      if (!seen.has(`${e.ip}|${e.port}|${e.protocol}`)) seen.set(`${e.ip}|${e.port}|${e.protocol}`, e)
  return [...seen.values()]
}
