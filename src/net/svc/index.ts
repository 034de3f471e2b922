// svcRules: the kube-proxy rules that implement a Service on a node, compared with its EndpointSlices.
import type { EndpointSlice, Service } from '../../kube/types.ts'
import type { SessionApi } from '../../session.ts'
import { optionsProblem, received } from '../../errors.ts'
import { parseServiceRef } from '../../names.ts'
import { present } from '../../present.ts'
import { clientSummary } from './clients.ts'
import { collectRules, type Collected } from './collect.ts'
import { compareSvcRules } from './compare.ts'
import { SvcRulesError } from './errors.ts'
import { addressSpellingNotes, hostPort, notProxiedReason, serviceFamilies, svcSpec } from './spec.ts'
import { SVC_RULES, type SvcComparison, type SvcPortRules, type SvcRules, type SvcStatus } from './types.ts'

export type * from './types.ts'
export { SvcRulesError, type SvcRulesErrorKind } from './errors.ts'
export {
  parseIptablesSave,
  iptablesSvcRules,
  hasIptablesProxyRules,
  hasIpvsProxyRules,
  tokenizeRule,
  type IptablesDump,
  type IptRule,
  type IptChain,
} from './iptables.ts'
export { parseNftJson, nftSvcRules, hasNftProxyRules, nftChainName, type NftTable, type NftRule } from './nft.ts'
export {
  parseIpvsadm,
  parseIpvsadmStats,
  parseIpsetList,
  ipvsSvcRules,
  type IpvsService,
  type IpvsStats,
  type Ipset,
} from './ipvs.ts'
export { compareSvcRules, sliceEndpoints, expectedEndpoints } from './compare.ts'
export { collectRules, listingCommands, type Collected } from './collect.ts'
export { svcSpec, serviceFamilies, canonicalIP } from './spec.ts'
export { CLIENT_CLASSES, clientSummary, classesDiffer } from './clients.ts'

/** Options of svcRules. */
export interface SvcRulesOptions {
  /** The node whose rules to read; may be left out when the cluster has one node. */
  node?: string
}

/** The result object: plain data that prints as tables in the REPL. */
class SvcRulesResult implements SvcRules {
  service!: string
  node!: string
  mode!: SvcRules['mode']
  backend?: SvcRules['backend']
  ports!: SvcPortRules[]
  comparison!: SvcComparison
  status!: SvcStatus
  verdict!: string
  hint?: string
  warnings!: string[]
  commands!: string[]
  constructor(r: SvcRules) {
    Object.assign(this, r)
    if (this.backend === undefined) delete this.backend
    if (this.hint === undefined) delete this.hint
  }
}
present(SvcRulesResult.prototype, SVC_RULES)

function validate(session: unknown, svc: unknown, opts: unknown): void {
  if (!session || typeof (session as SessionApi).node !== 'function' || !('kube' in (session as object))) {
    throw new SvcRulesError(
      'invalid',
      `svcRules: expected a session (with kube and node()) as the first argument, received ${received(session)}`,
    )
  }
  const isSvc = svc && typeof svc === 'object' && typeof (svc as Service).metadata?.name === 'string'
  if (parseServiceRef(svc) === undefined && !isSvc) {
    throw new SvcRulesError(
      'invalid',
      `svc: expected "name", "namespace/name" or a Service object, received ${received(svc)}`,
      "e.g. svcRules('shop/web') or svcRules(await svc('web'))",
    )
  }
  if (opts === undefined) return
  const problem = optionsProblem(opts, ['node'])
  if (problem) throw new SvcRulesError('invalid', problem, "e.g. svcRules('shop/web', {node: 'lab-1'})")
  const node = (opts as SvcRulesOptions).node
  if (node !== undefined && (typeof node !== 'string' || node === ''))
    throw new SvcRulesError('invalid', `opts.node: expected a node name, received ${received(node)}`)
}

async function defaultNode(session: SessionApi): Promise<string> {
  const nodes = await session.kube.nodes()
  const names = nodes.map((n) => n.metadata.name)
  if (names.length === 1) return names[0]
  throw new SvcRulesError(
    'invalid',
    `opts.node: the cluster has ${names.length} nodes${names.length ? ` (${names.slice(0, 8).join(', ')}${names.length > 8 ? ', …' : ''})` : ''}; say which node's rules to read`,
    "svcRules('ns/name', {node: 'NAME'}) — rules differ per node under Local traffic policies",
  )
}

/**
 * The kube-proxy rules that implement a Service on a node: per port and frontend (ClusterIP, NodePort,
 * external and load-balancer IPs) the chain to each endpoint with its probability, masquerading and counters,
 * compared with the Service's EndpointSlices. Runs read-only listing commands on the node (iptables-save,
 * nft -j list table, ipvsadm -Ln) through session.node(name).
 */
