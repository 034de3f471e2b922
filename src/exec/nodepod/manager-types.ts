// The node pods' option and result types: how a session makes its pods, a pod ready for execs, what close() did.
import type { ExecProtocolChoice } from '../../kube/execproto.ts'
import type { Pod } from '../../kube/types.ts'
import type { NodePodPhase } from './api.ts'
import type { PodFacts } from './command.ts'
import type { PodResources } from './spec.ts'

/** How a session makes its node pods. */
export interface NodePodsOptions {
  /** Namespace of the pods (default kube-system). */
  namespace?: string
  image?: string
  imagePullSecrets?: string[]
  imagePullPolicy?: 'IfNotPresent' | 'Always' | 'Never'
  /** activeDeadlineSeconds (default 3600). */
  deadlineSeconds?: number
  priorityClassName?: string
  resources?: PodResources
  /** Session id (default random). */
  session?: string
  /** Limit for a pod to become Running (default 60000 ms). */
  startTimeoutMs?: number
  /** Heartbeat period (default 60000 ms). */
  heartbeatMs?: number
  /** Bounded wait for deletions in close() (default 15000 ms). */
  deleteWaitMs?: number
  /** 'v4' offers only v4.channel.k8s.io (tests force it). */
  protocol?: ExecProtocolChoice
  /** Phase changes, for the shell's spinner. */
  onPhase?: (p: NodePodPhase) => void
  /** Called before each pod is created (consent); throw to refuse. */
  beforeCreate?: (node: string, pod: Pod) => Promise<void> | void
  /** Overrides for tests. */
  host?: string
  pid?: number
}

/** A pod ready for execs. */
export interface NodePodRef {
  node: string
  namespace: string
  name: string
  facts: PodFacts
  /** Epoch ms when the pod ends at the latest. */
  deadlineAt: number
  /** Set when the pod belongs to the session's DaemonSet (its name): it is deleted with the DaemonSet, never alone. */
  daemonSet?: string
}

/** What close() did. */
export interface CloseReport {
  deleted: string[]
  /** Pods still there after the bounded wait, or whose delete failed. */
  remaining: { name: string; namespace: string; why: string }[]
}
