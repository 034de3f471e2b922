// Data shapes of svcRules: the kube-proxy rules of one Service on one node, mode-independent.
import { Presentation } from '../../present.ts'

/** How kube-proxy implements Services on the node. */
export type ProxyMode = 'iptables' | 'nftables' | 'ipvs'

/** L4 protocol as the Service spells it. */
export type Protocol = 'TCP' | 'UDP' | 'SCTP'

/** IP family of a rule set. */
export type Family = 4 | 6

/** Which address of the Service a frontend is. */
export type FrontendKind = 'ClusterIP' | 'NodePort' | 'ExternalIP' | 'LoadBalancer'

/** Packet and byte counters of one rule (iptables-save -c, nft counter, ipvsadm --stats). */
export interface Counters {
  /** Packets that matched (nat rules see only the first packet of each connection; ipvs: InPkts). */
  packets: number
  /** Bytes that matched (ipvs: InBytes). */
  bytes: number
  /** Connections scheduled (ipvs Conns only). */
  connections?: number
}

/** The clients kube-proxy tells apart: pods (source in the cluster CIDR), the node itself (src-type LOCAL), everyone else. */
export type ClientClass = 'pod' | 'node' | 'external'

/** What new connections of one class of client get through a frontend. */
export interface SvcClientRoute {
  client: ClientClass
  /** How the rules recognised the class, e.g. "src in 10.244.0.0/16", "src-type LOCAL"; undefined when no rule singled it out. */
  match?: string
  /** A further condition on the source within the class (loadBalancerSourceRanges), e.g. "src in 203.0.113.0/25". */
  when?: string
  /** forward = DNAT to `endpoints`; drop/reject = refused; none = no rule takes the connection (not DNATed). */
  action: 'forward' | 'drop' | 'reject' | 'none'
  /** The endpoint chain reached: KUBE-SVC-/KUBE-SVL-/KUBE-XLB-…, nft service-/local-…. */
  chain?: string
  /** cluster = every endpoint, local = this node's endpoints only (Local traffic policy). */
  scope?: 'cluster' | 'local'
  /** The endpoints that chain DNATs to. */
  endpoints: { ip: string; port: number }[]
  /** The rule that decides, as "CHAIN: comment or rule". */
  via: string
  /** When the node SNATs this class's connections: "always", "if …"; undefined = the client's source address is kept. */
  masquerade?: string
}

/** One way into the Service: an address and port the node intercepts, and what happens to new connections. */
export interface SvcFrontend {
  kind: FrontendKind
  /** Destination address; '*' for a NodePort on every local address. */
  ip: string
  port: number
  protocol: Protocol
  family: Family
  /** forward = DNAT to an endpoint; reject/drop = the "no endpoints" (or firewall) rules. */
  action: 'forward' | 'reject' | 'drop'
  /** Chains (or the virtual server) the packet walks, entry first, e.g. KUBE-NODEPORTS, KUBE-EXT-…, KUBE-SVC-…. */
  path: string[]
  /** When the node masquerades (SNATs) this traffic, e.g. "always", "if src not in 10.244.0.0/16"; undefined when never. */
  masquerade?: string
  /** Counters of the entry rule, when the tool reports them. */
  counters?: Counters
  /** The entry rule as the tool prints it. */
  rule: string
  /** Extra facts: firewall source ranges, ipset membership, localhost NodePorts. */
  notes: string[]
  /**
   * Per client class (pod, node, external) what the rules do with a new connection (iptables and nftables modes). A
   * DROP/REJECT frontend that only catches what another frontend's chains let through lists just those classes.
   */
  clients?: SvcClientRoute[]
}

/** One endpoint a chain can DNAT to. */
export interface SvcEndpoint {
  ip: string
  port: number
  protocol: Protocol
  family: Family
  /** Chance that a new connection picks this endpoint (0..1); undefined when the scheduler is not random/round-robin. */
  probability?: number
  /** iptables: the rule's own --probability (conditional on the earlier rules not matching). */
  ruleProbability?: number
  /** ipvs: the real server's weight (0 = no new connections). */
  weight?: number
  /** ipvs: ActiveConn / InActConn. */
  activeConns?: number
  inactiveConns?: number
  /** The per-endpoint chain (KUBE-SEP-…, endpoint-…) or ipvs "-> ip:port". */
  chain: string
  /** The endpoint marks for masquerade traffic it sends to itself through the Service (hairpin). */
  hairpinMasquerade: boolean
  /** Session affinity: seconds a client sticks to this endpoint (iptables recent / nft affinity set). */
  affinitySeconds?: number
  counters?: Counters
  /** The DNAT rule as the tool prints it. */
  rule: string
}

