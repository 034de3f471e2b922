// What the shell, recipes and fleets need from a session (the real Session and test fakes both satisfy it), apart from
// the Session class so that its users import the shape, not the implementation.
import type { KinspectConfig } from './config.ts'
import type { Kube } from './kube/index.ts'
import type { NodeHandle } from './exec/index.ts'
import type { GcResult } from './exec/nodepod/index.ts'
import type { AccessHooks } from './access/hooks.ts'
import type { AccessPlanEntry, FleetBegin } from './access/index.ts'

/** The kinds of names the shell completes. */
export type NameKind = 'pod' | 'node' | 'namespace' | 'service' | 'context'

/** The cluster calls the shell's globals delegate to (a subset of Kube). */
export type KubeApi = Pick<
  Kube,
  'pods' | 'pod' | 'services' | 'svc' | 'endpoints' | 'nodes' | 'events' | 'logs' | 'describe' | 'top' | 'ping' | 'get'
>

/** What the REPL needs from a session. */
export interface SessionApi {
  /** Current kubeconfig context name ('' when there is no kubeconfig). */
  readonly context: string
  readonly namespace: string
  readonly config: KinspectConfig
  /** The cluster client; constructed on first use, without I/O. Throws the load error when there is no usable kubeconfig. */
  readonly kube: KubeApi
  /** One line saying why the cluster is not usable, or undefined when it is (or not known yet). */
  readonly status: string | undefined
  /** Context names from the kubeconfig. */
  contexts(): string[]
  /** Loads the cluster client and the transports (started after the prompt shows; kube and node() need it). */
  load(): Promise<void>
  /** A handle on a node ('local' is this machine). */
  node(name: string): NodeHandle
  /** How the session reached a node so far ('ssh', 'pod', 'daemonset', 'local'); makes no handle for it. */
  nodeVia?(name: string): NodeHandle['via']
  setContext(name: string): void
  setNamespace(ns: string): void
  /** Checks the cluster (network); sets and returns status. */
  ping(): Promise<string | undefined>
  /** Names for completion (network for cluster kinds). */
  names(kind: NameKind): Promise<string[]>
  /** Ends the session: node pods deleted, connections closed (see Session.shutdown). */
  close(): Promise<void>
  /** Node access settings the shell provides: --yes, how to ask consent for node pods, who shows their phases. */
  readonly access?: AccessHooks
  /** Aborts every command the session is running (Ctrl-C); renew (default true) lets later commands run. */
  interrupt?(o?: { renew?: boolean }): void
  /** kinspect gc: lists kinspect's node pods and deletes the leftovers (this session's are kept). */
  gc?(o?: { dryRun?: boolean }): Promise<GcResult>
  /** What each node would use (SSH or a node pod), without connecting or creating anything. */
  nodeAccessPlan?(nodes: readonly string[]): Promise<AccessPlanEntry[]>
  /**
   * Before a fleet: one DaemonSet for its nodes without SSH when there are more than fleet.daemonSetAbove; returns at
   * once, `ready(node)` says when a node may start (at once where SSH serves it).
   */
  prepareFleet?(nodes: readonly string[]): FleetBegin
}
