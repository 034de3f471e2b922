// The network helpers' results as data, and how each prints (a Presentation the renderers fill in:
// src/render/presenters.ts). Renderers import these types; the helpers never import a renderer.
import { Presentation } from '../present.ts'
import type { ConntrackCpuStats, ConntrackEntry } from './conntrack-parse.ts'
import type { MethodAttempt } from './errors.ts'
import type { DnsRecord, QueryResult } from './dnsparse.ts'
import type { VethPairing } from './iplink.ts'
import type { PidMethod } from './pid.ts'
import type { Candidate, ResolvConf, ResolverKind } from './resolvconf.ts'

export type { ConntrackCpuStats, ConntrackEntry, ConntrackTuple } from './conntrack-parse.ts'
export type { MethodAttempt } from './errors.ts'
export type { DnsRecord, QueryResult } from './dnsparse.ts'
export type { LinkEnd, VethPairing } from './iplink.ts'

/** What a NetnsHandle is, as data. */
export interface NetnsInfo {
  pod: string
  namespace: string
  name: string
  uid: string
  node: string
  podIP?: string
  pid: number
  method: PidMethod
  detail: string
  containerId?: string
  cached: boolean
  attempts: MethodAttempt[]
}

/** The lookup tools dnsQuery can use, in order of preference. */
export type DnsTool = 'dig' | 'nslookup' | 'getent'

/** One query sent. */
export interface DnsAttempt extends QueryResult {
  /** 1-based order. */
  n: number
  /** The name queried (absolute, no trailing dot). */
  name: string
  /** 'as-is', a search domain, or 'server' for a direct query. */
  via: string
  /** The nameserver asked. */
  to: string
  /** Wall-clock time of the query as seen from kinspect (includes the SSH round trip). */
  elapsedMs: number
}

/** dnsQuery's answer: every query in order, the resolver's final verdict, and notes on what it means. */
export interface DnsResult {
  name: string
  type: string
  /** "pod shop/ndots" or "node lab-1". */
  from: string
  node: string
  tool: DnsTool
  resolver: ResolverKind
  /** How the resolver rules were chosen. */
  resolverFrom: 'option' | 'detected' | 'assumed'
  resolvConf?: ResolvConf
  candidates: Candidate[]
  attempts: DnsAttempt[]
  /** The final status (of the last query). */
  rcode: string
  answers: DnsRecord[]
  /** The candidate that answered. */
  answeredBy?: string
  resolved: boolean
  /** From the first query sent to the last answer (pod lookup and PID discovery not included). */
  elapsedMs: number
  notes: string[]
}

/** vethOf's answer: both ends, the bridge, MTU check and warnings, or an explanation instead of a wrong answer. */
export interface VethResult extends VethPairing {
  /** "namespace/name". */
  pod: string
  node?: string
  /** How the pod's PID was found (crictl, docker, proc). */
  method?: string
}

/** The node's conntrack counters and table fill. */
export interface ConntrackStats {
  node: string
  /** Where the per-CPU counters came from. */
  source: 'conntrack -S' | '/proc/net/stat/nf_conntrack' | 'none'
  perCpu: ConntrackCpuStats[]
  /** Per-CPU counters summed. */
  totals: Record<string, number>
  /** nf_conntrack_count / nf_conntrack_max. */
  count?: number
  max?: number
  /** count / max (0..1). */
  usage?: number
  warnings: string[]
}

/** conntrackList's answer: an array of flows with what was asked and how many there were in all. */
export type ConntrackList = ConntrackEntry[] & { node: string; argv: string[]; total: number; truncated: boolean }

/** How a NetnsHandle prints (its toJSON()). */
export const NETNS_INFO = new Presentation<NetnsInfo>('NetnsInfo')
/** How vethOf's result prints. */
export const VETH_RESULT = new Presentation<VethResult>('VethResult')
/** How dnsQuery's result prints. */
export const DNS_RESULT = new Presentation<DnsResult>('DnsResult')
/** How conntrackStats' result prints. */
export const CONNTRACK_STATS = new Presentation<ConntrackStats>('ConntrackStats')
/** How conntrackList's result prints. */
export const CONNTRACK_LIST = new Presentation<ConntrackList>('ConntrackList')
