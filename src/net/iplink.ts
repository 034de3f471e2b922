// `ip -j -s -d addr|link` output -> interface ends, and the pure pairing of a pod's eth0 with its host peer.
import { isIP } from 'node:net'
import { NetError } from './errors.ts'

/** One interface as `ip -j -s -d addr show` prints it (the fields used here). */
export interface IpLink {
  ifindex: number
  ifname: string
  link_index?: number
  link_netnsid?: number
  mtu: number
  address?: string
  operstate?: string
  flags?: string[]
  master?: string
  linkinfo?: {
    info_kind?: string
    info_slave_kind?: string
    info_data?: Record<string, unknown>
    info_slave_data?: Record<string, unknown>
  }
  stats64?: { rx?: Record<string, number>; tx?: Record<string, number> }
  addr_info?: { family: string; local: string; prefixlen: number; scope?: string }[]
}

/** Interface counters (stats64). */
export interface LinkStats {
  rxBytes: number
  rxPackets: number
  rxErrors: number
  rxDropped: number
  txBytes: number
  txPackets: number
  txErrors: number
  txDropped: number
}

/** One end of the pair (or the bridge), as data. */
export interface LinkEnd {
  name: string
  ifindex: number
  /** The peer's ifindex (iflink / link_index), in the peer's namespace. */
  peerIfindex?: number
  /** linkinfo.info_kind: veth, bridge, ipvlan, macvlan… */
  kind?: string
  mtu: number
  mac?: string
  operstate?: string
  flags: string[]
  master?: string
  /** CIDRs, e.g. 10.244.0.4/24. */
  addresses: string[]
  stats?: LinkStats
}

/** Parses `ip -j …` output into its interfaces (entries that are none are skipped); a clear error when it is not the JSON array ip prints. */
export function parseIpJson(text: string, what = 'ip -j'): IpLink[] {
  let j: unknown
  try {
    j = JSON.parse(text)
  } catch (e) {
    throw new NetError(
      'parse',
      `${what} did not print JSON: ${text.trim().slice(0, 80)}`,
      'is iproute2 recent enough for -j (4.14+)?',
      e,
    )
  }
  if (!Array.isArray(j)) throw new NetError('parse', `${what} printed JSON that is not an array of interfaces`)
  return j.map(ipLink).filter((l): l is IpLink => l !== undefined)
}

const isObj = (x: unknown): x is Record<string, unknown> => x !== null && typeof x === 'object' && !Array.isArray(x)
const nat = (x: unknown): number | undefined =>
  Number.isSafeInteger(x) && (x as number) >= 0 ? (x as number) : undefined
const str = (x: unknown): string | undefined => (typeof x === 'string' ? x : undefined)

/** One entry of ip's array as an IpLink with every field of the type it declares (wrong-typed fields left out), or undefined when it is no interface. */
function ipLink(x: unknown): IpLink | undefined {
  if (!isObj(x) || nat(x.ifindex) === undefined || typeof x.ifname !== 'string' || nat(x.mtu) === undefined)
    return undefined
  const l: IpLink = { ifindex: x.ifindex as number, ifname: x.ifname, mtu: x.mtu as number }
  if (nat(x.link_index) !== undefined) l.link_index = x.link_index as number
  if (nat(x.link_netnsid) !== undefined) l.link_netnsid = x.link_netnsid as number
  for (const k of ['address', 'operstate', 'master'] as const) if (str(x[k]) !== undefined) l[k] = x[k] as string
  if (Array.isArray(x.flags)) l.flags = x.flags.filter((f): f is string => typeof f === 'string')
  if (isObj(x.linkinfo)) {
    const li = x.linkinfo
    l.linkinfo = {
      info_kind: str(li.info_kind),
      info_slave_kind: str(li.info_slave_kind),
      ...(isObj(li.info_data) ? { info_data: li.info_data } : {}),
      ...(isObj(li.info_slave_data) ? { info_slave_data: li.info_slave_data } : {}),
    }
  }
  const counters = (c: unknown) =>
    isObj(c)
      ? (Object.fromEntries(Object.entries(c).filter(([, v]) => nat(v) !== undefined)) as Record<string, number>)
      : undefined
  if (isObj(x.stats64)) l.stats64 = { rx: counters(x.stats64.rx), tx: counters(x.stats64.tx) }
  if (Array.isArray(x.addr_info)) {
    l.addr_info = x.addr_info.filter(
      (a): a is NonNullable<IpLink['addr_info']>[number] =>
        isObj(a) &&
        typeof a.family === 'string' &&
        typeof a.local === 'string' &&
        isIP(a.local) !== 0 &&
        nat(a.prefixlen) !== undefined &&
        (a.prefixlen as number) <= 128 &&
        (a.scope === undefined || typeof a.scope === 'string'),
    )
  }
  return l
}

/** The data of one interface. Pure. */
export function linkEnd(l: IpLink): LinkEnd {
  const rx = l.stats64?.rx
  const tx = l.stats64?.tx
  return {
    name: l.ifname,
    ifindex: l.ifindex,
    peerIfindex: l.link_index,
    kind: l.linkinfo?.info_kind,
    mtu: l.mtu,
    mac: l.address,
    operstate: l.operstate,
    flags: l.flags ?? [],
    master: l.master,
    addresses: (l.addr_info ?? []).map((a) => `${a.local}/${a.prefixlen}`),
    stats:
      rx && tx
        ? {
            rxBytes: rx.bytes ?? 0,
            rxPackets: rx.packets ?? 0,
            rxErrors: rx.errors ?? 0,
            rxDropped: rx.dropped ?? 0,
            txBytes: tx.bytes ?? 0,
            txPackets: tx.packets ?? 0,
            txErrors: tx.errors ?? 0,
            txDropped: tx.dropped ?? 0,
          }
        : undefined,
  }
}

