// Rules vs EndpointSlices: what kube-proxy should have programmed on the node, and what it did.
import type { EndpointSlice } from '../../kube/types.ts'
import { catches } from './clients.ts'
import { canonicalIP, hostPort, normProtocol } from './spec.ts'
import type { ClientClass, Family, RuleEndpoint, SliceEndpoint, SvcComparison, SvcPortRules, SvcSpec } from './types.ts'

/**
 * Every endpoint the slices publish, one per (port name, address, target port). Only addresses[0] counts (the
 * API says consumers use the first address); conditions default as the API defines: ready unset = ready.
 */
export function sliceEndpoints(slices: readonly EndpointSlice[]): SliceEndpoint[] {
  const out = new Map<string, SliceEndpoint>()
  for (const s of slices) {
    const family: Family | undefined = s.addressType === 'IPv4' ? 4 : s.addressType === 'IPv6' ? 6 : undefined
    if (!family) continue
    for (const p of s.ports ?? []) {
      if (typeof p.port !== 'number') continue
      for (const e of s.endpoints ?? []) {
        const ip = typeof e.addresses?.[0] === 'string' && e.addresses[0] ? canonicalIP(e.addresses[0]) : undefined
        if (!ip) continue
        const ready = e.conditions?.ready !== false
        const ep: SliceEndpoint = {
          portName: p.name ?? '',
          protocol: normProtocol(p.protocol),
          ip,
          targetPort: p.port,
          family,
          ready,
          serving: e.conditions?.serving ?? ready,
          terminating: e.conditions?.terminating === true,
        }
        if (e.nodeName) ep.nodeName = e.nodeName
        if (e.targetRef?.name) ep.pod = `${e.targetRef.namespace ? `${e.targetRef.namespace}/` : ''}${e.targetRef.name}`
        const k = `${ep.portName}|${ep.protocol}|${ip}|${ep.targetPort}`
        // a duplicate across slices (during a move) counts once; a ready copy wins
        if (!out.has(k) || (ready && !out.get(k)!.ready)) out.set(k, ep)
      }
    }
  }
  return [...out.values()]
}

/** Ready endpoints, else the serving terminating ones (kube-proxy's fallback so connections drain instead of failing). */
function usable(eps: SliceEndpoint[]): SliceEndpoint[] {
  const ready = eps.filter((e) => e.ready)
  return ready.length ? ready : eps.filter((e) => e.serving && e.terminating)
}

/** What kube-proxy programs for one port of one family: cluster endpoints, or this node's under a Local policy. */
export function expectedEndpoints(
  all: SliceEndpoint[],
  spec: SvcSpec,
  port: SvcSpec['ports'][number],
  node: string,
): SliceEndpoint[] {
  const eps = all.filter((e) => e.family === spec.family && e.portName === port.name && e.protocol === port.protocol)
  const cluster = usable(eps)
  const local = usable(eps.filter((e) => e.nodeName === node))
  const external = port.nodePort !== undefined || spec.externalIPs.length > 0 || spec.loadBalancerIPs.length > 0
  const set = new Set([
    ...(spec.internalTrafficPolicy === 'Local' ? local : cluster),
    ...(external ? (spec.externalTrafficPolicy === 'Local' ? local : cluster) : []),
  ])
  return eps.filter((e) => set.has(e))
}

const key = (e: { portName: string; protocol: string; ip: string; targetPort: number }) =>
  `${e.portName}|${e.protocol}|${e.ip}|${e.targetPort}`
const label = (name: string, port: number, proto: string) => `${name || '(unnamed)'} ${port}/${proto}`

