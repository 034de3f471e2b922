// Why a node pod was refused or did not start, as pure functions from the API's answers to a NodePodError.
import type { KubeEvent, KubeObject, Node, Pod } from '../../kube/types.ts'
import { NodePodError } from './api.ts'

/** The PodSecurity namespace label that enforces a level. */
export const PSA_ENFORCE = 'pod-security.kubernetes.io/enforce'

/** The parts of a 403 kinspect reads (a KubeError's message and status). */
export interface Refusal {
  status?: number
  message: string
}

/** "violates PodSecurity "baseline:latest": a, b" → level, version and the violations; undefined for other messages. */
export function parsePodSecurity(message: string): { level: string; version: string; violations: string } | undefined {
  const m = /violates PodSecurity "([a-z]+):([^"]+)": (.*)$/s.exec(message)
  return m ? { level: m[1], version: m[2], violations: m[3].trim() } : undefined
}

/** RBAC's 'User "u" cannot VERB resource "R" in API group "" in the namespace "ns"' → its parts. */
export function parseRbac(
  message: string,
): { user: string; verb: string; resource: string; namespace?: string } | undefined {
  const m =
    /User "([^"]*)" cannot ([a-z]+) resource "([^"]+)"(?: in API group "[^"]*")?(?: in the namespace "([^"]+)")?/.exec(
      message,
    )
  return m ? { user: m[1], verb: m[2], resource: m[3], namespace: m[4] } : undefined
}

/** "exceeded quota: NAME, requested: …" or "failed quota: NAME: must specify …" → the quota's name and the rest. */
export function parseQuota(message: string): { quota: string; detail: string } | undefined {
  const m = /(?:exceeded quota|failed quota): ([^,:\s]+)[,:]\s*(.*)$/s.exec(message)
  return m ? { quota: m[1], detail: m[2].trim() } : undefined
}

/** True for LimitRanger's refusals ("maximum cpu usage per Container is …", "minimum …", "… ratio …"). */
export function isLimitRange(message: string): boolean {
  return /(maximum|minimum) (cpu|memory|ephemeral-storage) usage per (Container|Pod) is|max limit to request ratio per/.test(
    message,
  )
}

/** A namespace where a privileged pod is allowed: one labelled enforce=privileged (kube-system first), else an unlabelled kube-system. */
export function suggestNamespace(
  namespaces: readonly KubeObject[],
  not?: string,
): { name: string; why: string } | undefined {
  const level = (n: KubeObject) => n.metadata.labels?.[PSA_ENFORCE]
  const ok = namespaces.filter((n) => level(n) === 'privileged' && n.metadata.name !== not)
  const pick = ok.find((n) => n.metadata.name === 'kube-system') ?? ok[0]
  if (pick) return { name: pick.metadata.name, why: `labelled ${PSA_ENFORCE}=privileged` }
  const ks = namespaces.find((n) => n.metadata.name === 'kube-system')
  if (ks && level(ks) === undefined && not !== 'kube-system')
    return { name: 'kube-system', why: 'no enforce label; kube-system is usually exempt or privileged' }
  return undefined
}

/** Context for explaining a refused create: the namespace object, the cluster's namespaces, its LimitRanges (each when readable). */
export interface RefusalContext {
  namespace: string
  namespaceObject?: KubeObject
  namespaces?: readonly KubeObject[]
  limitRanges?: readonly string[]
}

/** Turns a refused pod create (403 and friends) into an error that names the cause and a way out. */
export function explainRefusal(r: Refusal, ctx: RefusalContext, cause?: unknown): NodePodError {
  const ns = ctx.namespace
  const psa = parsePodSecurity(r.message)
  if (psa) {
    const label = ctx.namespaceObject?.metadata.labels?.[PSA_ENFORCE]
    const where = label
      ? `namespace "${ns}" has the label ${PSA_ENFORCE}=${label}`
      : `the cluster's default PodSecurity level "${psa.level}" applies to namespace "${ns}" (it has no ${PSA_ENFORCE} label)`
    const alt = ctx.namespaces ? suggestNamespace(ctx.namespaces, ns) : undefined
    const hint = alt
      ? `use namespace "${alt.name}" (${alt.why}) for node pods, or allow it here: kubectl label namespace ${ns} ${PSA_ENFORCE}=privileged --overwrite`
      : `use a namespace labelled ${PSA_ENFORCE}=privileged (e.g. kube-system) for node pods, or: kubectl label namespace ${ns} ${PSA_ENFORCE}=privileged --overwrite`
    return new NodePodError(
      'podsecurity',
      `PodSecurity "${psa.level}" rejects the node pod: ${where}, and a node pod needs privileged (${psa.violations})`,
      hint,
      cause,
    )
  }
  const rbac = parseRbac(r.message)
  if (r.status === 403 && rbac) {
    return new NodePodError(
      'rbac',
      `user "${rbac.user}" may not ${rbac.verb} ${rbac.resource} in namespace "${rbac.namespace ?? ns}"`,
      rbacHint(rbac.namespace ?? ns),
      cause,
    )
  }
  const quota = parseQuota(r.message)
  if (quota) {
    return new NodePodError(
      'quota',
      `ResourceQuota "${quota.quota}" in namespace "${ns}" refuses the node pod: ${quota.detail}`,
      `see: kubectl -n ${ns} describe resourcequota ${quota.quota}; or use another namespace, or smaller resources for node pods`,
      cause,
    )
  }
  if (isLimitRange(r.message)) {
    const names = ctx.limitRanges?.length ? ` (LimitRange ${ctx.limitRanges.map((n) => `"${n}"`).join(', ')})` : ''
    const detail = r.message.replace(/^.*? is forbidden: /, '').replace(/^\[|\]$/g, '')
    return new NodePodError(
      'limitrange',
      `the LimitRange of namespace "${ns}"${names} refuses the node pod's resources: ${detail}`,
      `see: kubectl -n ${ns} describe limitrange; set node pod resources inside its bounds, or use another namespace`,
      cause,
    )
  }
  return new NodePodError('api', `the node pod was refused in namespace "${ns}": ${r.message}`, undefined, cause)
}

/** The RBAC a user needs for node pods in a namespace. */
export function rbacHint(ns: string): string {
  return `node pods need, in namespace "${ns}": create, get, delete pods and create pods/exec (get pods/exec before Kubernetes 1.35); ask for a Role with those, or use SSH to the node`
}

const IMAGE_REASONS = new Set([
  'ErrImagePull',
  'ImagePullBackOff',
  'InvalidImageName',
  'ErrImageNeverPull',
  'RegistryUnavailable',
  'SignatureValidationFailed',
])
const START_REASONS = new Set([
  'CreateContainerConfigError',
  'CreateContainerError',
  'RunContainerError',
  'StartError',
  'ContainerCannotRun',
  'CrashLoopBackOff',
])

/** The pod's state in a few words, for the spinner: "Pending: ContainerCreating", "Running". */
export function podState(pod: Pod): string {
  const phase = pod.status?.phase ?? 'Pending'
  const c = pod.status?.containerStatuses?.[0]?.state
  const why =
    c?.waiting?.reason ??
    c?.terminated?.reason ??
    (phase === 'Pending' && !pod.status?.containerStatuses ? 'waiting for the kubelet' : undefined)
  return why ? `${phase}: ${why}` : phase
}

/** True when the pod can take execs: Running with its container running. */
export function podRunning(pod: Pod): boolean {
  return pod.status?.phase === 'Running' && !!pod.status.containerStatuses?.[0]?.state?.running
}

function lastWarning(events: readonly KubeEvent[], reasons?: RegExp): KubeEvent | undefined {
  return [...events].reverse().find((e) => e.type === 'Warning' && (!reasons || reasons.test(e.reason ?? '')))
}

/** Why a starting pod will not run, from its status and events; undefined while it may still start. */
export function startFailure(pod: Pod, events: readonly KubeEvent[] = []): NodePodError | undefined {
  const name = pod.metadata.name
  const node = pod.spec.nodeName ?? '?'
  const st = pod.status ?? {}
  const cs = st.containerStatuses?.[0]?.state
  if (st.phase === 'Failed' || st.phase === 'Succeeded') {
    const reason = st.reason ?? cs?.terminated?.reason ?? st.phase
    const msg = st.message ?? cs?.terminated?.message ?? ''
    const rejected =
      /^(OutOf|NodeAffinity|NodeSelector|UnexpectedAdmissionError|Node|Predicate|Taint)/.test(reason) ||
      /Pod was rejected/.test(msg)
    if (rejected)
      return new NodePodError(
        'unschedulable',
        `node ${node} rejected pod ${name}: ${reason}${msg ? `: ${msg}` : ''}`,
        'free resources on the node, or give node pods smaller requests',
        undefined,
        name,
      )
    return new NodePodError(
      'failed',
      `pod ${name} ended (${reason})${msg ? `: ${msg}` : ''}`,
      'check the image runs `sleep` (busybox does)',
      undefined,
      name,
    )
  }
  const waiting = cs?.waiting
  if (waiting?.reason && IMAGE_REASONS.has(waiting.reason)) {
    const ev = lastWarning(events, /Failed|BackOff/)
    const msg = waiting.message ?? ev?.message ?? ''
    const image = pod.spec.containers[0]?.image
    return new NodePodError(
      'image',
      `the node pod's image ${image} cannot be pulled on ${node}: ${waiting.reason}${msg ? `: ${msg}` : ''}`,
      'check the image name and that the node can reach its registry; set a pull secret if it is private (imagePullSecrets)',
      undefined,
      name,
    )
  }
  if (waiting?.reason && START_REASONS.has(waiting.reason)) {
    return new NodePodError(
      'failed',
      `the node pod's container cannot start on ${node}: ${waiting.reason}${waiting.message ? `: ${waiting.message}` : ''}`,
      undefined,
      undefined,
      name,
    )
  }
  const sched = st.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False')
  if (sched?.reason === 'Unschedulable' || sched?.reason === 'SchedulerError') {
    return new NodePodError(
      'unschedulable',
      `pod ${name} cannot be scheduled: ${sched.message ?? sched.reason}`,
      undefined,
      undefined,
      name,
    )
  }
  return undefined
}

/**
 * A node whose kubelet stopped posting its status (Ready=Unknown) cannot start a pod: the error to give at once,
 * before a pod is made that would wait out the start limit and then could not be deleted; undefined otherwise.
 */
export function kubeletGone(node: Node | null | undefined, nodeName: string): NodePodError | undefined {
  const ready = node?.status?.conditions?.find((c) => c.type === 'Ready')
  if (ready?.status !== 'Unknown') return undefined
  return new NodePodError(
    'node',
    `node ${nodeName} is not Ready (Ready=Unknown${ready.reason ? ` ${ready.reason}` : ''}${ready.message ? `: ${ready.message}` : ''}): its kubelet is not reporting, so a node pod cannot start there; none was created`,
    'the kubelet on that node is not running or cannot reach the API server; use SSH to the node, or look at it from the cloud console',
  )
}

/** The error when a pod did not start in time: its last state, the last warning event and the node's readiness. */
export function startTimeout(
  pod: Pod | undefined,
  events: readonly KubeEvent[],
  node: Node | undefined,
  nodeName: string,
  waitedMs: number,
): NodePodError {
  const secs = Math.round(waitedMs / 1000)
  const ready = node?.status?.conditions?.find((c) => c.type === 'Ready')
  if (node && ready?.status !== 'True') {
    return new NodePodError(
      'node',
      `node ${nodeName} is not Ready (${ready ? `Ready=${ready.status}${ready.reason ? ` ${ready.reason}` : ''}${ready.message ? `: ${ready.message}` : ''}` : 'no Ready condition'}); its pod did not start within ${secs} s`,
      'the kubelet on that node is not running or not reporting; use SSH to the node, or look at it from the cloud console',
      undefined,
      pod?.metadata.name,
    )
  }
  const ev = lastWarning(events)
  const state = pod ? podState(pod) : 'not created'
  return new NodePodError(
    'timeout',
    `pod ${pod?.metadata.name ?? '?'} on ${nodeName} was not Running after ${secs} s (${state})${ev ? `; last warning: ${ev.reason}: ${ev.message}` : ''}`,
    'a slow image pull? raise the start limit, or pre-pull the image on the node',
    undefined,
    pod?.metadata.name,
  )
}
