// Node reads: conntrack fill (conntrackStats) and kube-proxy rules against the EndpointSlices (the rule extraction of
// svcRules), only over a transport the user already allowed. NodeReads is the seam: sshNodeReads goes through the
// session's node handles, so a node is read over SSH, or over a node pod where nodeAccess allows one; each read
// says which transport it used (the handle's via).
import { NodeHandle, type Exec, type ExecOutput } from '../exec/index.ts'
import type { EndpointSlice, Service } from '../kube/types.ts'
import { conntrackStats } from '../net/conntrack.ts'
import { buildSvcRules, collectRules } from '../net/svc/index.ts'
import { notProxiedReason, serviceFamilies, svcSpec } from '../net/svc/spec.ts'
import type { SessionApi } from '../session.ts'
import { slicesOf } from './objects.ts'
import type { NodeRead } from './types.ts'

/** A way to read nodes that the user has already allowed. */
export interface NodeReads {
  /** Names the transport in the report, e.g. "ssh". */
  readonly transport: string
  /** A handle on the node for read-only commands (and the transport it went over), or the reason it cannot be read. */
  open(node: string): Promise<{ handle: NodeHandle; via?: string } | { reason: string }>
}

/** How a transport is named in a reason: "SSH", "node pod"; nothing when the transport is not known. */
const named = (via: string | undefined) =>
  via === 'ssh' ? 'SSH' : via === 'pod' ? 'node pod' : via === 'daemonset' ? "the DaemonSet's pod" : via

/** Node reads through the session's node handles: a node counts as allowed when `true` runs on it within the deadline. */
export function sshNodeReads(session: Pick<SessionApi, 'node'>, opts: { timeoutMs?: number } = {}): NodeReads {
  return {
    transport: 'ssh',
    async open(node) {
      try {
        const handle = session.node(node)
        const r = await handle.run(['true'], { timeoutMs: opts.timeoutMs ?? 5000, nothrow: true })
        const via = handle.via
        return r.ok
          ? { handle, via }
          : {
              reason: `\`true\` exited ${r.exitCode}${via ? ` over ${named(via)}` : ''}: ${(r.stderr.trim() || r.stdout.trim()).split('\n').pop() ?? ''}`,
            }
      } catch (e) {
        const via = named(session.node(node).via)
        return { reason: `${via ? `${via}: ` : ''}${(e as Error).message ?? String(e)}` }
      }
    },
  }
}

/** A handle that runs each distinct command once (every Service's rules come from the same iptables-save). */
export function memoHandle(h: NodeHandle): NodeHandle {
  const seen = new Map<string, Promise<ExecOutput>>()
  const exec: Exec = {
    target: h.exec.target,
    run(argv, opts) {
      const key = JSON.stringify([argv, opts?.sudo ?? false, opts?.input ?? ''])
      let p = seen.get(key)
      if (!p) seen.set(key, (p = h.exec.run(argv, opts)))
      return p
    },
  }
  return new NodeHandle(exec, h.defaults)
}

function deadline<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const t = new Promise<never>(
    (_, reject) =>
      (timer = setTimeout(
        () => reject(new Error(`${what}: no answer within ${ms < 1000 ? `${ms} ms` : `${Math.round(ms / 1000)} s`}`)),
        ms,
      )),
  )
  return Promise.race([p, t]).finally(() => clearTimeout(timer))
}

/** Runs `fn` over `items`, at most `limit` at a time, keeping the order of the results. */
async function pool<T, R>(items: readonly T[], limit: number, fn: (x: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length)
  let next = 0
  const worker = async () => {
    while (next < items.length) {
      const i = next++
      out[i] = await fn(items[i])
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
  return out
}

/** What readNodes needs: the cluster client and namespace (conntrackStats's session), the Services and their slices. */
export interface ReadNodesInput {
  session: Pick<SessionApi, 'kube' | 'namespace'>
  nodes: readonly string[]
  services: readonly Service[]
  slices: readonly EndpointSlice[]
  reads: NodeReads
  /** Per node, for all its reads (default 20000 ms). */
  timeoutMs?: number
  /** Nodes read at once (default 8). */
  parallel?: number
}

/** Reads conntrack and the rules of every proxied Service on each node; a node that cannot be read says why. */
export async function readNodes(input: ReadNodesInput): Promise<NodeRead[]> {
  const proxied = input.services.filter((s) => !notProxiedReason(s) && serviceFamilies(s).length)
  return pool(input.nodes, input.parallel ?? 8, async (node): Promise<NodeRead> => {
    const opened = await input.reads.open(node)
    if ('reason' in opened) return { node, reason: opened.reason }
    const handle = memoHandle(opened.handle)
    const read: NodeRead = opened.via ? { node, via: opened.via } : { node }
    const netSession = { kube: input.session.kube, namespace: input.session.namespace, node: () => handle }
    const ms = input.timeoutMs ?? 20_000
    await Promise.all([
      deadline(conntrackStats(netSession, node), ms, `conntrack on ${node}`).then(
        (c) => (read.conntrack = c),
        (e) => (read.conntrackError = (e as Error).message),
      ),
      deadline(
        Promise.all(
          proxied.map(async (svc) => {
            const withNs = { ...svc, metadata: { ...svc.metadata, namespace: svc.metadata.namespace ?? 'default' } }
            const collected = await collectRules(
              handle,
              serviceFamilies(withNs).map((f) => svcSpec(withNs, f)),
            )
            return buildSvcRules(
              withNs,
              slicesOf(input.slices, withNs.metadata.namespace, svc.metadata.name),
              node,
              collected,
            )
          }),
        ),
        ms,
        `kube-proxy rules on ${node}`,
      ).then(
        (r) => (read.rules = r),
        (e) => (read.rulesError = (e as Error).message),
      ),
    ])
    return read
  })
}
