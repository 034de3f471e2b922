// The node pod as an object: a privileged, host-namespace pod pinned to one node, that ends on its own by its deadline.
import crypto from 'node:crypto'
import type { Pod } from '../../kube/types.ts'

/** Labels and annotations every node pod carries. */
export const LABEL = {
  managedBy: 'app.kubernetes.io/managed-by',
  session: 'kinspect.dev/session',
  user: 'kinspect.dev/user',
  node: 'kinspect.dev/node',
  /** On a DaemonSet's pods: the DaemonSet's name (gc deletes the DaemonSet, never its pods one by one). */
  daemonSet: 'kinspect.dev/daemonset',
} as const
/** Value of app.kubernetes.io/managed-by on every node pod. */
export const MANAGED_BY = 'kinspect'
/** Annotations: where the session runs (host, pid), when it started, its heartbeat, the full node and user names. */
export const ANNOTATION = {
  host: 'kinspect.dev/host',
  pid: 'kinspect.dev/pid',
  started: 'kinspect.dev/started',
  heartbeat: 'kinspect.dev/heartbeat',
  node: 'kinspect.dev/node',
  user: 'kinspect.dev/user',
  purpose: 'kinspect.dev/purpose',
  /** On a DaemonSet: when it must be gone (ISO time); its pods' containers exit then, gc deletes it. */
  deadline: 'kinspect.dev/deadline',
  /** On a DaemonSet: how many nodes it was made for. */
  nodes: 'kinspect.dev/nodes',
} as const
/** The selector of every pod kinspect made. */
export const MANAGED_SELECTOR = `${LABEL.managedBy}=${MANAGED_BY}`
/** The one container's name. */
export const CONTAINER = 'node'
/** Default image: busybox has sh, nsenter, timeout, kill, ps, head and awk. Pin it by digest in real use. */
export const DEFAULT_IMAGE = 'docker.io/library/busybox:1.36.1'
/** Default activeDeadlineSeconds (1 h). */
export const DEFAULT_DEADLINE_SECONDS = 3600

/** Requests and limits of the container (small, so it fits under a LimitRange or quota). */
export interface PodResources {
  requests: { cpu: string; memory: string }
  limits: { cpu: string; memory: string }
}
/** Default requests and limits: enough for iptables-save or conntrack -L on a busy node, small enough for most LimitRanges. */
export const DEFAULT_RESOURCES: PodResources = {
  requests: { cpu: '10m', memory: '32Mi' },
  limits: { cpu: '500m', memory: '256Mi' },
}

/** What buildNodePod needs beyond the node name. */
export interface NodePodOptions {
  namespace: string
  /** Session id (label kinspect.dev/session). */
  session: string
  /** The kubeconfig user name; made label-safe for kinspect.dev/user. */
  user: string
  image?: string
  imagePullSecrets?: string[]
  imagePullPolicy?: 'IfNotPresent' | 'Always' | 'Never'
  /** activeDeadlineSeconds, and the length of the container's sleep. Default 3600. */
  deadlineSeconds?: number
  priorityClassName?: string
  resources?: PodResources
  /** Where the session runs: annotations kinspect.dev/host and kinspect.dev/pid (gc uses them). */
  host: string
  pid: number
  /** Creation time (annotations started and heartbeat). */
  now: Date
  /** The 5 random characters of the name; default random. */
  suffix?: string
}

// kubectl's alphabet for generated names (no vowels, no look-alikes).
const ALPHABET = 'bcdfghjklmnpqrstvwxz2456789'

/** 5 random characters from kubectl's name alphabet. */
export function randomSuffix(n = 5): string {
  let s = ''
  for (let i = 0; i < n; i++) s += ALPHABET[crypto.randomInt(ALPHABET.length)]
  return s
}

/** A random session id (10 characters, label-safe). */
export function newSessionId(): string {
  return randomSuffix(10)
}

const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/

/** Any string as a label value (≤ 63 chars, [A-Za-z0-9] at both ends, [-_.A-Za-z0-9] inside); a long or changed value keeps a hash of the original. */
export function labelSafe(value: string): string {
  if (value.length <= 63 && LABEL_VALUE.test(value)) return value
  const hash = crypto.createHash('sha256').update(value).digest('hex').slice(0, 8)
  let s = value
    .replace(/[^-A-Za-z0-9_.]+/g, '_')
    .replace(/^[^A-Za-z0-9]+/, '')
    .replace(/[^A-Za-z0-9]+$/, '')
  s = s.slice(0, 63 - hash.length - 1).replace(/[^A-Za-z0-9]+$/, '')
  return s ? `${s}-${hash}` : hash
}

