// Starting one node pod, each step a function of the API: the access review, a refused create explained, the wait
// for Running (failing early on what cannot get better), and the probe of the running pod.
import { performance } from 'node:perf_hooks'
import { KubeError } from '../../kube/errors.ts'
import type { ExecProtocolChoice } from '../../kube/execproto.ts'
import type { Pod } from '../../kube/types.ts'
import { NodePodError, type NodePodApi, type NodePodPhase } from './api.ts'
import { parseProbe, probeCommand, type PodFacts } from './command.ts'
import { explainRefusal, podRunning, podState, rbacHint, startFailure, startTimeout } from './diagnose.ts'
import { CONTAINER } from './spec.ts'

/** Resolves after ms, or at once when signal aborts. */
export const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(done, ms)
    function done() {
      clearTimeout(t)
      signal?.removeEventListener('abort', done)
      resolve()
    }
    signal?.addEventListener('abort', done, { once: true })
  })

/** Access review for node pods in ns: every missing verb named at once (rbac); a review that cannot be made is skipped. */
export async function reviewAccess(api: NodePodApi, ns: string): Promise<void> {
  const asks: [string, string, string | undefined][] = [
    ['create', 'pods', undefined],
    ['get', 'pods', undefined],
    ['delete', 'pods', undefined],
    ['create', 'pods', 'exec'],
    ['get', 'pods', 'exec'],
  ]
  const answers = await Promise.all(asks.map(([v, r, s]) => api.canI(v, r, s, ns).catch(() => true)))
  const missing = asks.filter((_, i) => !answers[i]).map(([v, r, s]) => `${v} ${r}${s ? `/${s}` : ''}`)
  // exec works with either verb (get before 1.35, create from 1.35)
  const execOk = answers[3] || answers[4]
  const named = missing.filter((m) => !m.endsWith('/exec'))
  if (!execOk) named.push('create pods/exec')
  if (!named.length) return
  const who = await api.whoami().catch(() => '')
  const user = who && who !== api.user ? `user "${who}" (kubeconfig user "${api.user}")` : `user "${api.user}"`
  throw new NodePodError('rbac', `${user} may not ${named.join(', ')} in namespace "${ns}"`, rbacHint(ns))
}

/** Explains a refused create in namespace ns with what can be read about the namespace (each read best effort). */
export async function createRefusal(api: NodePodApi, ns: string, e: unknown): Promise<NodePodError> {
  if (!(e instanceof KubeError))
    return new NodePodError('api', `creating the node pod failed: ${(e as Error)?.message ?? e}`, undefined, e)
  if (e.status === 404)
    return new NodePodError(
      'api',
      `namespace "${ns}" does not exist`,
      'set the node pod namespace to an existing one (kube-system by default)',
      e,
    )
  if (e.status !== 403 && e.status !== 422)
    return new NodePodError('api', `creating the node pod in namespace "${ns}" failed: ${e.message}`, e.hint, e)
  const msg = (e.cause as { message?: string } | undefined)?.message ?? e.message
  const [namespaceObject, namespaces, limitRanges] = await Promise.all([
    api.getNamespace(ns).catch(() => undefined),
    api.listNamespaces().catch(() => undefined),
    /LimitRange|usage per|ratio per/.test(msg) ? api.limitRanges(ns).catch(() => undefined) : undefined,
  ])
  return explainRefusal(
    { status: e.status, message: msg },
    { namespace: ns, namespaceObject, namespaces, limitRanges },
    e,
  )
}

/** Waits until the created pod runs; fails early on what cannot get better, or at limitMs with what was seen. */
export async function waitRunning(
  api: NodePodApi,
  node: string,
  created: Pod,
  o: { limitMs: number; signal: AbortSignal; emit: (p: Omit<NodePodPhase, 'elapsedMs'>) => void },
): Promise<void> {
  const { namespace: ns, name } = created.metadata as { namespace: string; name: string }
  const limit = o.limitMs
  const end = performance.now() + limit
  let last = ''
  let pod: Pod | undefined = created
  let delay = 100
  for (;;) {
    if (o.signal.aborted)
      throw new NodePodError('closed', 'the node pods of this session were closed while a pod was starting')
    if (pod && podRunning(pod)) return
    const state = pod ? podState(pod) : 'gone'
    if (state !== last) o.emit({ node, phase: 'starting', pod: name, namespace: ns, detail: state })
    last = state
    if (!pod)
      throw new NodePodError(
        'failed',
        `pod ${ns}/${name} was deleted while it was starting`,
        'someone (or a controller) deletes pods there; use another namespace',
        undefined,
        name,
      )
    const waitingReason = pod.status?.containerStatuses?.[0]?.state?.waiting?.reason
    const early = startFailure(
      pod,
      waitingReason && /Image|Err|Error/.test(waitingReason) ? await api.podEvents(ns, name).catch(() => []) : [],
    )
    if (early) throw early
    if (performance.now() >= end) {
      const [events, nodeObj] = await Promise.all([
        api.podEvents(ns, name).catch(() => []),
        api.getNode(node).catch(() => undefined),
      ])
      throw startTimeout(pod, events, nodeObj, node, limit)
    }
    await sleep(delay, o.signal)
    delay = Math.min(delay * 1.5, 500)
    pod = await api.getPod(ns, name)
  }
}

/** Once per pod: where nsenter is and whose namespaces are the node's; onProtocol learns the exec protocol. */
export async function probePod(
  api: NodePodApi,
  ns: string,
  name: string,
  protocol: ExecProtocolChoice | undefined,
  onProtocol: (p: string) => void,
): Promise<PodFacts> {
  let r
  try {
    r = await api.exec({
      namespace: ns,
      pod: name,
      container: CONTAINER,
      command: probeCommand(),
      protocol: protocol,
      connectTimeoutMs: 15_000,
    })
  } catch (e) {
    if (e instanceof KubeError && e.kind === 'forbidden')
      throw new NodePodError('rbac', `may not exec into the node pod: ${e.message}`, rbacHint(ns), e, name)
    throw new NodePodError(
      'api',
      `exec into the new node pod ${ns}/${name} failed: ${(e as Error).message}`,
      (e as KubeError).hint,
      e,
      name,
    )
  }
  onProtocol(r.protocol)
  if (r.status?.exitCode !== 0) {
    const why = r.status?.message ?? r.stderr.toString().trim() ?? `no exit status (close code ${r.closeCode})`
    throw new NodePodError(
      'image-tools',
      `the node pod image cannot run the transport's shell commands: ${why}`,
      'the image needs sh and nsenter (busybox has both)',
      undefined,
      name,
    )
  }
  try {
    return parseProbe(r.stdout.toString())
  } catch (e) {
    throw new NodePodError(
      'image-tools',
      (e as Error).message,
      'use an image with sh and nsenter (busybox has both)',
      e,
      name,
    )
  }
}
