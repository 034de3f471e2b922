// Which pod, on which node: pod arguments, the checks before entering a netns, and node access with clear errors.
import type { NodeHandle } from '../exec/node.ts'
import { ExecError } from '../exec/types.ts'
import type { Pod } from '../kube/types.ts'
import type { SessionApi } from '../session.ts'
import { received } from '../errors.ts'
import { parsePodRef } from '../names.ts'
import { NetError } from './errors.ts'

/** What the helpers need from a session (the real Session and test fakes both satisfy it). */
export type NetSession = Pick<SessionApi, 'kube' | 'node' | 'namespace'> & { load?: () => Promise<void> }

/** A pod as "name", "namespace/name", an API object, or anything with {namespace, name} (e.g. a NetnsHandle). */
export type PodArg = string | { metadata: { name: string; namespace?: string } } | { namespace: string; name: string }

/** The facts about a pod the helpers use (pure, from the API object). */
export interface PodRef {
  namespace: string
  name: string
  /** "namespace/name". */
  key: string
  uid: string
  node?: string
  hostNetwork: boolean
  phase: string
  podIP?: string
  /** Runtime-prefixed IDs (containerd://…) of the containers that are running now. */
  runningIds: string[]
  pod: Pod
}

/** Validates a pod argument and splits it into namespace (if given) and name. Pure. */
export function parsePodArg(arg: unknown, argName = 'pod'): { namespace?: string; name: string } {
  const bad = () =>
    new NetError(
      'invalid',
      `${argName}: expected a pod name ("client"), "namespace/name" or a pod object, received ${received(arg)}`,
      `e.g. enterNetns('shop/client'), or pass await pod('client')`,
    )
  if (typeof arg === 'string') {
    const ref = parsePodRef(arg)
    if (!ref) throw bad()
    return ref
  }
  if (arg && typeof arg === 'object') {
    const m = (arg as { metadata?: { name?: unknown; namespace?: unknown } }).metadata
    if (m && typeof m.name === 'string')
      return { name: m.name, namespace: typeof m.namespace === 'string' && m.namespace ? m.namespace : undefined }
    const o = arg as { name?: unknown; namespace?: unknown }
    if (typeof o.name === 'string' && typeof o.namespace === 'string') return { name: o.name, namespace: o.namespace }
  }
  throw bad()
}

/** The facts of a pod object. Pure. */
export function podRef(pod: Pod): PodRef {
  const namespace = pod.metadata.namespace ?? 'default'
  const running = (pod.status?.containerStatuses ?? [])
    .filter((c) => c.state?.running && c.containerID)
    .map((c) => c.containerID as string)
  return {
    namespace,
    name: pod.metadata.name,
    key: `${namespace}/${pod.metadata.name}`,
    uid: pod.metadata.uid ?? '',
    node: pod.spec?.nodeName || undefined,
    hostNetwork: pod.spec?.hostNetwork === true,
    phase: pod.status?.phase ?? 'Unknown',
    podIP: pod.status?.podIP || undefined,
    runningIds: running,
    pod,
  }
}

/** The error for a hostNetwork pod: its netns is the node's. Pure. */
export function hostNetworkError(ref: PodRef, what: string): NetError {
  return new NetError(
    'hostnetwork',
    `pod ${ref.key} uses hostNetwork: its network namespace is the node's (${ref.node ?? 'no node yet'}), so ${what}`,
    ref.node
      ? `run the command on the node itself: node('${ref.node}').$\`ip -j addr\``
      : 'the pod is not scheduled yet',
  )
}

/** Throws when a pod has no network namespace of its own to enter (hostNetwork, unscheduled, finished). Pure. */
export function checkEnterable(ref: PodRef): asserts ref is PodRef & { node: string } {
  if (!ref.node)
    throw new NetError(
      'unscheduled',
      `pod ${ref.key} is not scheduled on a node yet (phase ${ref.phase})`,
      `describe('pod/${ref.key}') shows why (events: FailedScheduling…)`,
    )
  if (ref.hostNetwork) throw hostNetworkError(ref, 'there is no pod network namespace to enter')
  if (ref.phase === 'Succeeded' || ref.phase === 'Failed') {
    throw new NetError(
      'notrunning',
      `pod ${ref.key} is ${ref.phase}: its sandbox and network namespace are gone`,
      `logs('${ref.key}') and events('pod/${ref.key}') show what happened`,
    )
  }
}

/** Fetches the pod fresh from the API; "not found" names close matches in the namespace. */
export async function fetchPod(session: NetSession, arg: unknown, argName = 'pod'): Promise<PodRef> {
  const p = parsePodArg(arg, argName)
  const namespace = p.namespace ?? session.namespace
  await session.load?.()
  try {
    return podRef(await session.kube.pod(`${namespace}/${p.name}`))
  } catch (e) {
    if ((e as { kind?: string }).kind !== 'notfound') throw e
    let near: string[] = []
    try {
      const pods = await session.kube.pods(undefined, { namespace })
      near = pods
        .map((x) => x.metadata.name)
        .filter((n) => n.startsWith(p.name) || p.name.startsWith(n) || n.includes(p.name))
    } catch {
      // the suggestion is a nicety; the not-found error stands on its own
    }
    const hint = near.length
      ? `did you mean ${near
          .slice(0, 5)
          .map((n) => `'${namespace}/${n}'`)
          .join(', ')}?`
      : `pods(undefined, {namespace: '${namespace}'}) lists the pods of the namespace`
    throw new NetError('notfound', `pod "${p.name}" not found in namespace "${namespace}"`, hint, e)
  }
}

/** A node name from a node argument: "lab-1", node('lab-1') (a NodeHandle) or {node: 'lab-1'}. Pure. */
export function nodeName(arg: unknown, argName = 'node'): string {
  if (typeof arg === 'string' && arg !== '') return arg
  if (arg && typeof arg === 'object') {
    const t = (arg as { target?: unknown }).target
    if (typeof t === 'string' && typeof (arg as { run?: unknown }).run === 'function')
      return t.replace(/^(ssh|pod|node):/, '')
    const n = (arg as { node?: unknown }).node
    if (typeof n === 'string' && n !== '') return n
  }
  throw new NetError(
    'invalid',
    `${argName}: expected a node name ("lab-1"), node('lab-1') or {node: 'lab-1'}, received ${received(arg)}`,
    'nodes() lists the cluster nodes',
  )
}

/** A privileged handle on a node (nsenter, crictl and /proc/PID need root; sudo is skipped when already root). */
export function rootOn(session: NetSession, node: string): NodeHandle {
  return session.node(node).sudo
}

/** Turns transport failures (SSH or node pod connection, no transport at all) into NetError('unreachable') naming the node and why it was needed. */
export async function onNode<T>(node: string, why: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn()
  } catch (e) {
    const x = e as { name?: string; notSeen?: boolean; message?: string; hint?: string }
    const access = x?.name === 'NodeAccessError' && x.notSeen === true && (e as { kind?: string }).kind !== 'aborted'
    if (access || (e instanceof ExecError && (e.kind === 'connect' || e.kind === 'auth' || e.kind === 'hostkey'))) {
      const over =
        e instanceof ExecError && e.target.startsWith('ssh:')
          ? ' over SSH'
          : e instanceof ExecError && e.target.startsWith('pod:')
            ? ' through its node pod'
            : ''
      throw new NetError(
        'unreachable',
        `node ${node} (${why}) is unreachable${over}: ${x.message}`,
        x.hint ?? `check how kinspect reaches ${node}: node('${node}').$\`true\``,
        e,
      )
    }
    throw e
  }
}
