// The seams of the node pod transport: the API calls it needs (implemented over Kube in src/kube/nodepods.ts,
// faked in unit tests), its error, and the phase events the shell shows with a spinner.
import { HintedError } from '../../errors.ts'
import type { ExecRequest, ExecStreamResult } from '../../kube/exec.ts'
import type { DaemonSet, KubeEvent, KubeObject, Node, Pod } from '../../kube/types.ts'

/** The Kubernetes calls node pods need. Reads answer undefined for 404; everything else throws KubeError. */
export interface NodePodApi {
  /** The kubeconfig user name (label kinspect.dev/user). */
  readonly user: string
  createPod(pod: Pod): Promise<Pod>
  getPod(namespace: string, name: string): Promise<Pod | undefined>
  /** Deletes; a pod already gone is not an error. */
  deletePod(namespace: string, name: string, gracePeriodSeconds?: number): Promise<void>
  /** Pods matching a label selector, in one namespace or (namespace undefined) all. */
  listPods(selector: string, namespace?: string): Promise<Pod[]>
  /** Merge-patches annotations. */
  annotatePod(namespace: string, name: string, annotations: Record<string, string>): Promise<void>
  podEvents(namespace: string, name: string): Promise<KubeEvent[]>
  getNode(name: string): Promise<Node | undefined>
  getNamespace(name: string): Promise<KubeObject | undefined>
  listNamespaces(): Promise<KubeObject[]>
  /** Names of the LimitRanges in a namespace. */
  limitRanges(namespace: string): Promise<string[]>
  /** SelfSubjectReview: the user name the API server sees (impersonation and exec plugins included). */
  whoami(): Promise<string>
  /** SelfSubjectAccessReview: may the current user do verb on resource[/subresource] in namespace? */
  canI(verb: string, resource: string, subresource: string | undefined, namespace: string): Promise<boolean>
  exec(req: ExecRequest): Promise<ExecStreamResult>
}

/** The calls the fleet's DaemonSet needs besides NodePodApi's (apps/v1). Reads answer undefined for 404. */
export interface DaemonSetApi {
  createDaemonSet(ds: DaemonSet): Promise<DaemonSet>
  getDaemonSet(namespace: string, name: string): Promise<DaemonSet | undefined>
  /** Deletes it and (in the background) its pods; one already gone is not an error. */
  deleteDaemonSet(namespace: string, name: string): Promise<void>
  /** DaemonSets matching a label selector, in one namespace or (namespace undefined) all. */
  listDaemonSets(selector: string, namespace?: string): Promise<DaemonSet[]>
  /** Merge-patches annotations. */
  annotateDaemonSet(namespace: string, name: string, annotations: Record<string, string>): Promise<void>
  /** Events about a DaemonSet (FailedCreate says why its pods are not made: PodSecurity, quota). */
  daemonSetEvents(namespace: string, name: string): Promise<KubeEvent[]>
  /** SelfSubjectAccessReview in an API group ('apps'). */
  canIGroup(group: string, verb: string, resource: string, namespace: string): Promise<boolean>
}

/** Why a node pod could not be used. */
export type NodePodErrorKind =
  | 'rbac' // a verb on pods or pods/exec is not granted
  | 'podsecurity' // the namespace's PodSecurity level rejects a privileged host pod
  | 'quota' // a ResourceQuota is exhausted or wants other resources
  | 'limitrange' // a LimitRange rejects the requests/limits
  | 'image' // the image cannot be pulled
  | 'unschedulable' // the kubelet (or scheduler) rejected the pod on that node
  | 'node' // the node does not exist or is not Ready
  | 'timeout' // not Running within the start limit
  | 'failed' // the pod ended or its container could not start
  | 'image-tools' // the image lacks what the transport needs (sh, nsenter)
  | 'closed' // the session's node pods were closed
  | 'invalid' // bad options (named in the message)
  | 'api' // any other API failure

/** A node pod that could not be made, started or used: kind, message naming the cause, hint. */
export class NodePodError extends HintedError<NodePodErrorKind> {
  override name = 'NodePodError'
  constructor(
    kind: NodePodErrorKind,
    message: string,
    hint?: string,
    cause?: unknown,
    /** The pod concerned, when one was made. */
    public pod?: string,
  ) {
    super(kind, message, hint, cause)
  }
}

/** A step of a node pod's life, for the shell's spinner. */
export interface NodePodPhase {
  node: string
  /** checking: access review; creating: POST sent; starting: waiting for Running (detail: the pod's state); ready; deleting; deleted; failed. */
  phase: 'checking' | 'creating' | 'starting' | 'ready' | 'deleting' | 'deleted' | 'failed'
  pod?: string
  namespace?: string
  /** E.g. "Pending: ContainerCreating", or the failure's message. */
  detail?: string
  /** Since the first step for this pod. */
  elapsedMs: number
}