/** A chain that picks an endpoint: KUBE-SVC-/KUBE-SVL-, nft service-/local-, or an ipvs virtual server. */
export interface SvcChain {
  name: string
  /** cluster = all endpoints, local = this node's endpoints (Local traffic policy). */
  kind: 'cluster' | 'local'
  family: Family
  /** ipvs scheduler (rr, wrr, lc, …); iptables/nftables pick at random. */
  scheduler?: string
  endpoints: SvcEndpoint[]
  notes: string[]
}

/** The rules of one Service port. */
export interface SvcPortRules {
  /** Port name ('' when the Service has one unnamed port). */
  name: string
  protocol: Protocol
  port: number
  nodePort?: number
  targetPort?: number | string
  frontends: SvcFrontend[]
  chains: SvcChain[]
  /** Distinct endpoints of all chains (ip:port), in chain order. */
  endpoints: SvcEndpoint[]
}

/** The parts of a Service the extractors need, for one IP family. */
export interface SvcSpec {
  namespace: string
  name: string
  family: Family
  clusterIPs: string[]
  externalIPs: string[]
  loadBalancerIPs: string[]
  ports: { name: string; protocol: Protocol; port: number; nodePort?: number; targetPort?: number | string }[]
  internalTrafficPolicy: 'Cluster' | 'Local'
  externalTrafficPolicy: 'Cluster' | 'Local'
  sessionAffinitySeconds?: number
}

/** An endpoint as the EndpointSlices publish it for one Service port. */
export interface SliceEndpoint {
  portName: string
  protocol: Protocol
  ip: string
  targetPort: number
  family: Family
  ready: boolean
  serving: boolean
  terminating: boolean
  nodeName?: string
  pod?: string
}

/** An endpoint found in the rules, as the comparison names it. */
export interface RuleEndpoint {
  portName: string
  protocol: Protocol
  ip: string
  targetPort: number
  family: Family
}

/** Rules vs EndpointSlices. */
export interface SvcComparison {
  /** What kube-proxy should program (ready endpoints, else serving+terminating ones; Local policies filter by node). */
  expected: SliceEndpoint[]
  /** What the rules DNAT to. */
  programmed: RuleEndpoint[]
  /** In the slices (and should be programmed), not in the rules. */
  missing: SliceEndpoint[]
  /** In the rules, in no EndpointSlice of the Service: a deleted pod. */
  stale: RuleEndpoint[]
  /** In the rules and the slices, but kube-proxy should not use it now (not ready, another node under a Local policy). */
  extra: (RuleEndpoint & { reason: string })[]
  /** Same address in rules and slices, different target port. */
  portMismatches: { portName: string; protocol: Protocol; ip: string; rulesPort: number; slicesPort: number }[]
  /** Frontends the Service defines but the rules lack, or rules forwarding where they should reject. */
  frontendIssues: string[]
  /**
   * A class of client (pod, node, external) treated otherwise than the traffic policies and the slices say: outside
   * clients sent to every endpoint under externalTrafficPolicy Local, or dropped although this node has a usable
   * local endpoint, or forwarded although it has none; an endpoint one class should reach and does not.
   */
  clientIssues: string[]
  /** True when none of the above lists has an entry. */
  ok: boolean
}

/** What svcRules reports overall. */
export type SvcStatus = 'ok' | 'no-endpoints' | 'mismatch' | 'no-rules' | 'not-proxied'

/** The kube-proxy rules that implement one Service on one node, compared with its EndpointSlices. */
export interface SvcRules {
  /** "namespace/name". */
  service: string
  node: string
  /** The mode whose rules were read; 'unknown' when the Service is not proxied. */
  mode: ProxyMode | 'unknown'
  /** iptables mode: the iptables backend that holds kube-proxy's rules. */
  backend?: 'nf_tables' | 'legacy'
  ports: SvcPortRules[]
  comparison: SvcComparison
  status: SvcStatus
  /** One line: the status and its reason. */
  verdict: string
  /** What to look at next, when something is off. */
  hint?: string
  warnings: string[]
  /** The commands run on the node, as typed in a shell. */
  commands: string[]
}

/** How svcRules' result prints (src/render/presenters.ts registers the renderer). */
export const SVC_RULES = new Presentation<SvcRules>('SvcRules')
