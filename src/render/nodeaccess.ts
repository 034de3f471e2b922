// Node access as text (pure): the consent question for node pods, a pod's phase (spinner frame or plain line), what
// the session deleted when it ended, the gc table, and the dry-run plan of which nodes would get a pod.
import type { ConsentRequest } from '../access/hooks.ts'
import type { AccessPlanEntry } from '../access/plan.ts'
import type { FleetPlan } from '../access/fleetds.ts'
import type { NodeAccessPlan } from '../recipes/access.ts'
import type { CloseReport, GcResult, NodePodPhase } from '../exec/nodepod/index.ts'
import { palette } from './color.ts'
import { renderTable, type Cell } from './table.ts'

/** A duration of seconds as the config spells it: 1h, 30m, 1h30m, 90s. */
export function duration(secs: number): string {
  const h = Math.floor(secs / 3600)
  const m = Math.floor((secs % 3600) / 60)
  const s = secs % 60
  return [h && `${h}h`, m && `${m}m`, s && `${s}s`].filter(Boolean).join('') || '0s'
}

/** The question asked before node pods are created: what, where, what the pod can do, how long it lives; ends with the prompt. */
export function renderConsentQuestion(req: ConsentRequest, color = false): string {
  const c = palette(color)
  const ds = req.pods.find((p) => p.daemonSet)
  if (ds) return renderDaemonSetQuestion(ds, c)
  const lines = [
    c.bold(
      `kinspect needs a node pod on ${req.pods.map((p) => p.node).join(', ')} (SSH does not reach ${req.pods.length === 1 ? 'it' : 'them'}). This changes the cluster:`,
    ),
  ]
  for (const p of req.pods) {
    const extra = [
      p.priorityClassName && `priorityClass ${p.priorityClassName}`,
      p.imagePullSecrets?.length && `pull secrets ${p.imagePullSecrets.join(', ')}`,
    ]
      .filter(Boolean)
      .join(', ')
    lines.push(`  pod ${p.namespace}/${p.pod} on node ${p.node}, image ${p.image}${extra ? `, ${extra}` : ''}`)
  }
  const deadline = [...new Set(req.pods.map((p) => duration(p.deadlineSeconds)))].join(' / ')
  lines.push(
    `  It is ${c.yellow('privileged')} and shares the node's PID, network and IPC namespaces: it can do whatever root can do on the node.`,
    `  kinspect deletes it when this session ends; if kinspect is killed it ends by itself after ${deadline} (activeDeadlineSeconds), and \`kinspect gc\` removes leftovers.`,
    `Allow node pods for this session? [y/N] `,
  )
  return lines.join('\n')
}

/** At most `max` names, then "and N more". */
function someNodes(nodes: readonly string[], max = 8): string {
  return nodes.length <= max ? nodes.join(', ') : `${nodes.slice(0, max).join(', ')} and ${nodes.length - max} more`
}

// The question for a fleet's DaemonSet: one object, many nodes.
function renderDaemonSetQuestion(p: ConsentRequest['pods'][number], c: ReturnType<typeof palette>): string {
  const nodes = p.daemonSet!.nodes
  const extra = [
    p.priorityClassName && `priorityClass ${p.priorityClassName}`,
    p.imagePullSecrets?.length && `pull secrets ${p.imagePullSecrets.join(', ')}`,
  ]
    .filter(Boolean)
    .join(', ')
  return [
    c.bold(
      `kinspect needs a DaemonSet on ${nodes.length} nodes (SSH does not reach them; one pod per node). This changes the cluster:`,
    ),
    `  daemonset ${p.namespace}/${p.pod}, image ${p.image}${extra ? `, ${extra}` : ''}`,
    `  nodes: ${someNodes(nodes)}`,
    `  Its pods are ${c.yellow('privileged')} and share each node's PID, network and IPC namespaces: they can do whatever root can do on the nodes.`,
    `  kinspect deletes it when this session ends; if kinspect is killed its containers exit after ${duration(p.deadlineSeconds)}, and \`kinspect gc\` deletes the DaemonSet.`,
    `Allow node pods (and this DaemonSet) for this session? [y/N] `,
  ].join('\n')
}

/** Reads an answer to a yes/no question: y or yes (any case) is yes; everything else, no. */
export function isYes(answer: string | null): boolean {
  return /^\s*y(es)?\s*$/i.test(answer ?? '')
}

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏']

function secs(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`
}

function what(p: NodePodPhase): string {
  const pod = p.pod ? `${p.namespace ? `${p.namespace}/` : ''}${p.pod}` : `node pod`
  switch (p.phase) {
    case 'checking':
      return `checking access for a node pod on ${p.node} (namespace ${p.namespace ?? '?'})`
    case 'creating':
      return `creating ${pod} on ${p.node}`
    case 'starting':
      return `starting ${pod} on ${p.node}${p.detail ? `: ${p.detail}` : ''}`
    case 'ready':
      return `${pod} ready on ${p.node}`
    case 'deleting':
      return `deleting ${pod}`
    case 'deleted':
      return `deleted ${pod}`
    case 'failed':
      return `${pod} on ${p.node} failed${p.detail ? `: ${p.detail.split('\n')[0]}` : ''}`
  }
}

/** A pod's phase as one spinner line (frame chosen by the caller's tick). */
export function renderPhaseFrame(p: NodePodPhase, tick: number, color = false): string {
  const c = palette(color)
  return `${c.cyan(FRAMES[tick % FRAMES.length])} ${what(p)} ${c.dim(secs(p.elapsedMs))}`
}

/** A pod's phase as a plain line (pipes and logs; also the line left on a terminal once the pod is ready or failed). */
export function renderPhaseLine(p: NodePodPhase, color = false): string {
  const c = palette(color)
  const text = `${what(p)} (${secs(p.elapsedMs)})`
  return p.phase === 'failed' ? c.red(text) : p.phase === 'ready' ? c.green(text) : c.dim(text)
}

/** What ending the session did to its node pods (empty when it made none). */
export function renderCloseReport(r: CloseReport, color = false): string {
  const c = palette(color)
  const ds = (name: string) => name.startsWith('daemonset/')
  const out = r.deleted.map((name) => c.dim(ds(name) ? `deleted ${name} and its pods` : `deleted node pod ${name}`))
  for (const x of r.remaining) {
    if (ds(x.name))
      out.push(
        c.yellow(
          `${x.name} in ${x.namespace} may be left: ${x.why}; \`kinspect gc\` removes it (its containers exit by their deadline anyway)`,
        ),
      )
    else
      out.push(
        c.yellow(
          `node pod ${x.namespace}/${x.name} may be left: ${x.why}; \`kinspect gc\` removes it (it ends by its deadline anyway)`,
        ),
      )
  }
  return out.join('\n')
}

