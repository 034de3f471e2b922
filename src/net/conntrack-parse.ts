// Parsers and argv builders for conntrack -S, /proc/net/stat/nf_conntrack and conntrack -L. Pure.
import { isIP } from 'node:net'
import { received } from '../errors.ts'
import { NetError } from './errors.ts'

/** One CPU's conntrack statistics; kernel names (insert_failed, early_drop…), all numbers. */
export interface ConntrackCpuStats {
  cpu: number
  found?: number
  invalid?: number
  insert?: number
  insert_failed?: number
  drop?: number
  early_drop?: number
  error?: number
  search_restart?: number
  clash_resolve?: number
  chaintoolong?: number
  [counter: string]: number | undefined
}

/** A counter as the kernel prints it (decimal, at most 64 bits); undefined for anything else. */
function counter(digits: string, radix = 10): number | undefined {
  const ok = radix === 16 ? /^[0-9a-f]{1,16}$/i.test(digits) : /^\d{1,20}$/.test(digits) && BigInt(digits) < 2n ** 64n
  return ok ? parseInt(digits, radix) : undefined
}

/** Parses `conntrack -S`: "cpu=0 found=0 invalid=4 … drop=257 …" per line; a value that is not a counter is left out. */
export function parseConntrackS(text: string): ConntrackCpuStats[] {
  const out: ConntrackCpuStats[] = []
  for (const line of text.split('\n')) {
    // the look-behind starts a name only at a word's start: without it a long run of letters is O(n²)
    const pairs = [...line.matchAll(/(?<![a-z_])([a-z_]+)=(\d+)/g)]
    const cpu = pairs.length && pairs[0][1] === 'cpu' ? counter(pairs[0][2]) : undefined
    if (cpu === undefined) continue
    const s: ConntrackCpuStats = { cpu }
    for (const [, k, v] of pairs.slice(1)) {
      const n = counter(v)
      if (n !== undefined && k !== 'cpu') s[k] = n
    }
    out.push(s)
  }
  return out
}

/** Parses /proc/net/stat/nf_conntrack (a header, then one row of hex counters per CPU): the fallback without conntrack(8). */
export function parseProcConntrackStat(text: string): ConntrackCpuStats[] {
  const lines = text.split('\n').filter((l) => l.trim())
  if (lines.length < 2) return []
  // The column names are checked once (not once per CPU row: a long header times many rows was quadratic).
  const head = lines[0]
    .trim()
    .split(/\s+/)
    .map((h) => (h === 'icmp_error' ? 'error' : h))
    .map((h) => (/^[a-z_]+$/.test(h) && h !== 'entries' && h !== 'cpu' ? h : undefined))
  return lines.slice(1).map((l, cpu) => {
    const s: ConntrackCpuStats = { cpu }
    const cells = l.trim().split(/\s+/)
    for (let i = 0; i < cells.length && i < head.length; i++) {
      const name = head[i]
      if (!name) continue
      const n = counter(cells[i], 16)
      if (n !== undefined) s[name] = n
    }
    return s
  })
}

/** Sums the per-CPU counters. */
export function sumCpuStats(cpus: ConntrackCpuStats[]): Record<string, number> {
  const t: Record<string, number> = {}
  for (const c of cpus)
    for (const [k, v] of Object.entries(c)) if (k !== 'cpu' && typeof v === 'number') t[k] = (t[k] ?? 0) + v
  return t
}

/** Reads "count\nmax" (cat nf_conntrack_count nf_conntrack_max). */
export function parseCountMax(text: string): { count?: number; max?: number } {
  const [c, m] = text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
  const num = (s?: string) => (s === undefined ? undefined : counter(s))
  return { count: num(c), max: num(m) }
}

/** One direction of a flow. */
export interface ConntrackTuple {
  src?: string
  dst?: string
  sport?: number
  dport?: number
  /** ICMP type/code/id. */
  type?: number
  code?: number
  id?: number
  /** With nf_conntrack_acct on. */
  packets?: number
  bytes?: number
}