/** Compares the rules of every port (all families) with the EndpointSlices: missing, stale, extra, port and frontend mismatches. */
export function compareSvcRules(
  ports: readonly SvcPortRules[],
  specs: readonly SvcSpec[],
  slices: readonly EndpointSlice[],
  node: string,
): SvcComparison {
  const all = sliceEndpoints(slices)
  const expected: SliceEndpoint[] = []
  const frontendIssues: string[] = []
  for (const spec of specs) {
    for (const port of spec.ports) {
      const exp = expectedEndpoints(all, spec, port, node)
      expected.push(...exp)
      frontendIssues.push(...frontendChecks(ports, spec, port, exp.length > 0))
    }
  }
  const programmed: RuleEndpoint[] = ports.flatMap((p) =>
    p.endpoints.map((e) => ({
      portName: p.name,
      protocol: e.protocol,
      ip: e.ip,
      targetPort: e.port,
      family: e.family,
    })),
  )
  const progKeys = new Set(programmed.map(key))
  const expKeys = new Set(expected.map(key))
  let missing = expected.filter((e) => !progKeys.has(key(e)))
  const stale: RuleEndpoint[] = []
  const extra: SvcComparison['extra'] = []
  const portMismatches: SvcComparison['portMismatches'] = []
  for (const r of programmed.filter((p) => !expKeys.has(key(p)))) {
    const same = all.filter((e) => e.portName === r.portName && e.protocol === r.protocol && e.ip === r.ip)
    const exact = same.find((e) => e.targetPort === r.targetPort)
    if (exact) {
      const reason = !exact.ready
        ? exact.terminating
          ? 'terminating'
          : 'not ready'
        : exact.nodeName !== node
          ? `on node ${exact.nodeName ?? '?'} (Local traffic policy)`
          : 'not selected by kube-proxy'
      extra.push({ ...r, reason })
    } else if (same.length) {
      portMismatches.push({
        portName: r.portName,
        protocol: r.protocol,
        ip: r.ip,
        rulesPort: r.targetPort,
        slicesPort: same[0].targetPort,
      })
      missing = missing.filter((m) => !(m.portName === r.portName && m.protocol === r.protocol && m.ip === r.ip))
    } else {
      stale.push(r)
    }
  }
  const reported = new Set([
    ...missing.map(key),
    ...stale.map(key),
    ...extra.map(key),
    ...portMismatches.map((m) => `${m.portName}|${m.protocol}|${m.ip}|${m.rulesPort}`),
  ])
  const clientIssues = [
    ...new Set(
      specs.flatMap((spec) => spec.ports.flatMap((port) => clientChecks(ports, spec, port, all, node, reported))),
    ),
  ]
  const ok =
    !missing.length &&
    !stale.length &&
    !extra.length &&
    !portMismatches.length &&
    !frontendIssues.length &&
    !clientIssues.length
  return { expected, programmed, missing, stale, extra, portMismatches, frontendIssues, clientIssues, ok }
}

const WHO: Record<ClientClass, string> = { pod: 'pods', node: 'the node itself', external: 'outside clients' }
const list = (eps: { ip: string; port: number }[]) => eps.map((e) => hostPort(e.ip, e.port)).join(', ')

/**
 * Per frontend and client class, the route the rules take against what kube-proxy should program: pods and the
 * node reach every usable endpoint; outside clients reach this node's usable endpoints under externalTrafficPolicy
 * Local (dropped when it has none), every one under Cluster; ClusterIPs follow internalTrafficPolicy for everyone.
 * Endpoints already reported as missing, stale or extra for the whole port are not repeated.
 */
