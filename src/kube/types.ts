// Plain JSON shapes of the API objects kinspect reads (as the API server / kubectl -o json send them) and Descriptions.
// Own types on purpose: client-node's models use Date objects and class instances; ours are the wire JSON.

/** metadata of every object. */
export interface ObjectMeta {
  name: string
  namespace?: string
  uid?: string
  resourceVersion?: string
  creationTimestamp?: string
  deletionTimestamp?: string
  labels?: Record<string, string>
  annotations?: Record<string, string>
  ownerReferences?: { apiVersion: string; kind: string; name: string; uid: string; controller?: boolean }[]
  [k: string]: unknown
}

/** Any API object. */
export interface KubeObject {
  apiVersion?: string
  kind?: string
  metadata: ObjectMeta
  spec?: any
  status?: any
  [k: string]: unknown
}

/** A list the API returned: a plain array (items carry kind/apiVersion, as kubectl -o json does). */
export type KubeList<T extends KubeObject = KubeObject> = T[]

/** A container's state: exactly one of running/waiting/terminated is set. */
export interface ContainerStateJSON {
  running?: { startedAt?: string }
  waiting?: { reason?: string; message?: string }
  terminated?: {
    exitCode: number
    signal?: number
    reason?: string
    message?: string
    startedAt?: string
    finishedAt?: string
    containerID?: string
  }
}

/** status.containerStatuses[] entry. */
export interface ContainerStatusJSON {
  name: string
  ready: boolean
  started?: boolean
  restartCount: number
  image: string
  imageID?: string
  containerID?: string
  state?: ContainerStateJSON
  lastState?: ContainerStateJSON
}

/** A Pod (the fields kinspect uses are typed; the rest pass through). */
export interface Pod extends KubeObject {
  spec: {
    nodeName?: string
    containers: {
      name: string
      image?: string
      ports?: { containerPort: number; protocol?: string; name?: string; hostPort?: number }[]
      [k: string]: any
    }[]
    initContainers?: { name: string; image?: string; restartPolicy?: string; [k: string]: any }[]
    readinessGates?: { conditionType: string }[]
    [k: string]: any
  }
  status?: {
    phase?: string
    reason?: string
    message?: string
    podIP?: string
    podIPs?: { ip: string }[]
    hostIP?: string
    startTime?: string
    qosClass?: string
    nominatedNodeName?: string
    conditions?: { type: string; status: string; reason?: string; message?: string; lastTransitionTime?: string }[]
    containerStatuses?: ContainerStatusJSON[]
    initContainerStatuses?: ContainerStatusJSON[]
    [k: string]: any
  }
}

/** A DaemonSet (apps/v1), as kinspect makes and reads it. */
export interface DaemonSet extends KubeObject {
  spec: {
    selector: { matchLabels: Record<string, string> }
    template: { metadata: Partial<ObjectMeta>; spec: Pod['spec'] }
    [k: string]: any
  }
  status?: {
    desiredNumberScheduled?: number
    currentNumberScheduled?: number
    numberReady?: number
    numberMisscheduled?: number
    [k: string]: any
  }
}

/** A Service. */
export interface Service extends KubeObject {
  spec: {
    type?: string
    clusterIP?: string
    clusterIPs?: string[]
    externalIPs?: string[]
    externalName?: string
    selector?: Record<string, string>
    ports?: { name?: string; port: number; targetPort?: number | string; protocol?: string; nodePort?: number }[]
    sessionAffinity?: string
    externalTrafficPolicy?: string
    internalTrafficPolicy?: string
    [k: string]: any
  }
  status?: { loadBalancer?: { ingress?: { ip?: string; hostname?: string }[] } }
}

/** A discovery.k8s.io/v1 EndpointSlice. */
export interface EndpointSlice extends KubeObject {
  addressType: string
  endpoints?: {
    addresses: string[]
    conditions?: { ready?: boolean; serving?: boolean; terminating?: boolean }
    nodeName?: string
    targetRef?: { kind?: string; name?: string; namespace?: string; uid?: string }
    zone?: string
  }[]
  ports?: { name?: string; port?: number; protocol?: string; appProtocol?: string }[]
}

/** A Node. */
export interface Node extends KubeObject {
  spec?: {
    podCIDR?: string
    podCIDRs?: string[]
    unschedulable?: boolean
    taints?: { key: string; value?: string; effect: string }[]
    [k: string]: any
  }
  status?: {
    conditions?: {
      type: string
      status: string
      reason?: string
      message?: string
      lastHeartbeatTime?: string
      lastTransitionTime?: string
    }[]
    addresses?: { type: string; address: string }[]
    capacity?: Record<string, string>
    allocatable?: Record<string, string>
    nodeInfo?: {
      kubeletVersion?: string
      osImage?: string
      kernelVersion?: string
      containerRuntimeVersion?: string
      architecture?: string
      [k: string]: any
    }
    [k: string]: any
  }
}

/** A core/v1 Event. */
export interface KubeEvent extends KubeObject {
  involvedObject: {
    kind?: string
    name?: string
    namespace?: string
    uid?: string
    fieldPath?: string
    apiVersion?: string
  }
  reason?: string
  message?: string
  type?: string
  count?: number
  firstTimestamp?: string | null
  lastTimestamp?: string | null
  eventTime?: string | null
  series?: { count?: number; lastObservedTime?: string }
  source?: { component?: string; host?: string }
  reportingComponent?: string
  reportingInstance?: string
}

