// vethOf: the host-side interface paired with a pod's eth0 (by ifindex/iflink, read with netlink: ip -j, never /sys).
import { present } from '../present.ts'
import { optionsProblem, received } from '../errors.ts'
import { NetError } from './errors.ts'
import { pairVeth, parseIpJson } from './iplink.ts'
import { enterNetns } from './netns.ts'
import { fetchPod, onNode, rootOn, type NetSession, type PodArg } from './pods.ts'
import { VETH_RESULT, type VethResult } from './types.ts'

export type { VethResult } from './types.ts'

/** Options of vethOf. */
export interface VethOptions {
  /** The pod-side interface (default eth0, else the only non-loopback one). */
  ifname?: string
}

/** The argv used inside the netns and on the node (netlink through iproute2; /sys would show the node's interfaces). */
export const IP_ADDR_ARGV = ['ip', '-j', '-s', '-d', 'addr', 'show'] as const

/** Makes a VethResult print as a table (non-enumerable, JSON unchanged). */
export function asVethResult(r: VethResult): VethResult {
  return present(r, VETH_RESULT)
}

/** Finds a pod's host-side veth: link_index of its interface inside the netns = ifindex on the node. */
export async function vethOf(session: NetSession, pod: PodArg, opts: VethOptions = {}): Promise<VethResult> {
  const problem = optionsProblem(opts, ['ifname'], 'options')
  if (problem) throw new NetError('invalid', problem, "e.g. vethOf('client', {ifname: 'eth0'})")
  if (opts.ifname !== undefined && (typeof opts.ifname !== 'string' || !/^[^\s/]{1,15}$/.test(opts.ifname))) {
    throw new NetError(
      'invalid',
      `ifname: expected an interface name (up to 15 characters, no spaces or /), received ${received(opts.ifname)}`,
    )
  }
  const ref = await fetchPod(session, pod)
  if (ref.hostNetwork) {
    return asVethResult({
      pod: ref.key,
      node: ref.node,
      status: 'hostNetwork',
      explanation: `pod ${ref.key} uses hostNetwork: it has no veth, its interfaces are the node's own${ref.node ? ` (node('${ref.node}').$\`ip -br link\`)` : ''}`,
      mtuMismatch: false,
      warnings: [],
    })
  }
  const ns = await enterNetns(session, pod)
  const inside = parseIpJson((await ns.run([...IP_ADDR_ARGV])).stdout, `ip -j addr in ${ns.pod}`)
  const node = rootOn(session, ns.node)
  const outside = await onNode(ns.node, `where ${ns.pod} runs`, () => node.run([...IP_ADDR_ARGV]))
  const pairing = pairVeth(inside, parseIpJson(outside.stdout, `ip -j addr on ${ns.node}`), opts.ifname)
  return asVethResult({ pod: ns.pod, node: ns.node, method: ns.method, ...pairing })
}
