// triage(): what is wrong in a namespace, a list of namespaces or the cluster, ranked, each row with the recipe to run
// next. Collect (API reads, in parallel), optionally read nodes (over an allowed transport), analyze (pure), rank.
import { present } from '../present.ts'
import type { SessionApi } from '../session.ts'
import { analyzeCluster, isClusterDns } from './analyze/cluster.ts'
import { analyzeEvents } from './analyze/events.ts'
import { analyzeNodeReads } from './analyze/nodereads.ts'
import { analyzeNodes } from './analyze/nodes.ts'
import { analyzePods } from './analyze/pods.ts'
import { analyzeServices } from './analyze/services.ts'
import { analyzeWorkloads } from './analyze/workloads.ts'
import { collect, missingNamespaces } from './collect.ts'
import { TriageError } from './errors.ts'
import { buildRows } from './group.ts'
import { readNodes, type NodeReads } from './nodes.ts'
import {
  TRIAGE_REPORT,
  type CheckStatus,
  type NodeChecks,
  type NodeRead,
  type Snapshot,
  type TriageData,
  type TriageExit,
  type TriageRow,
  type TriageScope,
} from './types.ts'

export type * from './types.ts'
export { sshNodeReads, type NodeReads } from './nodes.ts'
export { parseTriageArgs, type TriageArgs } from './options.ts'
export { TriageError } from './errors.ts'

/** Options of triage(). */
export interface TriageOptions {
  /** Default: the session's namespace. */
  scope?: TriageScope
  /** Read conntrack and kube-proxy rules on the nodes over this transport; absent: node checks do not run. */
  nodeReads?: NodeReads
  /** Why node checks are off (shown in the report) when nodeReads is absent. */
  nodesOff?: string
  /** Deadline of each API call (default 10000 ms). */
  timeoutMs?: number
  /** The clock (default Date.now). */
  now?: () => number
}

/** The nodes that matter to the scope: every node with -A, else those running the scope's pods. */
export function nodesInScope(snap: Pick<Snapshot, 'scope' | 'nodes' | 'pods'>): string[] {
  if ('allNamespaces' in snap.scope) return snap.nodes.map((n) => n.metadata.name)
  const used = new Set(snap.pods.map((p) => p.spec.nodeName).filter(Boolean))
  return snap.nodes.map((n) => n.metadata.name).filter((n) => used.has(n))
}

/** Every symptom of a snapshot (and of node reads), grouped and ranked. Pure. */
export function analyze(snap: Snapshot, reads: readonly NodeRead[] = []): TriageRow[] {
  const dnsCovered = snap.dns?.service !== undefined
  const scoped = new Set(nodesInScope(snap))
  return buildRows(
    [
      ...analyzePods(snap),
      ...analyzeWorkloads(snap, (d) => dnsCovered && isClusterDns(d)),
      ...analyzeServices(snap, (s) => dnsCovered && isClusterDns(s)),
      ...analyzeNodes(snap, (n) => scoped.has(n)),
      ...analyzeCluster(snap),
      ...analyzeEvents(snap),
      ...analyzeNodeReads(reads, snap.pods),
    ],
    snap.events,
  )
}

/** The exit status: 1 when a row says something is wrong, else 2 when a check could not look, else 0. */
export function exitOf(rows: readonly TriageRow[], checks: readonly CheckStatus[], nodeChecks: NodeChecks): TriageExit {
  if (rows.length) return 1
  if (checks.some((c) => c.status === 'not-seen') || nodeChecks.nodes.some((n) => n.status === 'not-read')) return 2
  return 0
}

/** A triage report; prints as the ranked table (src/render/triage.ts). */
export class TriageReport implements TriageData {
  context!: string
  scope!: TriageScope
  startedAt!: string
  durationMs!: number
  rows!: TriageRow[]
  checks!: CheckStatus[]
  nodeChecks!: NodeChecks
  status!: TriageData['status']
  exitCode!: TriageExit
  constructor(d: TriageData) {
    Object.assign(this, d)
  }
}
present(TriageReport.prototype, TRIAGE_REPORT)

/** What the node reads came to: per node read or not (and over which transport), and the transports used. */
export function nodeChecksOf(reads: readonly NodeRead[], declared: string): NodeChecks {
  const used = [...new Set(reads.map((r) => r.via).filter((v): v is string => Boolean(v)))].sort()
  return {
    ran: true,
    transport: used.length ? used.join(', ') : declared,
    nodes: reads.map((r) => {
      const why =
        r.reason ??
        [r.conntrackError && `conntrack: ${r.conntrackError}`, r.rulesError && `rules: ${r.rulesError}`]
          .filter(Boolean)
          .join('; ')
      return why
        ? { node: r.node, status: 'not-read' as const, reason: why }
        : { node: r.node, status: 'read' as const, ...(r.via ? { via: r.via } : {}) }
    }),
  }
}

/** The error for namespaces that do not exist, naming those that do when the user may list them. */
async function noSuchNamespace(
  session: Pick<SessionApi, 'kube' | 'context'>,
  missing: readonly string[],
): Promise<TriageError> {
  const names = await session.kube.get('namespaces').then(
    (l) => (Array.isArray(l) ? l.map((n) => (n as { metadata: { name: string } }).metadata.name) : []),
    () => [] as string[],
  )
  const which = missing.map((n) => `"${n}"`).join(', ')
  return new TriageError(
    'notfound',
    `namespace${missing.length > 1 ? 's' : ''} ${which} ${missing.length > 1 ? 'do' : 'does'} not exist in context ${session.context || '(none)'}`,
    names.length
      ? `namespaces: ${names.join(', ')} (or -A for all of them)`
      : 'kubectl get namespaces lists them; -A looks at all of them',
  )
}

/** Looks at the scope through the API (and the nodes when nodeReads is given) and ranks what is wrong. */
export async function triage(
  session: Pick<SessionApi, 'kube' | 'namespace' | 'context'> & { load?: () => Promise<void> },
  opts: TriageOptions = {},
): Promise<TriageReport> {
  const t0 = Date.now()
  await session.load?.()
  const scope = opts.scope ?? { namespaces: [session.namespace] }
  const { snapshot, checks } = await collect(session.kube, scope, { timeoutMs: opts.timeoutMs, now: opts.now })
  const missing = await missingNamespaces(session.kube, scope, snapshot, opts.timeoutMs)
  if (missing.length) throw await noSuchNamespace(session, missing)
  let reads: NodeRead[] = []
  let nodeChecks: NodeChecks = {
    ran: false,
    reason: opts.nodesOff ?? 'off: --nodes reads conntrack and kube-proxy rules on the nodes over SSH or a node pod',
    nodes: [],
  }
  if (opts.nodeReads) {
    const nodes = nodesInScope(snapshot)
    reads = await readNodes({
      session,
      nodes,
      services: snapshot.services,
      slices: snapshot.slices,
      reads: opts.nodeReads,
    })
    nodeChecks = nodeChecksOf(reads, opts.nodeReads.transport)
  }
  const rows = analyze(snapshot, reads)
  const exitCode = exitOf(rows, checks, nodeChecks)
  return new TriageReport({
    context: session.context,
    scope,
    startedAt: new Date(t0).toISOString(),
    durationMs: Date.now() - t0,
    rows,
    checks,
    nodeChecks,
    status: exitCode === 0 ? 'ok' : exitCode === 1 ? 'problems' : 'incomplete',
    exitCode,
  })
}
