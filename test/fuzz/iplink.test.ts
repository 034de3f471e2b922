// Fuzz: `ip -j link/addr` (and route/neigh, which hold no interface) read into interfaces, their ends and the veth pairing.
import { test } from 'uvu'
import fc from 'fast-check'
import { isIP } from 'node:net'
import { linkEnd, pairVeth, parseIpJson, type IpLink, type VethPairing } from '../../src/net/iplink.ts'
import { NetError } from '../../src/net/errors.ts'
import { fuzz, jsonInput, labCapture } from './harness.ts'

const POD = [
  'ip-link-pod-client-stats.json',
  'ip-link-pod-client-mtu9000.json',
  'ip-addr-pod-client.json',
  'ip-addr-pod-distroless.json',
  'ip-route-pod-client.json',
  'ip-neigh-pod-client.json',
].map(labCapture)
const HOST = [
  'ip-link-host-stats.json',
  'ip-addr-host.json',
  'ip-link-veth-client.json',
  'ip-link-veth-client-mtu9000.json',
].map(labCapture)

const nat = (x: unknown) => Number.isSafeInteger(x) && (x as number) >= 0

/** Every field has the type IpLink declares: what the pairing and the renderers rely on. */
function checkLink(l: IpLink): void {
  if (!nat(l.ifindex) || typeof l.ifname !== 'string' || !nat(l.mtu))
    throw new Error(`interface ${JSON.stringify(l).slice(0, 100)}: ifindex, ifname or mtu of the wrong type`)
  if (l.link_index !== undefined && !nat(l.link_index)) throw new Error(`${l.ifname}: link_index ${l.link_index}`)
  for (const k of ['address', 'operstate', 'master'] as const)
    if (l[k] !== undefined && typeof l[k] !== 'string') throw new Error(`${l.ifname}: ${k} is not a string`)
  if (l.flags !== undefined && !(Array.isArray(l.flags) && l.flags.every((f) => typeof f === 'string')))
    throw new Error(`${l.ifname}: flags`)
  for (const a of l.addr_info ?? [])
    if (!isIP(a.local) || !nat(a.prefixlen) || a.prefixlen > 128)
      throw new Error(`${l.ifname}: address ${JSON.stringify(a)}`)
  const e = linkEnd(l)
  for (const [k, v] of Object.entries(e.stats ?? {})) if (!nat(v)) throw new Error(`${l.ifname}: ${k} ${v}`)
  for (const cidr of e.addresses)
    if (!isIP(cidr.split('/')[0])) throw new Error(`${l.ifname}: ${cidr} is not an address/prefix`)
}

/** A pairing said "ok" only when the two ends point at each other. */
function checkPairing(p: VethPairing): void {
  if (p.status !== 'ok') return
  if (p.podSide!.peerIfindex !== p.hostSide!.ifindex || p.hostSide!.peerIfindex !== p.podSide!.ifindex)
    throw new Error(`ok pairing of ${p.podSide!.name} and ${p.hostSide!.name} that do not point at each other`)
  if (p.mtuMismatch !== new Set([p.podSide!.mtu, p.hostSide!.mtu, ...(p.bridge ? [p.bridge.mtu] : [])]).size > 1)
    throw new Error('mtuMismatch disagrees with the MTUs')
}

fuzz({
  name: 'ip -j link/addr + pairVeth',
  input: fc.tuple(jsonInput(POD), jsonInput(HOST), fc.constantFrom(undefined, 'eth0', 'lo', 'net1')),
  run: ([pod, host, ifname]: [string, string, string | undefined]) => {
    const p = parseIpJson(pod, 'ip -j addr in the pod')
    const h = parseIpJson(host, 'ip -j addr on the node')
    return { links: [...p, ...h], pairing: pairVeth(p, h, ifname) }
  },
  expected: (e) => e instanceof NetError && e.kind === 'parse',
  check: ({ links, pairing }: { links: IpLink[]; pairing: VethPairing }, [pod, host]: [string, string, unknown]) => {
    const items = (t: string) => (t.match(/"ifindex"/g) ?? []).length
    if (links.length > items(pod) + items(host))
      throw new Error(`${links.length} interfaces from ${items(pod) + items(host)} "ifindex" keys`)
    links.forEach(checkLink)
    checkPairing(pairing)
  },
})

test.run()
