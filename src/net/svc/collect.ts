// Runs the read-only listing commands on the node (argv only), detects kube-proxy's mode and extracts the Service.
import type { ExecOutput, NodeHandle } from '../../exec/index.ts'
import { shJoin } from '../../exec/quote.ts'
import { SvcRulesError } from './errors.ts'
import {
  hasIpvsProxyRules,
  hasIptablesProxyRules,
  iptablesSvcRules,
  parseIptablesSave,
  type IptablesDump,
} from './iptables.ts'
import { ipvsSvcRules, parseIpsetList, parseIpvsadm, parseIpvsadmStats } from './ipvs.ts'
import { hasNftProxyRules, nftSvcRules, parseNftJson, type NftTable } from './nft.ts'
import type { Family, ProxyMode, SvcPortRules, SvcSpec } from './types.ts'

/** What the node's rules say about the Service. */
export interface Collected {
  mode: ProxyMode | 'unknown'
  backend?: 'nf_tables' | 'legacy'
  ports: SvcPortRules[]
  warnings: string[]
  commands: string[]
  /** Why no mode was found (mode 'unknown'). */
  reason?: string
}

/** The argv of every listing command svcRules may run (pure, for tests and docs). */
export function listingCommands(family: Family) {
  const v6 = family === 6
  return {
    iptablesSave: [v6 ? 'ip6tables-save' : 'iptables-save', '-c'],
    legacySave: [v6 ? 'ip6tables-legacy-save' : 'iptables-legacy-save', '-c'],
    nftSave: [v6 ? 'ip6tables-nft-save' : 'iptables-nft-save', '-c'],
    nft: ['nft', '-j', 'list', 'table', v6 ? 'ip6' : 'ip', 'kube-proxy'],
    ipvsadm: ['ipvsadm', '-Ln'],
    ipvsadmStats: ['ipvsadm', '-Ln', '--stats', '--exact'],
    ipset: ['ipset', 'list'],
  }
}

const firstLine = (o: ExecOutput) => (o.stderr.trim() || o.stdout.trim()).split('\n')[0] ?? ''
const denied = (o: ExecOutput) => /permission denied|must be root|operation not permitted/i.test(o.stderr)

/** One family's rule sources: the iptables dump (with the binary that produced it) and the nft table, when readable. */
interface Sources {
  dump?: IptablesDump
  nft?: NftTable
  failures: string[]
}

async function sources(
  node: NodeHandle,
  family: Family,
  run: (argv: string[]) => Promise<ExecOutput>,
  warnings: string[],
): Promise<Sources> {
  const cmd = listingCommands(family)
  const [ipt, nft] = await Promise.all([run(cmd.iptablesSave), run(cmd.nft)])
  const out: Sources = { failures: [] }
  const note = (o: ExecOutput) =>
    out.failures.push(
      `\`${shJoin(o.argv)}\`: ${o.exitCode === 127 ? 'not installed' : firstLine(o) || `exit ${o.exitCode}`}`,
    )
  if (denied(ipt) || denied(nft)) {
    throw new SvcRulesError(
      'unavailable',
      `reading the rules on ${node.target} needs root: ${firstLine(denied(ipt) ? ipt : nft)}`,
      'set sudo: true for this node in the .recipes config (or log in as root)',
    )
  }
  if (ipt.ok) out.dump = parseIptablesSave(ipt.stdout)
  else note(ipt)
  if (nft.ok) out.nft = parseNftJson(nft.stdout)
  else if (nft.exitCode === 127 || !/no such file or directory/i.test(nft.stderr)) note(nft) // a missing table is the normal answer outside nftables mode
  if (out.dump && !hasIptablesProxyRules(out.dump) && !hasIpvsProxyRules(out.dump)) {
    // kube-proxy may write through the other iptables backend than the node's default iptables-save
    const alt = await run(out.dump.backend === 'legacy' ? cmd.nftSave : cmd.legacySave)
    if (alt.ok) {
      const d = parseIptablesSave(alt.stdout)
      if (hasIptablesProxyRules(d) || hasIpvsProxyRules(d)) {
        warnings.push(
          `kube-proxy's rules are in the ${d.backend ?? 'other'} iptables backend, but \`${cmd.iptablesSave[0]}\` on this node shows ${out.dump.backend ?? 'legacy'}: tools using the default backend do not see them`,
        )
        if (!d.backend) d.backend = out.dump.backend === 'legacy' ? 'nf_tables' : 'legacy'
        out.dump = d
      }
    }
  }
  return out
}

