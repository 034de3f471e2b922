// dig / nslookup / getent: argv builders and output parsers, one query each. Pure.
import { isIP } from 'node:net'
import type { Outcome } from './resolvconf.ts'

/** One resource record of an answer. */
export interface DnsRecord {
  name: string
  ttl?: number
  class?: string
  type: string
  data: string
}

/** What one query returned. rcode is the DNS status, or TIMEOUT / CONNREFUSED / ERROR when no answer came. */
export interface QueryResult {
  rcode: string
  answers: DnsRecord[]
  /** The server's reported query time (dig only). */
  queryMs?: number
  /** The server that answered, e.g. 10.96.0.10#53. */
  server?: string
  flags?: string[]
  /** Why there is no answer (timeouts, refused connections, tool errors). */
  error?: string
}

/** The record types dnsQuery accepts. */
export const DNS_TYPES = ['A', 'AAAA', 'SRV', 'CNAME', 'TXT', 'MX', 'NS', 'PTR', 'SOA', 'CAA', 'ANY'] as const
/** One of DNS_TYPES. */
export type DnsType = (typeof DNS_TYPES)[number]

/** `dig +noall +answer +comments +stats +time=T +tries=1 @SERVER NAME TYPE`: one try, status and timing kept. */
export function digArgv(name: string, type: string, server: string, timeoutSec: number): string[] {
  return [
    'dig',
    '+noall',
    '+answer',
    '+comments',
    '+stats',
    `+time=${timeoutSec}`,
    '+tries=1',
    `@${server}`,
    name,
    type,
  ]
}

/** `nslookup -type=T -timeout=S -retry=1 NAME. SERVER` (the trailing dot stops nslookup's own search list). */
export function nslookupArgv(name: string, type: string, server: string, timeoutSec: number): string[] {
  return [
    'nslookup',
    `-type=${type}`,
    `-timeout=${timeoutSec}`,
    '-retry=1',
    name.endsWith('.') ? name : `${name}.`,
    server,
  ]
}

/** `getent ahostsv4|ahostsv6 NAME`: the node's NSS resolver; A and AAAA only. */
export function getentArgv(name: string, type: 'A' | 'AAAA'): string[] {
  return ['getent', type === 'AAAA' ? 'ahostsv6' : 'ahostsv4', name]
}

/** A communications failure line (dig and bind's nslookup print the same). */
function commError(text: string): QueryResult | undefined {
  const m = /communications error to (\S+): (.+)|(connection timed out); no servers could be reached/.exec(text)
  if (!m) return undefined
  const why = (m[2] ?? m[3]).trim()
  const rcode = /timed out/.test(why) ? 'TIMEOUT' : /refused/.test(why) ? 'CONNREFUSED' : 'ERROR'
  return { rcode, answers: [], server: m[1], error: m[1] ? `${m[1]}: ${why}` : why }
}

/** Parses one record line: NAME TTL CLASS TYPE DATA…; undefined when it is not one (an A/AAAA record's data must be an address of its family). */
export function parseRecordLine(line: string): DnsRecord | undefined {
  const t = line.trim().split(/\s+/)
  if (t.length < 5 || !/^\d{1,10}$/.test(t[1]) || !/^[A-Z]+$/.test(t[2]) || !/^[A-Z0-9]+$/.test(t[3])) return undefined
  const data = t.slice(4).join(' ')
  if ((t[3] === 'A' && isIP(data) !== 4) || (t[3] === 'AAAA' && isIP(data) !== 6)) return undefined
  return { name: t[0], ttl: Number(t[1]), class: t[2], type: t[3], data }
}

/** A or AAAA for an address, undefined when it is none. */
function addressType(s: string): 'A' | 'AAAA' | undefined {
  const v = isIP(s)
  return v === 4 ? 'A' : v === 6 ? 'AAAA' : undefined
}

/** The status of dig's "->>HEADER<<-" line. Line by line: a regex \`->>HEADER<<- .*status\` restarts at every copy of the marker (quadratic). */
function headerStatus(text: string): RegExpExecArray | undefined {
  for (const line of text.split('\n')) {
    const i = line.indexOf('->>HEADER<<- ')
    const m = i < 0 ? null : /status: ([A-Z]+)/.exec(line.slice(i))
    if (m) return m
  }
  return undefined
}