/** One line of conntrack -L. */
export interface ConntrackEntry {
  family?: string
  proto: string
  protonum: number
  /** Seconds left. */
  timeout: number
  /** TCP state (ESTABLISHED, TIME_WAIT…); absent for udp/icmp. */
  state?: string
  orig: ConntrackTuple
  reply: ConntrackTuple
  /** ASSURED, UNREPLIED, OFFLOAD… */
  flags: string[]
  assured: boolean
  unreplied: boolean
  mark?: number
  zone?: number
  use?: number
  /** Other key=value fields (secctx, labels, delta-time…). */
  extra: Record<string, string>
}

const TUPLE_NUM = new Set(['sport', 'dport', 'type', 'code', 'id', 'packets', 'bytes'])

/** Parses one conntrack -L line (plain or -o extended); undefined for lines that are not flows (or hold an address, port or number that is not one). */
export function parseConntrackLine(line: string): ConntrackEntry | undefined {
  const tok = line.trim().split(/\s+/)
  let i = 0
  let family: string | undefined
  if (tok[0] === 'ipv4' || tok[0] === 'ipv6') {
    family = tok[0]
    i = 2
  }
  const proto = tok[i]
  const protonum = counter(tok[i + 1] ?? '')
  const timeout = counter(tok[i + 2] ?? '')
  if (!proto || !/^[a-z0-9]+$/.test(proto) || protonum === undefined || timeout === undefined) return undefined
  i += 3
  const e: ConntrackEntry = {
    family,
    proto,
    protonum,
    timeout,
    orig: {},
    reply: {},
    flags: [],
    assured: false,
    unreplied: false,
    extra: {},
  }
  if (tok[i] && /^[A-Z_]+$/.test(tok[i])) e.state = tok[i++]
  let dir: ConntrackTuple | undefined
  let srcSeen = 0
  for (; i < tok.length; i++) {
    const t = tok[i]
    const flag = /^\[([A-Z_]+)\]$/.exec(t)
    if (flag) {
      e.flags.push(flag[1])
      continue
    }
    const eq = t.indexOf('=')
    if (eq <= 0) continue
    const k = t.slice(0, eq)
    const v = t.slice(eq + 1)
    if (k === 'src') dir = ++srcSeen === 1 ? e.orig : e.reply
    if (dir && (k === 'src' || k === 'dst' || TUPLE_NUM.has(k))) {
      if (TUPLE_NUM.has(k)) {
        const n = counter(v)
        if (n === undefined || ((k === 'sport' || k === 'dport') && n > 65535)) return undefined
        ;(dir as Record<string, number>)[k] = n
      } else if (isIP(v)) (dir as Record<string, string>)[k] = v
      else return undefined
      continue
    }
    if (k === 'mark' || k === 'zone' || k === 'use') {
      const n = counter(v)
      if (n === undefined) return undefined
      e[k] = n
    } else e.extra[k] = v
  }
  e.assured = e.flags.includes('ASSURED')
  e.unreplied = e.flags.includes('UNREPLIED')
  return e
}

/** Parses conntrack -L output (flows on stdout; the "N flow entries have been shown." summary is on stderr). */
export function parseConntrackL(text: string): ConntrackEntry[] {
  return text
    .split('\n')
    .map(parseConntrackLine)
    .filter((e): e is ConntrackEntry => e !== undefined)
}

/** The total from conntrack's summary line, e.g. "conntrack v1.4.7 (conntrack-tools): 705 flow entries have been shown." */
export function parseConntrackSummary(text: string): number | undefined {
  const m = /(?<!\d)(\d+) flow entries have been shown/.exec(text)
  return m ? counter(m[1]) : undefined
}

/** What conntrackList can filter on (all optional; the kernel does the filtering). */
export interface ConntrackFilter {
  /** tcp, udp, icmp, sctp… */
  proto?: string
  /** Original source / destination address. */
  src?: string
  dst?: string
  /** Reply source / destination (after DNAT: the reply src is the backend pod). */
  replySrc?: string
  replyDst?: string
  /** Ports (need proto). */
  sport?: number
  dport?: number
  /** TCP state, e.g. ESTABLISHED (needs proto tcp). */
  state?: string
  mark?: number
  zone?: number
  family?: 'ipv4' | 'ipv6'
  /** At most this many flows are returned (default 1000; 0 = all). */
  limit?: number
}

const IP = /^[0-9a-fA-F:.]+$/
const FILTER_KEYS = [
  'proto',
  'src',
  'dst',
  'replySrc',
  'replyDst',
  'sport',
  'dport',
  'state',
  'mark',
  'zone',
  'family',
  'limit',
]

