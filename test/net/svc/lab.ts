// Expected values for the svcRules tests, read from the lab captures themselves (Services, EndpointSlices, nodes),
// and kube-proxy's chain names computed the way kube-proxy computes them, so a re-capture needs no new literals.
import { createHash } from 'node:crypto'
import type { EndpointSlice, Service } from '../../../src/kube/index.ts'
import { fx, labService, labSlices } from './fake.ts'

/** "ns/name" of every Service in kubectl-services.json. */
export const LAB_SERVICES: string[] = JSON.parse(fx('kubectl-services.json')).items.map(
  (s: Service) => `${s.metadata.namespace}/${s.metadata.name}`,
)

/** The node names of kubectl-nodes.json. */
export const LAB_NODES: string[] = JSON.parse(fx('kubectl-nodes.json')).items.map(
  (n: { metadata: { name: string } }) => n.metadata.name,
)

/** The node whose InternalIP is `ip` (kubectl-nodes.json). */
export function nodeWithIP(ip: string): string {
  const n = JSON.parse(fx('kubectl-nodes.json')).items.find(
    (x: { status: { addresses: { type: string; address: string }[] } }) =>
      x.status.addresses.some((a) => a.type === 'InternalIP' && a.address === ip),
  )
  if (!n) throw new Error(`no node with InternalIP ${ip} in kubectl-nodes.json`)
  return n.metadata.name
}

/** The InternalIP of a node (kubectl-nodes.json). */
export function nodeIP(name: string): string {
  const n = JSON.parse(fx('kubectl-nodes.json')).items.find(
    (x: { metadata: { name: string } }) => x.metadata.name === name,
  )
  return n.status.addresses.find((a: { type: string }) => a.type === 'InternalIP').address
}

/** The node an iptables-save capture was taken on: kube-proxy sends its own node IP to KUBE-NODEPORTS. */
export function nodeOfSave(file: string): string {
  const m = / -A KUBE-SERVICES -d (\S+)\/32 -m comment --comment "kubernetes service nodeports;/.exec(
    ` ${fx(file).replaceAll('\n', '\n ')}`,
  )
  if (!m) throw new Error(`${file}: no KUBE-NODEPORTS jump with a node address`)
  return nodeWithIP(m[1])
}

/** The ClusterIP of a lab Service. */
export const clusterIP = (key: string): string => labService(key).spec!.clusterIP!

/** One endpoint of a Service's slices: "ip:port" for a port name, its pod ("ns/name") and node. */
export interface LabEndpoint {
  at: string
  ip: string
  pod?: string
  node?: string
}

/** The endpoints of one port of a Service in a slices capture, in kube-proxy's rule order (by "ip:port" string). */
export function sliceEndpointsOf(file: string, key: string, portName = 'http'): LabEndpoint[] {
  const out: LabEndpoint[] = []
  for (const s of labSlices(file, key) as EndpointSlice[]) {
    const port = s.ports?.find((p) => (p.name ?? '') === portName)
    if (!port) continue
    for (const e of s.endpoints ?? []) {
      const ip = e.addresses[0]
      out.push({
        at: `${ip}:${port.port}`,
        ip,
        pod: e.targetRef ? `${e.targetRef.namespace}/${e.targetRef.name}` : undefined,
        node: e.nodeName,
      })
    }
  }
  return out.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0))
}

/** The shop/web endpoints the stale-rules fault changed: the deleted pod's (before only) and its replacement's (after only). */
export function staleRulesChange(key = 'shop/web'): { deleted: LabEndpoint; added: LabEndpoint; kept: LabEndpoint[] } {
  const before = sliceEndpointsOf('kubectl-endpointslices.json', key)
  const after = sliceEndpointsOf('kubectl-endpointslices-stale.json', key)
  const deleted = before.filter((e) => !after.some((a) => a.at === e.at))
  const added = after.filter((e) => !before.some((b) => b.at === e.at))
  if (deleted.length !== 1 || added.length !== 1)
    throw new Error(`${key}: expected one replaced endpoint, got ${deleted.length} deleted and ${added.length} added`)
  return { deleted: deleted[0], added: added[0], kept: after.filter((e) => e !== added[0]) }
}

const B32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'
/** base32(sha256(s)), kube-proxy's chain-name hash (RFC 4648 alphabet; only a prefix is ever used, so no padding). */
function kubeProxyHash(s: string): string {
  let bits = 0
  let acc = 0
  let out = ''
  for (const byte of createHash('sha256').update(s).digest()) {
    acc = ((acc << 8) | byte) & 0xffff
    bits += 8
    while (bits >= 5) {
      out += B32[(acc >> (bits - 5)) & 31]
      bits -= 5
    }
  }
  return out
}

/** iptables mode: KUBE-SVC-/KUBE-EXT-/KUBE-SVL-/KUBE-FW- of "ns/name:port" and a protocol; KUBE-SEP- with an endpoint "ip:port". */
export function iptChain(
  prefix: 'KUBE-SVC' | 'KUBE-EXT' | 'KUBE-SVL' | 'KUBE-FW' | 'KUBE-SEP',
  spn: string,
  protocol: string,
  endpoint = '',
): string {
  return `${prefix}-${kubeProxyHash(spn + protocol.toLowerCase() + endpoint).slice(0, 16)}`
}

/** nftables mode: service-/external-/endpoint- chains of "ns/name/proto/port" (an endpoint adds "__ip/port"). */
export function nftChain(
  prefix: 'service' | 'external' | 'endpoint',
  key: string,
  protocol: string,
  portName: string,
  endpoint?: { ip: string; port: number },
): string {
  const base = `${key}/${protocol.toLowerCase()}/${portName}${endpoint ? `__${endpoint.ip}/${endpoint.port}` : ''}`
  return `${prefix}-${kubeProxyHash(base).slice(0, 8)}-${base}`
}

/** "[packets:bytes]" of the one line of an iptables-save -c capture that contains every fragment. */
export function countersOf(file: string, ...fragments: string[]): { packets: number; bytes: number } {
  const lines = fx(file)
    .split('\n')
    .filter((l) => fragments.every((f) => l.includes(f)))
  if (lines.length !== 1) throw new Error(`${file}: ${lines.length} lines contain ${JSON.stringify(fragments)}`)
  const m = /^\[(\d+):(\d+)\] /.exec(lines[0])
  if (!m) throw new Error(`${file}: no counters on ${lines[0]}`)
  return { packets: Number(m[1]), bytes: Number(m[2]) }
}