/** Parses dig output (default or +noall +answer +comments +stats): status, flags, answer section, query time, server. */
export function parseDig(text: string): QueryResult {
  const status = headerStatus(text)
  if (!status)
    return (
      commError(text) ?? { rcode: 'ERROR', answers: [], error: text.trim().split('\n').pop() || 'dig printed nothing' }
    )
  const r: QueryResult = { rcode: status[1], answers: [] }
  const flags = /;; flags: ([a-z ]*);/.exec(text)
  if (flags) r.flags = flags[1].trim().split(/\s+/).filter(Boolean)
  const qt = /;; Query time: (\d{1,15}) msec/.exec(text)
  if (qt) r.queryMs = Number(qt[1])
  const srv = /;; SERVER: (\S+?)(\(|\s|$)/.exec(text)
  if (srv) r.server = srv[1]
  const hasSections = /^;; [A-Z ]+ SECTION:/m.test(text)
  let inAnswer = !hasSections
  for (const line of text.split('\n')) {
    if (/^;; ANSWER SECTION:/.test(line)) inAnswer = true
    else if (/^;; [A-Z ]+ SECTION:/.test(line) || (hasSections && line.trim() === '')) inAnswer = false
    else if (inAnswer && !line.startsWith(';')) {
      const rec = parseRecordLine(line)
      if (rec) r.answers.push(rec)
    }
  }
  return r
}

/** Parses nslookup output (bind9 or busybox): NXDOMAIN/SERVFAIL lines, "No answer", Name/Address pairs, typed records. */
export function parseNslookup(text: string): QueryResult {
  const fail = /\*\* server can't find (\S+?):? ([A-Z]+)\s*$/m.exec(text)
  const server = /^Server:\s+(\S+)/m.exec(text)?.[1]
  if (fail) return { rcode: fail[2], answers: [], server }
  const comm = commError(text)
  if (comm) return comm
  const answers: DnsRecord[] = []
  let name = ''
  let seenServer = false
  for (const raw of text.split('\n')) {
    const line = raw.trim()
    if (/^Server:/.test(line)) seenServer = true
    const n = /^Name:\s+(\S+)/.exec(line)
    if (n) name = n[1]
    const a = /^Address(?: \d+)?:\s+(\S+)/.exec(line)
    const type = a && name && !/#\d+$/.test(a[1]) ? addressType(a[1]) : undefined
    if (type) answers.push({ name, type, data: a![1] })
    const typed = /^(\S+)\s+(canonical name|service|text|mail exchanger|nameserver|name) = (.+)$/.exec(line)
    if (typed) {
      const type = {
        'canonical name': 'CNAME',
        service: 'SRV',
        text: 'TXT',
        'mail exchanger': 'MX',
        nameserver: 'NS',
        name: 'PTR',
      }[typed[2]] as string
      answers.push({ name: typed[1], type, data: typed[3] })
    }
  }
  if (
    !answers.length &&
    text.split('\n').some((l) => l.includes(': No answer', l.indexOf("Can't find ") + 1) && l.includes("Can't find "))
  )
    return { rcode: 'NOERROR', answers: [], server }
  if (!answers.length && !seenServer)
    return { rcode: 'ERROR', answers: [], error: text.trim().split('\n').pop() || 'nslookup printed nothing' }
  return { rcode: 'NOERROR', answers, server }
}

/** Parses `getent ahosts*` (exit 2 = not found): unique addresses as A/AAAA records; no rcode can be known. */
export function parseGetent(text: string, exitCode: number | null, name: string): QueryResult {
  if (exitCode === 2)
    return {
      rcode: 'NOTFOUND',
      answers: [],
      error: 'getent: not found (NXDOMAIN, NODATA or a failure: getent cannot tell which)',
    }
  if (exitCode !== 0) return { rcode: 'ERROR', answers: [], error: `getent exited ${exitCode}` }
  const ips = [
    ...new Set(
      text
        .split('\n')
        .map((l) => l.trim().split(/\s+/)[0])
        .filter((ip) => addressType(ip)),
    ),
  ]
  return { rcode: 'NOERROR', answers: ips.map((ip) => ({ name, type: addressType(ip)!, data: ip })) }
}

/** How the resolver reads one result. */
export function outcomeOf(r: QueryResult): Outcome {
  if (r.rcode === 'NOERROR') return r.answers.length ? 'answer' : 'NODATA'
  if (
    r.rcode === 'NXDOMAIN' ||
    r.rcode === 'SERVFAIL' ||
    r.rcode === 'TIMEOUT' ||
    r.rcode === 'REFUSED' ||
    r.rcode === 'CONNREFUSED'
  )
    return r.rcode
  return 'OTHER'
}