/** conntrack -L argv for a filter; validates every field first (NetError 'invalid' naming it). */
export function conntrackListArgv(f: ConntrackFilter = {}): string[] {
  const bad = (k: string, want: string, v: unknown) =>
    new NetError(
      'invalid',
      `filter.${k}: expected ${want}, received ${received(v)}`,
      "e.g. conntrackList('lab-1', {proto: 'udp', dport: 53})",
    )
  if (f === null || typeof f !== 'object' || Array.isArray(f)) throw bad('', 'an object', f)
  for (const k of Object.keys(f))
    if (!FILTER_KEYS.includes(k))
      throw new NetError('invalid', `filter: unknown field "${k}"`, `fields: ${FILTER_KEYS.join(', ')}`)
  const argv = ['conntrack', '-L']
  if (f.family !== undefined) {
    if (f.family !== 'ipv4' && f.family !== 'ipv6') throw bad('family', '"ipv4" or "ipv6"', f.family)
    argv.push('-f', f.family)
  }
  if (f.proto !== undefined) {
    if (typeof f.proto !== 'string' || !/^[a-z0-9]+$/.test(f.proto))
      throw bad('proto', 'a protocol name like "tcp" or "udp"', f.proto)
    argv.push('-p', f.proto)
  }
  const addr: [keyof ConntrackFilter, string][] = [
    ['src', '-s'],
    ['dst', '-d'],
    ['replySrc', '-r'],
    ['replyDst', '-q'],
  ]
  for (const [k, flag] of addr) {
    const v = f[k]
    if (v === undefined) continue
    if (typeof v !== 'string' || !IP.test(v.split('/')[0])) throw bad(k, 'an IP address', v)
    argv.push(flag, v)
  }
  for (const k of ['sport', 'dport'] as const) {
    const v = f[k]
    if (v === undefined) continue
    if (!Number.isInteger(v) || v < 0 || v > 65535) throw bad(k, 'a port number 0-65535', v)
    if (!f.proto)
      throw new NetError(
        'invalid',
        `filter.${k} needs filter.proto (conntrack only knows ports of a protocol)`,
        `e.g. {proto: 'tcp', ${k}: ${v}}`,
      )
    argv.push(`--${k}`, String(v))
  }
  if (f.state !== undefined) {
    if (typeof f.state !== 'string' || !/^[A-Za-z_]+$/.test(f.state))
      throw bad('state', 'a TCP state like "ESTABLISHED"', f.state)
    if (f.proto !== 'tcp')
      throw new NetError(
        'invalid',
        'filter.state needs filter.proto "tcp"',
        "e.g. {proto: 'tcp', state: 'ESTABLISHED'}",
      )
    argv.push('--state', f.state.toUpperCase())
  }
  for (const [k, flag] of [
    ['mark', '-m'],
    ['zone', '-w'],
  ] as const) {
    const v = f[k]
    if (v === undefined) continue
    if (!Number.isInteger(v) || v < 0) throw bad(k, 'a non-negative integer', v)
    argv.push(flag, String(v))
  }
  if (f.limit !== undefined && (!Number.isInteger(f.limit) || f.limit < 0))
    throw bad('limit', 'a whole number >= 0 (0 = all)', f.limit)
  return argv
}

/**
 * Runs conntrack -L with `sh -s -- ARGV…` and keeps at most LIMIT lines (first arg), still counting them all:
 * prints the flows, then "#kinspect total N" and "#kinspect exit CODE" (so a failing conntrack is noticed through the pipe).
 */
export const CONNTRACK_LIMIT_SCRIPT = `n=$1; shift
{ "$@"; echo "#kinspect exit $?"; } | awk -v n="$n" '/^#kinspect exit /{print; next} { c++; if (n == 0 || c <= n) print } END { print "#kinspect total " c+0 }'
`

/** Reads the trailer of CONNTRACK_LIMIT_SCRIPT. */
export function parseLimitTrailer(text: string): { exit?: number; total?: number } {
  const exit = /^#kinspect exit (\d+)$/m.exec(text)
  const total = /^#kinspect total (\d+)$/m.exec(text)
  return { exit: exit ? counter(exit[1]) : undefined, total: total ? counter(total[1]) : undefined }
}
