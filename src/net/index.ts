// The network helpers: enterNetns, vethOf, dnsQuery, conntrackStats, conntrackList, svcRules, bound to a session.
import type { SessionApi } from '../session.ts'
import { conntrackList, conntrackStats } from './conntrack.ts'
import type { ConntrackFilter } from './conntrack-parse.ts'
import { dnsQuery, type DnsQueryOptions } from './dns.ts'
import { enterNetns } from './netns.ts'
import type { PodArg } from './pods.ts'
import { svcRules } from './svc/index.ts'
import { vethOf, type VethOptions } from './veth.ts'

type Rest<F> = F extends (session: any, ...rest: infer R) => any ? R : never

/** The helpers of one session, as the REPL globals call them (caches live per session, so binding again is cheap). */
export function bindNet(session: SessionApi) {
  return {
    /** enterNetns('client') — a handle running commands in the pod's netns from its node. */
    enterNetns: (pod: PodArg) => enterNetns(session, pod),
    /** vethOf('client') — the pod's eth0 and its host-side veth, bridge, MTU check, counters. */
    vethOf: (pod: PodArg, opts?: VethOptions) => vethOf(session, pod, opts),
    /** dnsQuery('web', {from: 'client'}) — every query the pod's resolver would send, with rcodes and timings. */
    dnsQuery: (name: string, opts?: DnsQueryOptions) => dnsQuery(session, name, opts),
    /** conntrackStats('lab-1') — conntrack -S counters and nf_conntrack_count/max. */
    conntrackStats: (node: unknown) => conntrackStats(session, node),
    /** conntrackList('lab-1', {proto: 'udp', dport: 53}) — conntrack -L flows, parsed. */
    conntrackList: (node: unknown, filter?: ConntrackFilter) => conntrackList(session, node, filter),
    /** svcRules('web') — kube-proxy's rules for a service on the node. */
    svcRules: (...args: Rest<typeof svcRules>) => svcRules(session, ...args),
  }
}

export { enterNetns, NetnsHandle, nsenterArgv, type NetnsInfo } from './netns.ts'
export { vethOf, type VethResult, type VethOptions } from './veth.ts'
export { dnsQuery, type DnsResult, type DnsAttempt, type DnsQueryOptions, type DnsTool } from './dns.ts'
export { conntrackStats, conntrackList, type ConntrackStats, type ConntrackList } from './conntrack.ts'
export type { ConntrackEntry, ConntrackFilter, ConntrackCpuStats, ConntrackTuple } from './conntrack-parse.ts'
export { NetError, type NetErrorKind, type MethodAttempt } from './errors.ts'
export type { NetSession, PodArg } from './pods.ts'
export { svcRules }