/** A coordination.k8s.io/v1 Lease (node heartbeats). */
export interface Lease extends KubeObject {
  spec?: { holderIdentity?: string; leaseDurationSeconds?: number; renewTime?: string; acquireTime?: string }
}

/** metrics.k8s.io/v1beta1 PodMetrics / NodeMetrics. */
export interface PodMetrics extends KubeObject {
  timestamp?: string
  window?: string
  containers: { name: string; usage: { cpu: string; memory: string } }[]
}
/** metrics.k8s.io/v1beta1 NodeMetrics. */
export interface NodeMetrics extends KubeObject {
  timestamp?: string
  window?: string
  usage: { cpu: string; memory: string }
}

/** Options of the list methods. */
export interface ListOptions {
  /** Namespace; default the Kube's namespace. */
  namespace?: string
  /** List across all namespaces (like -A). */
  allNamespaces?: boolean
  /** Extra field selector, e.g. "spec.nodeName=lab-1". */
  fieldSelector?: string
  /** Request timeout in ms (default 30000). */
  timeoutMs?: number
}

/** A label selector as a map or as a LabelSelector (matchLabels/matchExpressions), or a string "app=web,tier!=db". */
export type Selector =
  | string
  | Record<string, string>
  | { matchLabels?: Record<string, string>; matchExpressions?: { key: string; operator: string; values?: string[] }[] }

/** "name", "namespace/name", or an object with metadata. */
export type NameArg = string | { metadata: { name: string; namespace?: string } }

/** Options of logs(). */
export interface LogOptions {
  container?: string
  previous?: boolean
  /** Last N lines. */
  tail?: number
  /** Only newer than this: seconds, or a duration like "90s", "5m", "1h". */
  since?: number | string
  timestamps?: boolean
  namespace?: string
  timeoutMs?: number
}

/** Outcome of ping(): ok with the server version, or a one-line reason. */
export type PingResult =
  | { ok: true; server: string; version: string; durationMs: number }
  | { ok: false; server?: string; reason: string; kind: string; durationMs: number }

// ---- Descriptions (what kubectl describe shows, as data) ----

/** One container state as kubectl describe prints it. */
export interface StateInfo {
  state: 'Running' | 'Waiting' | 'Terminated' | 'Unknown'
  reason?: string
  message?: string
  exitCode?: number
  signal?: number
  startedAt?: string
  finishedAt?: string
}

/** An event line of a description. */
export interface EventInfo {
  type: string
  reason: string
  from: string
  message: string
  count: number
  first?: string
  last?: string
}

/** A pod's container in a description. */
export interface ContainerInfo {
  name: string
  init: boolean
  image?: string
  imageID?: string
  containerID?: string
  ports: string[]
  state: StateInfo
  lastState?: StateInfo
  ready: boolean
  started?: boolean
  restartCount: number
}

/** kubectl describe pod, as data. */
export interface PodDescription {
  kind: 'Pod'
  name: string
  namespace: string
  node?: string
  hostIP?: string
  startTime?: string
  labels: Record<string, string>
  /** status.phase. */
  phase: string
  /** The STATUS column of kubectl get pods (CrashLoopBackOff, Init:0/1, Terminating, ...). */
  status: string
  reason?: string
  message?: string
  ip?: string
  ips: string[]
  controlledBy?: string
  qosClass?: string
  serviceAccount?: string
  restarts: number
  initContainers: ContainerInfo[]
  containers: ContainerInfo[]
  conditions: { type: string; status: string; reason?: string; message?: string }[]
  events: EventInfo[]
}

/** kubectl describe node, as data. */
export interface NodeDescription {
  kind: 'Node'
  name: string
  roles: string[]
  labels: Record<string, string>
  taints: string[]
  unschedulable: boolean
  /** Ready, NotReady, Unknown (+ SchedulingDisabled). */
  status: string
  conditions: {
    type: string
    status: string
    reason?: string
    message?: string
    lastHeartbeatTime?: string
    lastTransitionTime?: string
  }[]
  addresses: { type: string; address: string }[]
  capacity: Record<string, string>
  allocatable: Record<string, string>
  nodeInfo: Record<string, string>
  podCIDRs: string[]
  lease?: { holder?: string; renewTime?: string; renewAgeSeconds?: number; durationSeconds?: number }
  pods: { namespace: string; name: string; phase: string }[]
  events: EventInfo[]
}

/** One endpoint of a service description. */
export interface EndpointInfo {
  address: string
  ready: boolean
  serving?: boolean
  terminating?: boolean
  target?: string
  node?: string
  slice: string
}

/** kubectl describe service, as data. */
export interface ServiceDescription {
  kind: 'Service'
  name: string
  namespace: string
  labels: Record<string, string>
  type: string
  selector: Record<string, string>
  clusterIPs: string[]
  externalIPs: string[]
  ports: { name?: string; port: number; targetPort: string; protocol: string; nodePort?: number }[]
  sessionAffinity?: string
  externalTrafficPolicy?: string
  internalTrafficPolicy?: string
  endpoints: EndpointInfo[]
  /** Ports the EndpointSlices publish, e.g. "http 8080/TCP". */
  endpointPorts: string[]
  events: EventInfo[]
}

/** Any other kind: the object plus its events. */
export interface GenericDescription {
  kind: string
  name: string
  namespace?: string
  object: KubeObject
  events: EventInfo[]
}

/** What describe() returns. */
export type Description = PodDescription | NodeDescription | ServiceDescription | GenericDescription