/** The pod name: kinspect-node-<node>-<5 random>, a DNS label of at most 63 characters whatever the node's name. */
export function nodePodName(node: string, suffix = randomSuffix()): string {
  const prefix = 'kinspect-node-'
  const room = 63 - prefix.length - 1 - suffix.length
  const part =
    node
      .toLowerCase()
      .replace(/[^a-z0-9-]+/g, '-')
      .slice(0, room)
      .replace(/^-+|-+$/g, '') || 'x'
  return `${prefix}${part}-${suffix}`
}

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/

/** Checks the inputs the API would reject later with a vaguer message. */
export function checkNodePodOptions(node: string, o: NodePodOptions): void {
  const bad = (what: string) => new TypeError(`buildNodePod: ${what}`)
  if (typeof node !== 'string' || node.length > 253 || !DNS_SUBDOMAIN.test(node))
    throw bad(`node: expected a node name (a DNS subdomain), received ${JSON.stringify(node)}`)
  if (typeof o.namespace !== 'string' || !/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(o.namespace))
    throw bad(`namespace: expected a namespace name, received ${JSON.stringify(o.namespace)}`)
  if (typeof o.session !== 'string' || !o.session || labelSafe(o.session) !== o.session)
    throw bad(`session: expected a label-safe id, received ${JSON.stringify(o.session)}`)
  const d = o.deadlineSeconds ?? DEFAULT_DEADLINE_SECONDS
  if (!Number.isInteger(d) || d < 60 || d > 7 * 24 * 3600)
    throw bad(
      `deadlineSeconds: expected a whole number of seconds from 60 to 604800, received ${JSON.stringify(o.deadlineSeconds)}`,
    )
  if (o.image !== undefined && (typeof o.image !== 'string' || !o.image || /\s/.test(o.image)))
    throw bad(`image: expected an image reference, received ${JSON.stringify(o.image)}`)
  for (const s of o.imagePullSecrets ?? [])
    if (typeof s !== 'string' || !DNS_SUBDOMAIN.test(s))
      throw bad(`imagePullSecrets: expected secret names, received ${JSON.stringify(s)}`)
}

/**
 * The node pod for `node`: nodeName pinned (no scheduler), host PID/network/IPC, privileged, every taint
 * tolerated, never restarted, activeDeadlineSeconds, and a container that sleeps exactly that long, so the pod
 * ends by its deadline even where activeDeadlineSeconds is not enforced.
 */
export function buildNodePod(node: string, o: NodePodOptions): Pod {
  checkNodePodOptions(node, o)
  const deadline = o.deadlineSeconds ?? DEFAULT_DEADLINE_SECONDS
  const now = o.now.toISOString()
  const name = nodePodName(node, o.suffix)
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: o.namespace,
      labels: {
        [LABEL.managedBy]: MANAGED_BY,
        [LABEL.session]: o.session,
        [LABEL.user]: labelSafe(o.user || 'unknown'),
        [LABEL.node]: labelSafe(node),
      },
      annotations: {
        [ANNOTATION.host]: o.host,
        [ANNOTATION.pid]: String(o.pid),
        [ANNOTATION.started]: now,
        [ANNOTATION.heartbeat]: now,
        [ANNOTATION.node]: node,
        [ANNOTATION.user]: o.user,
        [ANNOTATION.purpose]: `node access for a kinspect session; deleted when the session ends, at the latest after ${deadline} s; kinspect gc removes leftovers`,
      },
    },
    spec: {
      nodeName: node,
      ...hostPodSpec(o, ['sleep', String(deadline)]),
      restartPolicy: 'Never',
      activeDeadlineSeconds: deadline,
    },
  }
}

/**
 * What every kinspect pod shares (node pod and DaemonSet pod): host PID/network/IPC, every taint tolerated, no
 * service account token, a fast termination, and one privileged container with small requests running `command`.
 */
export function hostPodSpec(
  o: Pick<NodePodOptions, 'image' | 'imagePullSecrets' | 'imagePullPolicy' | 'priorityClassName' | 'resources'>,
  command: string[],
): Pod['spec'] {
  return {
    hostPID: true,
    hostNetwork: true,
    hostIPC: true,
    terminationGracePeriodSeconds: 1,
    automountServiceAccountToken: false,
    enableServiceLinks: false,
    dnsPolicy: 'ClusterFirstWithHostNet',
    tolerations: [{ operator: 'Exists' }],
    ...(o.priorityClassName ? { priorityClassName: o.priorityClassName } : {}),
    ...(o.imagePullSecrets?.length ? { imagePullSecrets: o.imagePullSecrets.map((n) => ({ name: n })) } : {}),
    containers: [
      {
        name: CONTAINER,
        image: o.image ?? DEFAULT_IMAGE,
        imagePullPolicy: o.imagePullPolicy ?? 'IfNotPresent',
        // Ends by itself at the deadline; exec'd commands run beside it.
        command,
        securityContext: { privileged: true },
        resources: structuredClone(o.resources ?? DEFAULT_RESOURCES),
      },
    ],
  }
}
