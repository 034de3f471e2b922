// The data of triage: what the analyzers read (a Snapshot of API objects), what they find (Symptoms), and what the
// report holds (ranked rows, the checks that ran or could not, the node reads). Pure shapes, no I/O.
import { Presentation } from '../present.ts'
import type { EndpointSlice, KubeEvent, KubeObject, Lease, Node, Pod, Service } from '../kube/types.ts'
import type { ConntrackStats } from '../net/types.ts'
import type { SvcRules } from '../net/svc/types.ts'

/** How bad a row is: fail (something is broken now) or warn (degraded, or about to break). */
export type TriageSeverity = 'fail' | 'warn'

/** The namespaces triage looked at: a list, or every namespace. */
export type TriageScope = { namespaces: string[] } | { allNamespaces: true }

/** An API object as triage names it. */
export interface ObjectRef {
  kind: string
  namespace?: string
  name: string
}

/** What to run next: a recipe with its parameters, or (when no recipe fits) a kubectl command. */
export interface NextStep {
  recipe?: string
  params?: Record<string, string>
  /** The exact command line, e.g. `kinspect run crashloop --pod shop/crasher-7c9f-x2x7p`. */
  command: string
}

/** The kinds of symptom the analyzers report. */
export type SymptomCode =
  | 'crashloop'
  | 'oomkilled'
  | 'image-pull'
  | 'container-config'
  | 'pending'
  | 'not-ready'
  | 'restarting'
  | 'evicted'
  | 'failed'
  | 'rollout-stuck'
  | 'workload-unavailable'
  | 'svc-no-endpoints'
  | 'svc-targetport'
  | 'node-notready'
  | 'node-pressure'
  | 'node-lease'
  | 'cluster-dns'
  | 'metrics-api'
  | 'events'
  | 'conntrack'
  | 'rules-drift'

/** Where a symptom sits; rows of lower layers rank first at the same severity (a node outranks its pods). */
export type Layer = 'node' | 'cluster' | 'workload' | 'service' | 'pod' | 'event'

/** One thing an analyzer found wrong with one object. */
export interface Symptom {
  code: SymptomCode
  severity: TriageSeverity
  layer: Layer
  object: ObjectRef
  /** A few words: "CrashLoopBackOff", "no ready endpoints". */
  symptom: string
  /** One line of evidence: what the API says. */
  evidence: string
  next: NextStep
  /**
   * Objects (objectKey) that would be this symptom's cause if they have a symptom of their own: a pod's node, a
   * Service's pods, a Deployment's pods. The row of the first such cause takes this symptom as an effect.
   */
  causes?: string[]
  /** For pods: the top-level controller (Deployment, StatefulSet, DaemonSet, Job), to group its pods in one row. */
  owner?: ObjectRef
  /**
   * Shown only together with a cause: alone it is a passing state (a Deployment one replica short within its
   * maxUnavailable, a rollout whose new pod is starting), so it is left out unless it went under a cause's row or
   * took one under its own.
   */
  onlyAsEffect?: boolean
}

/** A symptom shown under the row of its cause. */
export interface Effect {
  object: string
  symptom: string
  evidence: string
}

/** A Warning event attached to a row (JSON only): reason, how often, the last message. */
export interface RowEvent {
  object: string
  reason: string
  count: number
  message: string
  last?: string
}

/** One ranked row of the triage table: the cause first, the symptoms it explains as effects. */
export interface TriageRow {
  rank: number
  severity: TriageSeverity
  code: SymptomCode
  /** "Pod shop/crasher-7c9f-x2x7p". */
  object: string
  kind: string
  namespace?: string
  name: string
  symptom: string
  evidence: string
  next: NextStep
  /** Other objects with the same symptom and owner (the other replicas). */
  also: string[]
  effects: Effect[]
  events: RowEvent[]
}

/** Whether a check could look: seen, not seen (forbidden, timed out, unreachable: why, and what to grant), or off. */
export interface CheckStatus {
  check: string
  status: 'seen' | 'not-seen' | 'off'
  /** How many objects it read. */
  count?: number
  reason?: string
  /** What access would let it look (RBAC verbs and resource). */
  grant?: string
  /** What to configure or check instead, when it was not a permission (src/notseen.ts). */
  configure?: string
}

/** The API objects the analyzers read; lists that could not be read are empty (their check says so). */
export interface Snapshot {
  /** When the objects were read (ms since the epoch): ages and grace periods are measured from it. */
  now: number
  scope: TriageScope
  pods: Pod[]
  services: Service[]
  slices: EndpointSlice[]
  deployments: KubeObject[]
  replicasets: KubeObject[]
  statefulsets: KubeObject[]
  daemonsets: KubeObject[]
  events: KubeEvent[]
  nodes: Node[]
  leases: Lease[]
  /** The metrics.k8s.io APIService; null when the cluster does not register one, undefined when not seen. */
  metricsAPI?: KubeObject | null
  /** The cluster DNS as kube-system has it (read even when kube-system is not in scope); undefined when not seen. */
  dns?: { service?: Service; pods: Pod[]; slices: EndpointSlice[]; deployments: KubeObject[] }
}

/** What was read on one node over a transport the user allowed. */
export interface NodeRead {
  node: string
  /** The transport the node was read over ("ssh", "pod", ...), when the handle said. */
  via?: string
  /** Why the node could not be read (no result fields then). */
  reason?: string
  conntrack?: ConntrackStats
  conntrackError?: string
  /** kube-proxy's rules for each Service in scope, compared with its EndpointSlices. */
  rules?: SvcRules[]
  rulesError?: string
}

/** Whether node reads ran, over which transport, and per node what was read. */
export interface NodeChecks {
  ran: boolean
  /** The transports the nodes were read over ("ssh", "pod", or both: "pod, ssh"); the reads' own name when none was. */
  transport?: string
  /** Why they did not run. */
  reason?: string
  nodes: { node: string; status: 'read' | 'not-read'; via?: string; reason?: string }[]
}

/** 0: nothing wrong; 1: something is wrong; 2: it could not look (nothing found, and a check was not seen). */
export type TriageExit = 0 | 1 | 2

/** The triage report (what -o json prints). */
export interface TriageData {
  context: string
  scope: TriageScope
  startedAt: string
  durationMs: number
  rows: TriageRow[]
  checks: CheckStatus[]
  nodeChecks: NodeChecks
  /** ok: nothing wrong; problems: rows; incomplete: no rows, but something could not be checked. */
  status: 'ok' | 'problems' | 'incomplete'
  exitCode: TriageExit
}

/** How a triage report prints (src/render/presenters.ts registers the renderer). */
export const TRIAGE_REPORT = new Presentation<TriageData>('TriageReport')