function clientChecks(
  ports: readonly SvcPortRules[],
  spec: SvcSpec,
  port: SvcSpec['ports'][number],
  all: SliceEndpoint[],
  node: string,
  reported: Set<string>,
): string[] {
  const eps = all.filter((e) => e.family === spec.family && e.portName === port.name && e.protocol === port.protocol)
  const cluster = usable(eps)
  const local = usable(eps.filter((e) => e.nodeName === node))
  if (!cluster.length) return [] // no endpoints at all: frontendChecks expects the REJECT rules
  const fes = (ports.find((p) => p.name === port.name && p.protocol === port.protocol)?.frontends ?? []).filter(
    (f) => f.family === spec.family && f.clients?.length,
  )
  const out: string[] = []
  const rep = (ip: string, p: number) => reported.has(`${port.name}|${port.protocol}|${ip}|${p}`)
  for (const fe of fes) {
    if (fe.action !== 'forward' && fes.some((f) => f.action === 'forward' && catches(fe, f))) continue // its classes are in that frontend's routes
    const addr = fe.kind === 'NodePort' ? `NodePort ${fe.port}` : `${fe.kind} ${hostPort(fe.ip, fe.port)}`
    for (const r of fe.clients!) {
      if (r.when && r.action !== 'forward') continue // a loadBalancerSourceRanges firewall refusing other sources
      const policy = fe.kind === 'ClusterIP' ? 'internalTrafficPolicy' : 'externalTrafficPolicy'
      const isLocal =
        fe.kind === 'ClusterIP'
          ? spec.internalTrafficPolicy === 'Local'
          : r.client === 'external' && spec.externalTrafficPolicy === 'Local'
      const want = isLocal ? local : cluster
      const who = `${label(port.name, port.port, port.protocol)}: ${addr}, ${WHO[r.client]}${r.when ? ` (${r.when})` : ''}`
      if (!want.length) {
        if (r.action === 'forward')
          out.push(
            `${who}: forwarded to ${list(r.endpoints) || 'no endpoint'} (${r.chain}) although ${node} has no usable local endpoint (${policy} Local drops them)`,
          )
        else if (r.action === 'none')
          out.push(
            `${who}: no rule drops them although ${node} has no usable local endpoint (${policy} Local drops them)`,
          )
        continue
      }
      const have = isLocal
        ? `${node} has the usable local endpoint${want.length === 1 ? '' : 's'} ${list(want.map((e) => ({ ip: e.ip, port: e.targetPort })))}`
        : 'the Service has usable endpoints'
      if (r.action !== 'forward') {
        out.push(
          `${who}: ${r.action === 'none' ? 'no rule DNATs them' : r.action === 'drop' ? 'dropped' : 'rejected'} (${r.via}) although ${have}`,
        )
        continue
      }
      if (r.scope && r.scope !== (isLocal ? 'local' : 'cluster')) {
        out.push(
          `${who}: reach ${r.scope === 'local' ? "only this node's endpoints" : 'every endpoint'} (${r.chain}) but ${policy} ${isLocal ? 'Local' : 'Cluster'} says ${isLocal ? "only this node's" : 'every endpoint'}`,
        )
        continue
      }
      const got = new Set(r.endpoints.map((e) => `${e.ip}|${e.port}`))
      const notReached = want.filter((e) => !got.has(`${e.ip}|${e.targetPort}`) && !rep(e.ip, e.targetPort))
      const wrong = r.endpoints.filter(
        (e) => !want.some((w) => w.ip === e.ip && w.targetPort === e.port) && !rep(e.ip, e.port),
      )
      if (notReached.length)
        out.push(
          `${who}: do not reach ${notReached.map((e) => `${hostPort(e.ip, e.targetPort)}${e.pod ? ` (${e.pod})` : ''}`).join(', ')} (${r.chain})`,
        )
      if (wrong.length) {
        const why = (e: { ip: string; port: number }) => {
          const s = eps.find((x) => x.ip === e.ip && x.targetPort === e.port)
          return s && isLocal && s.nodeName !== node ? `on node ${s.nodeName ?? '?'}` : 'not usable'
        }
        out.push(`${who}: reach ${wrong.map((e) => `${hostPort(e.ip, e.port)} (${why(e)})`).join(', ')} (${r.chain})`)
      }
    }
  }
  return out
}

function frontendChecks(
  ports: readonly SvcPortRules[],
  spec: SvcSpec,
  port: SvcSpec['ports'][number],
  hasEndpoints: boolean,
): string[] {
  const issues: string[] = []
  const rules = ports.find((p) => p.name === port.name && p.protocol === port.protocol)
  const fes = (rules?.frontends ?? []).filter((f) => f.family === spec.family)
  const want: { kind: string; ip: string; port: number }[] = [
    ...spec.clusterIPs.map((ip) => ({ kind: 'ClusterIP', ip, port: port.port })),
    ...spec.externalIPs.map((ip) => ({ kind: 'ExternalIP', ip, port: port.port })),
    ...spec.loadBalancerIPs.map((ip) => ({ kind: 'LoadBalancer', ip, port: port.port })),
    ...(port.nodePort !== undefined ? [{ kind: 'NodePort', ip: '*', port: port.nodePort }] : []),
  ]
  const what = label(port.name, port.port, port.protocol)
  for (const w of want) {
    const found = fes.filter((f) => f.kind === w.kind && (w.kind === 'NodePort' || f.ip === w.ip))
    const addr = w.kind === 'NodePort' ? `NodePort ${w.port}` : `${w.kind} ${hostPort(w.ip, w.port)}`
    if (!found.length) {
      issues.push(`${what}: no rule for ${addr}`)
      continue
    }
    for (const f of found)
      if (f.port !== w.port)
        issues.push(
          `${what}: the rules use port ${f.port} for ${w.kind} ${f.ip === '*' ? '' : f.ip} but the Service says ${w.port}`.replace(
            '  ',
            ' ',
          ),
        )
    const forwards = found.some((f) => f.action === 'forward')
    const blocks = found.filter((f) => f.action !== 'forward' && /no (local )?endpoints/.test(f.notes[0] ?? ''))
    if (hasEndpoints && !forwards && blocks.length)
      issues.push(
        `${what}: ${addr} ${blocks[0].action}s new connections ("${blocks[0].notes[0]}") although the EndpointSlices have usable endpoints`,
      )
    if (!hasEndpoints && forwards && !blocks.length)
      issues.push(`${what}: ${addr} still forwards although the EndpointSlices have no usable endpoints`)
  }
  return issues
}