/** The rows of the gc table: each kinspect pod and what gc did or would do with it. */
export function gcRows(r: GcResult, dryRun: boolean): Cell[][] {
  const failed = new Map(r.failed.map((f) => [`${f.namespace}/${f.name}`, f.why]))
  const deleted = new Set(r.deleted)
  return r.entries.map((e) => {
    const key = `${e.namespace}/${e.name}`
    const action = !e.leftover
      ? { text: 'kept', style: 'dim' as const }
      : dryRun
        ? { text: 'would delete', style: 'yellow' as const }
        : deleted.has(key)
          ? { text: 'deleted', style: 'green' as const }
          : { text: `delete failed: ${failed.get(key) ?? '?'}`, style: 'red' as const }
    return [e.namespace, e.name, e.node, e.session, action, e.reason]
  })
}

/** kinspect gc's output: the table, then one summary line. */
export function renderGc(r: GcResult, o: { dryRun?: boolean; color?: boolean } = {}): string {
  const dry = o.dryRun === true
  const leftovers = r.entries.filter((e) => e.leftover).length
  const table = renderTable(['NAMESPACE', 'POD', 'NODE', 'SESSION', 'ACTION', 'WHY'], gcRows(r, dry), {
    color: o.color ?? false,
    empty: 'no kinspect node pods in the cluster',
  })
  const summary = dry
    ? `${leftovers} leftover${leftovers === 1 ? '' : 's'} would be deleted (--dry-run: nothing was deleted)`
    : `${r.deleted.length} deleted${r.failed.length ? `, ${r.failed.length} could not be deleted` : ''}, ${r.entries.length - leftovers} kept`
  return `${table}\n${summary}`
}

/** How a plan expects to reach one node, in words. */
function sayExpect(e: AccessPlanEntry, c: ReturnType<typeof palette>): string {
  if (e.expect === 'pod') return c.yellow('a node pod would be created')
  if (e.expect === 'ssh-then-pod') return 'SSH; a node pod would be created if SSH does not connect'
  return e.expect === 'ssh' ? 'SSH' : c.red('unreachable')
}

/** The node access part of a --dry-run plan: which steps reach nodes, which nodes would get a node pod, which SSH, and why. */
export function renderAccessPlan(plan: NodeAccessPlan, color = false): string {
  const c = palette(color)
  const entries = plan.nodes
  const say = (e: AccessPlanEntry) => sayExpect(e, c)
  const lines = [
    c.bold('Node access'),
    `  step${plan.steps.length === 1 ? '' : 's'} ${plan.steps.join(', ')} run${plan.steps.length === 1 ? 's' : ''} commands on nodes`,
  ]
  if (plan.error)
    lines.push(
      c.yellow(
        `  the nodes could not be listed (${plan.error}): each node is reached over SSH when it applies, else through a node pod`,
      ),
    )
  for (const e of entries) lines.push(`  ${e.node}: ${say(e)} — ${e.why}`)
  const pods = entries.filter((e) => e.expect === 'pod' || e.expect === 'ssh-then-pod')
  if (pods.length) {
    const p = pods[0]
    const ask = p.pods === 'ask' ? 'after asking once' : p.pods === 'always' ? 'without asking (pods: always)' : ''
    lines.push(
      `  node pods: privileged, host namespaces, in ${p.namespace}, image ${p.image}, deadline ${duration(p.deadlineSeconds)}; created ${ask}, deleted when the run ends`,
    )
  }
  return lines.join('\n')
}

/** kinspect fleet --dry-run: how each node would be reached (SSH, a node pod, the fleet's DaemonSet); nothing runs. */
export function renderFleetPlan(plan: FleetPlan, color = false): string {
  const c = palette(color)
  const inDs = new Map(plan.daemonSets.flatMap((d, i) => d.nodes.map((n) => [n, i] as const)))
  const say = (e: AccessPlanEntry) => (inDs.has(e.node) ? c.yellow("the fleet's DaemonSet") : sayExpect(e, c))
  const lines = [
    c.bold(`Fleet node access (${plan.entries.length} nodes; a DaemonSet above ${plan.above} nodes without SSH)`),
  ]
  for (const e of plan.entries) lines.push(`  ${e.node}: ${say(e)} — ${e.why}`)
  for (const d of plan.daemonSets) {
    const ask = d.pods === 'ask' ? 'after asking once' : 'without asking (pods: always)'
    lines.push(
      `  a DaemonSet would be created in ${d.namespace} for ${d.nodes.length} nodes: image ${d.image}, privileged, host namespaces, containers exit after ${duration(d.deadlineSeconds)}; created ${ask}, deleted when the run ends`,
    )
  }
  lines.push(c.dim('  --dry-run: nothing was created and the command did not run'))
  return lines.join('\n')
}
