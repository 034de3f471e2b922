// conntrackStats / conntrackList: the node's connection-tracking table (conntrack -S / -L, nf_conntrack_count/max).
import { present } from '../present.ts'
import { showArgv } from '../exec/quote.ts'
import { isMissing, lastLine } from './discover.ts'
import { NetError } from './errors.ts'
import { nodeName, onNode, rootOn, type NetSession } from './pods.ts'
import {
  CONNTRACK_LIMIT_SCRIPT,
  conntrackListArgv,
  parseConntrackL,
  parseConntrackS,
  parseCountMax,
  parseLimitTrailer,
  parseProcConntrackStat,
  sumCpuStats,
  type ConntrackFilter,
} from './conntrack-parse.ts'
import { CONNTRACK_LIST, CONNTRACK_STATS, type ConntrackList, type ConntrackStats } from './types.ts'

export type { ConntrackList, ConntrackStats } from './types.ts'

const COUNT_MAX = ['cat', '/proc/sys/net/netfilter/nf_conntrack_count', '/proc/sys/net/netfilter/nf_conntrack_max']

/** What the numbers mean, as warnings. Pure. */
export function conntrackWarnings(s: Pick<ConntrackStats, 'totals' | 'count' | 'max'>): string[] {
  const w: string[] = []
  const t = s.totals
  if (s.count !== undefined && s.max) {
    const pct = Math.round((100 * s.count) / s.max)
    if (pct >= 90)
      w.push(
        `table ${pct}% full (${s.count}/${s.max}): new connections are dropped when it fills ("nf_conntrack: table full, dropping packet" in dmesg); raise net.netfilter.nf_conntrack_max`,
      )
  }
  if (t.drop)
    w.push(
      `drop=${t.drop}: packets dropped because no conntrack entry could be created (table full or allocation failure)`,
    )
  if (t.early_drop) w.push(`early_drop=${t.early_drop}: unassured flows were evicted to make room (table at its limit)`)
  if (t.insert_failed)
    w.push(
      `insert_failed=${t.insert_failed}: insertion races (typical for parallel UDP DNS queries: A and AAAA from one socket); expect 5 s DNS delays`,
    )
  return w
}

/** conntrack -S (or /proc/net/stat/nf_conntrack without conntrack) plus nf_conntrack_count/max on a node. */
export async function conntrackStats(session: NetSession, node: unknown): Promise<ConntrackStats> {
  const name = nodeName(node)
  await session.load?.()
  const h = rootOn(session, name)
  const [s, cm] = await onNode(name, 'conntrack statistics', () =>
    Promise.all([h.run(['conntrack', '-S'], { nothrow: true }), h.run(COUNT_MAX, { nothrow: true })]),
  )
  let source: ConntrackStats['source'] = 'conntrack -S'
  let perCpu = s.ok ? parseConntrackS(s.stdout) : []
  const warnings: string[] = []
  if (!s.ok || !perCpu.length) {
    const proc = await h.run(['cat', '/proc/net/stat/nf_conntrack'], { nothrow: true })
    perCpu = proc.ok ? parseProcConntrackStat(proc.stdout) : []
    source = perCpu.length ? '/proc/net/stat/nf_conntrack' : 'none'
    warnings.push(
      `conntrack -S failed on ${name} (${isMissing(s) ? 'conntrack is not installed' : lastLine(s)}); ${perCpu.length ? 'counters read from /proc/net/stat/nf_conntrack' : `no counters: ${lastLine(proc)}`}`,
    )
  }
  const { count, max } = cm.ok ? parseCountMax(cm.stdout) : {}
  if (!cm.ok)
    warnings.push(`could not read nf_conntrack_count/max (${lastLine(cm)}): is the nf_conntrack module loaded?`)
  const totals = sumCpuStats(perCpu)
  const usage = count !== undefined && max ? count / max : undefined
  const r: ConntrackStats = {
    node: name,
    source,
    perCpu,
    totals,
    count,
    max,
    usage,
    warnings: [...warnings, ...conntrackWarnings({ totals, count, max })],
  }
  return present(r, CONNTRACK_STATS)
}

/** conntrack -L on a node with kernel-side filters; at most filter.limit flows (default 1000) come back. */
export async function conntrackList(
  session: NetSession,
  node: unknown,
  filter: ConntrackFilter = {},
): Promise<ConntrackList> {
  const name = nodeName(node)
  const argv = conntrackListArgv(filter)
  const limit = filter.limit ?? 1000
  await session.load?.()
  const h = rootOn(session, name)
  const r = await onNode(name, 'conntrack -L', () =>
    h.sh(CONNTRACK_LIMIT_SCRIPT, [String(limit), ...argv], { nothrow: true, timeoutMs: 60_000 }),
  )
  const { exit, total } = parseLimitTrailer(r.stdout)
  if (exit === undefined || exit !== 0) {
    const missing = exit === 127 || /conntrack: (command )?not found/.test(r.stderr)
    const why =
      r.stderr
        .trim()
        .split('\n')
        .filter((l) => !/flow entries have been shown/.test(l))
        .pop() ?? `exit ${exit ?? r.exitCode}`
    throw new NetError(
      'tool',
      `\`${showArgv(argv)}\` failed on ${name}: ${missing ? 'conntrack is not installed' : why}`,
      missing
        ? `install conntrack-tools on ${name} (conntrackStats still reads /proc)`
        : 'run it by hand on the node to see more',
    )
  }
  const entries = parseConntrackL(r.stdout)
  const list = Object.assign(entries, {}) as ConntrackList
  const meta = { node: name, argv, total: total ?? entries.length, truncated: (total ?? 0) > entries.length }
  for (const [k, v] of Object.entries(meta))
    Object.defineProperty(list, k, { value: v, enumerable: false, configurable: true })
  return present(list, CONNTRACK_LIST)
}