/** Reads kube-proxy's rules for the Service's families on the node, picks the mode and extracts each port. */
export async function collectRules(node: NodeHandle, specs: readonly SvcSpec[]): Promise<Collected> {
  const commands: string[] = []
  const warnings: string[] = []
  const run = (argv: string[]) => {
    commands.push(shJoin(argv))
    return node.run(argv, { nothrow: true })
  }
  const fams = await Promise.all(specs.map((s) => sources(node, s.family, run, warnings)))
  const first = fams[0]
  const ipvs = fams.some((f) => f.dump && hasIpvsProxyRules(f.dump))
  const ipt = fams.some((f) => f.dump && hasIptablesProxyRules(f.dump))
  const nft = fams.some((f) => f.nft && hasNftProxyRules(f.nft))
  const merged = (per: SvcPortRules[][]) => mergeFamilies(per)
  if (ipvs) {
    const cmd = listingCommands(4)
    const [ls, stats, sets] = await Promise.all([run(cmd.ipvsadm), run(cmd.ipvsadmStats), run(cmd.ipset)])
    if (!ls.ok)
      throw new SvcRulesError(
        'unavailable',
        `kube-proxy is in ipvs mode on ${node.target} but \`ipvsadm -Ln\` failed: ${firstLine(ls)}`,
        ls.exitCode === 127 ? 'install ipvsadm on the node' : 'is the ip_vs module loaded?',
      )
    if (!sets.ok)
      warnings.push(
        `\`ipset list\` failed (${sets.exitCode === 127 ? 'not installed' : firstLine(sets)}): masquerade and hairpin marks are not shown`,
      )
    const services = parseIpvsadm(ls.stdout)
    const st = stats.ok ? parseIpvsadmStats(stats.stdout) : new Map()
    const ipsets = sets.ok ? parseIpsetList(sets.stdout) : new Map()
    if (nft)
      warnings.push(
        'the node also has a kube-proxy nftables table: one of the two rule sets is left over from another proxy mode',
      )
    return {
      mode: 'ipvs',
      backend: first.dump?.backend,
      ports: merged(specs.map((s, i) => ipvsSvcRules(services, st, ipsets, fams[i].dump, s))),
      warnings,
      commands,
    }
  }
  const fromIpt = () => merged(specs.map((s, i) => (fams[i].dump ? iptablesSvcRules(fams[i].dump!, s) : [])))
  const fromNft = () => merged(specs.map((s, i) => (fams[i].nft ? nftSvcRules(fams[i].nft!, s) : [])))
  const some = (ports: SvcPortRules[]) => ports.some((p) => p.frontends.length > 0)
  if (ipt && nft) {
    const a = fromIpt()
    const b = fromNft()
    warnings.push(
      'the node has kube-proxy rules in both iptables and nftables: one set is left over from another proxy mode; check kube-proxy --proxy-mode (curl 127.0.0.1:10249/proxyMode on the node)',
    )
    if (some(b) && !some(a)) return { mode: 'nftables', ports: b, warnings, commands }
    return { mode: 'iptables', backend: first.dump?.backend, ports: a, warnings, commands }
  }
  if (ipt) return { mode: 'iptables', backend: first.dump?.backend, ports: fromIpt(), warnings, commands }
  if (nft) return { mode: 'nftables', ports: fromNft(), warnings, commands }
  const failures = fams.flatMap((f) => f.failures)
  if (fams.every((f) => !f.dump && !f.nft)) {
    throw new SvcRulesError(
      'unavailable',
      `could not read any rules on ${node.target}: ${failures.join('; ')}`,
      'the node needs iptables-save or nft (and ipvsadm in ipvs mode), run as root',
    )
  }
  return {
    mode: 'unknown',
    ports: [],
    warnings: [...warnings, ...failures],
    commands,
    reason: 'no kube-proxy rules at all (no KUBE-SERVICES chain in iptables, no kube-proxy nft table)',
  }
}

/** Joins the per-family port lists of a dual-stack Service: one entry per port with both families' rules. */
export function mergeFamilies(per: SvcPortRules[][]): SvcPortRules[] {
  const out: SvcPortRules[] = []
  for (const list of per) {
    for (const p of list) {
      const have = out.find((o) => o.name === p.name && o.protocol === p.protocol)
      if (!have) out.push({ ...p, frontends: [...p.frontends], chains: [...p.chains], endpoints: [...p.endpoints] })
      else {
        have.frontends.push(...p.frontends)
        have.chains.push(...p.chains)
        have.endpoints.push(...p.endpoints)
      }
    }
  }
  return out
}