/** How the pairing went. */
export type VethStatus = 'ok' | 'hostNetwork' | 'not-veth' | 'no-interface' | 'peer-not-found'

/** A pod interface and its host peer, the bridge, and what looks wrong. */
export interface VethPairing {
  status: VethStatus
  /** Why there is no (or no trustworthy) host end. */
  explanation?: string
  /** The pod's end (eth0). */
  podSide?: LinkEnd
  /** The node's end (vethXXXX). */
  hostSide?: LinkEnd
  /** The bridge the host end is enslaved to, if any. */
  bridge?: LinkEnd
  mtuMismatch: boolean
  warnings: string[]
}

/** The pod's interface: ifname if given, else eth0, else the only non-loopback one. Pure. */
export function podInterface(links: IpLink[], ifname?: string): IpLink | undefined {
  if (ifname) return links.find((l) => l.ifname === ifname)
  return (
    links.find((l) => l.ifname === 'eth0') ??
    (links.filter((l) => l.ifname !== 'lo').length === 1 ? links.find((l) => l.ifname !== 'lo') : undefined)
  )
}

/**
 * Pairs a pod interface with the host interface whose ifindex is its link_index (iflink), checking the pairing
 * both ways (the host end's link_index must be the pod end's ifindex) so an unrelated host interface that happens
 * to have that number is never returned. Flags MTU differences between pod end, host end and bridge. Pure.
 */
export function pairVeth(podLinks: IpLink[], hostLinks: IpLink[], ifname?: string): VethPairing {
  const base = { mtuMismatch: false, warnings: [] as string[] }
  const p = podInterface(podLinks, ifname)
  if (!p) {
    const names = podLinks.map((l) => l.ifname).join(', ') || 'none'
    return {
      ...base,
      status: 'no-interface',
      explanation: `the pod netns has no interface ${ifname ?? 'eth0'} (interfaces: ${names}); pass {ifname} to pick one`,
    }
  }
  const pod = linkEnd(p)
  const kind = p.linkinfo?.info_kind
  if (kind !== 'veth') {
    const what = kind ? `a ${kind} interface` : 'an interface of unknown kind (no linkinfo)'
    const why =
      kind === 'ipvlan' || kind === 'macvlan'
        ? `${kind} has no host-side peer: it hangs off a parent device on the node (ifindex ${p.link_index ?? '?'} there) and shares its MAC/queues; look at the parent with node.$\`ip -d link\``
        : 'only veth pairs have a host-side peer to find by ifindex'
    return {
      ...base,
      status: 'not-veth',
      podSide: pod,
      explanation: `${pod.name} in the pod is ${what}, not a veth: ${why}`,
    }
  }
  if (p.link_index === undefined)
    return {
      ...base,
      status: 'peer-not-found',
      podSide: pod,
      explanation: `${pod.name} is a veth but ip shows no link_index (iflink) for it`,
    }
  const h = hostLinks.find((l) => l.ifindex === p.link_index)
  if (!h)
    return {
      ...base,
      status: 'peer-not-found',
      podSide: pod,
      explanation: `no interface with ifindex ${p.link_index} in the node's netns: the peer lives in another namespace (link-netnsid ${p.link_netnsid ?? '?'})`,
    }
  if (h.linkinfo?.info_kind !== 'veth' || h.link_index !== p.ifindex) {
    return {
      ...base,
      status: 'peer-not-found',
      podSide: pod,
      explanation: `the node's ifindex ${h.ifindex} is ${h.ifname} (${h.linkinfo?.info_kind ?? 'unknown kind'}, link_index ${h.link_index ?? 'none'}), which does not point back at the pod's ifindex ${p.ifindex}: the peer is not in the node's root netns`,
    }
  }
  const host = linkEnd(h)
  const b = h.master ? hostLinks.find((l) => l.ifname === h.master) : undefined
  const bridge = b ? linkEnd(b) : undefined
  const warnings: string[] = []
  const mtus = [pod.mtu, host.mtu, ...(bridge ? [bridge.mtu] : [])]
  const mtuMismatch = new Set(mtus).size > 1
  if (mtuMismatch) {
    const low = Math.min(...mtus)
    warnings.push(
      `MTU mismatch: pod ${pod.name} ${pod.mtu}, host ${host.name} ${host.mtu}${bridge ? `, bridge ${bridge.name} ${bridge.mtu}` : ''}: packets larger than ${low} bytes are dropped where the MTU is smaller (large transfers stall while pings and small requests work)`,
    )
  }
  if (host.master && !bridge) warnings.push(`${host.name} is enslaved to ${host.master}, which ip did not list`)
  if (pod.operstate !== 'UP' || host.operstate !== 'UP')
    warnings.push(`link state: pod ${pod.name} ${pod.operstate}, host ${host.name} ${host.operstate}`)
  for (const e of [pod, host]) {
    const s = e.stats
    if (s && (s.rxErrors || s.txErrors || s.rxDropped || s.txDropped))
      warnings.push(
        `${e.name}: rx errors ${s.rxErrors} dropped ${s.rxDropped}, tx errors ${s.txErrors} dropped ${s.txDropped}`,
      )
  }
  return { status: 'ok', podSide: pod, hostSide: host, bridge, mtuMismatch, warnings }
}