export async function svcRules(session: SessionApi, svc: string | Service, opts?: SvcRulesOptions): Promise<SvcRules> {
  validate(session, svc, opts)
  await session.load()
  const kube = session.kube
  const service = typeof svc === 'string' ? await kube.svc(svc) : svc
  const ns = service.metadata.namespace || session.namespace
  const key = `${ns}/${service.metadata.name}`
  const nodeName = opts?.node ?? (await defaultNode(session))
  const skip = notProxiedReason(service)
  if (skip) {
    return new SvcRulesResult({
      service: key,
      node: nodeName,
      mode: 'unknown',
      ports: [],
      comparison: emptyComparison(),
      status: 'not-proxied',
      verdict: `not proxied: ${key}: ${skip}`,
      warnings: [],
      commands: [],
    })
  }
  const specs = serviceFamilies(service).map((f) =>
    svcSpec({ ...service, metadata: { ...service.metadata, namespace: ns } }, f),
  )
  const node = session.node(nodeName)
  const [collected, slices] = await Promise.all([collectRules(node, specs), kube.endpoints(key)])
  return buildSvcRules({ ...service, metadata: { ...service.metadata, namespace: ns } }, slices, nodeName, collected)
}

function emptyComparison(): SvcComparison {
  return {
    expected: [],
    programmed: [],
    missing: [],
    stale: [],
    extra: [],
    portMismatches: [],
    frontendIssues: [],
    clientIssues: [],
    ok: true,
  }
}

/** Assembles the result from what the node printed and the slices (pure; svcRules' last step). */
export function buildSvcRules(
  service: Service,
  slices: readonly EndpointSlice[],
  node: string,
  c: Collected,
): SvcRules {
  const key = `${service.metadata.namespace ?? 'default'}/${service.metadata.name}`
  const specs = serviceFamilies(service).map((f) => svcSpec(service, f))
  const comparison = compareSvcRules(c.ports, specs, slices, node)
  const how = `${c.mode}${c.backend ? `, ${c.backend} backend` : ''}`
  const base = {
    service: key,
    node,
    mode: c.mode,
    backend: c.backend,
    ports: c.ports,
    comparison,
    warnings: [...addressSpellingNotes(service), ...c.warnings],
    commands: c.commands,
  }
  const anyRules = c.ports.some((p) => p.frontends.length > 0 || p.endpoints.length > 0)
  const ep = (e: { ip: string; targetPort: number; portName: string }) =>
    `${e.portName ? `${e.portName} ` : ''}${hostPort(e.ip, e.targetPort)}`
  let status: SvcStatus
  let verdict: string
  let hint: string | undefined
  if (!anyRules) {
    status = 'no-rules'
    verdict = `no rules: ${node} has no kube-proxy rules for ${key}${c.mode === 'unknown' ? ` — ${c.reason}` : ` (${how})`}`
    hint = `check kube-proxy on ${node}: is it running, in which mode, and does its log show sync errors?`
  } else if (!comparison.ok) {
    status = 'mismatch'
    const parts: string[] = []
    if (comparison.stale.length)
      parts.push(`stale ${comparison.stale.map(ep).join(', ')} (in the rules, in no EndpointSlice)`)
    if (comparison.missing.length)
      parts.push(
        `missing ${comparison.missing.map((e) => `${ep(e)}${e.pod ? ` pod ${e.pod}` : ''}`).join(', ')} (usable in the slices, no rule)`,
      )
    if (comparison.extra.length) parts.push(`extra ${comparison.extra.map((e) => `${ep(e)} ${e.reason}`).join(', ')}`)
    if (comparison.portMismatches.length)
      parts.push(
        `port mismatch ${comparison.portMismatches.map((m) => `${m.ip} rules :${m.rulesPort} slices :${m.slicesPort}`).join(', ')}`,
      )
    if (comparison.frontendIssues.length) parts.push(comparison.frontendIssues.join('; '))
    if (comparison.clientIssues.length) parts.push(comparison.clientIssues.join('; '))
    verdict = `mismatch: ${key} on ${node} (${how}): ${parts.join('; ')}`
    hint = `kube-proxy on ${node} has not applied the current EndpointSlices: check that it runs and its log (sync/watch errors); right after a rollout the rules lag by up to a sync period, so run svcRules again`
  } else if (!comparison.expected.length) {
    status = 'no-endpoints'
    const blocked = c.ports.flatMap((p) =>
      p.frontends.filter((f) => f.action !== 'forward').map((f) => `${hostPort(f.ip, f.port)}/${f.protocol}`),
    )
    verdict = `no endpoints: ${key} has no usable endpoints; ${node} ${blocked.length ? `rejects/drops ${[...new Set(blocked)].join(', ')}` : 'has no forwarding rules'} (${how}; the rules match the EndpointSlices)`
    hint = `the Service selects no ready pods: look at endpoints('${key}'), the selector and the pods' readiness`
  } else {
    status = 'ok'
    const ips = new Set(comparison.programmed.map((e) => e.ip)).size
    const plural = (n: number, w: string, suffix = 's') => `${n} ${w}${n === 1 ? '' : suffix}`
    verdict = `ok: ${key} on ${node} (${how}): ${plural(c.ports.length, 'port')}, ${plural(comparison.programmed.length, 'endpoint')} on ${plural(ips, 'address', 'es')}, the rules match the EndpointSlices`
  }
  const clients = clientSummary(c.ports)
  if (clients.length) verdict += `; ${clients.join('; ')}`
  return new SvcRulesResult({ ...base, status, verdict, hint })
}
