// The fleet: one command on many nodes. bindFleet(session) is the shell's fleet() global; the transport is the
// session's own node(x) (SSH today, whatever node(x) chooses tomorrow), injected as a FleetTransport.
import type { RunOptions } from '../exec/types.ts'
import { received } from '../errors.ts'
import { checkName } from '../names.ts'
import type { SessionApi } from '../session.ts'
import { classifyError } from './classify.ts'
import { FleetHandle, checkTarget, type FleetTarget } from './handle.ts'
import { expandNodes } from './nodeset.ts'
import { runFleet, type FleetOptions, type FleetRun } from './run.ts'
import { FleetError, type FleetTransport } from './types.ts'

export * from './types.ts'
export { FleetHandle, checkTarget, type FleetTarget } from './handle.ts'
export { FleetRun, runFleet, checkFleet, DEFAULT_FANOUT, DEFAULT_NODE_TIMEOUT_MS, type FleetOptions } from './run.ts'
export { fmtMs } from './pass.ts'
export { FleetResult, groupResults, groupErrors } from './result.ts'
export { foldNodes, expandNodes, NodeSetError } from './nodeset.ts'
export { classifyError } from './classify.ts'

/** What the fleet needs from a session: the nodes (for selectors) and a handle per node. */
export type FleetSession = Pick<SessionApi, 'node' | 'kube' | 'load' | 'prepareFleet'> & {
  config?: SessionApi['config']
}

/** How a node handle was reached: its `via` when the session says, else the target's prefix ("ssh:lab-1" → ssh). */
function viaOf(h: { target: string; via?: unknown }): string {
  if (typeof h.via === 'string') return h.via
  const t = h.target
  return t === 'local' ? 'local' : t.includes(':') ? t.slice(0, t.indexOf(':')) : t
}

/** The session's node(x) as a fleet transport: each node's handle runs the command with the fleet's options. */
export function sessionTransport(session: Pick<SessionApi, 'node' | 'prepareFleet'>): FleetTransport {
  let fleetBegun: ReturnType<NonNullable<SessionApi['prepareFleet']>> | undefined
  return {
    // Many nodes without SSH: one DaemonSet for them (node access decides which and when; fleet.daemonSetAbove). It
    // returns at once: a node SSH serves starts as soon as it is prepared, one bound for a pod waits for the decision.
    ...(session.prepareFleet
      ? { begin: async (nodes: readonly string[]) => void (fleetBegun = session.prepareFleet!(nodes)) }
      : {}),
    async run(node, argv, o) {
      const h = session.node(node)
      const opts: RunOptions = { timeoutMs: o.timeoutMs, signal: o.signal }
      if (o.sudo) opts.sudo = true
      if (o.input !== undefined) opts.input = o.input
      return h.run(argv, opts)
    },
    classify: classifyError,
    async prepare(node) {
      // An SSH node's settings (ssh -G: a process each, 16 at a time, 10 s at most) are resolved once per session.
      await session.node(node).sshConfig
      await fleetBegun?.ready(node)
    },
    via: (node) => {
      try {
        return viaOf(session.node(node) as { target: string; via?: unknown })
      } catch {
        return ''
      }
    },
  }
}

/** The node names a target chooses: names as given (node sets expanded), or the cluster's nodes by selector (all). */
export async function selectNodes(session: Pick<SessionApi, 'kube'>, target: FleetTarget): Promise<string[]> {
  const t = checkTarget(target)
  if (Array.isArray(t)) {
    const names = [...new Set(t.flatMap((n) => (/[[\]]/.test(n) ? expandNodes(n) : [n])))]
    names.forEach((n, i) => checkName('node', n, `fleet: nodes[${i}]`))
    return names
  }
  const selector = t as string | Record<string, string> | undefined
  let list: { metadata: { name: string } }[]
  try {
    list = await session.kube.nodes(selector as never)
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e)
    throw new FleetError(
      'select',
      `fleet: cannot list the cluster's nodes${selector ? ` for the selector ${JSON.stringify(selector)}` : ''}: ${why}`,
      "name the nodes instead: fleet(['node-1', 'node-2']) or kinspect fleet NODE... -- CMD",
      e,
    )
  }
  const names = list.map((n) => n.metadata.name)
  if (!names.length) {
    throw new FleetError(
      'select',
      selector
        ? `fleet: no node matches the label selector ${typeof selector === 'string' ? selector : JSON.stringify(selector)}`
        : 'fleet: the cluster has no nodes',
      selector ? "nodes() shows the nodes and their labels; for node names pass an array: fleet(['lab-2'])" : undefined,
    )
  }
  return names
}

/** Options the session's config gives every fleet: .recipes fleet.fanout and fleet.timeout. */
export function configDefaults(session: { config?: SessionApi['config'] }): FleetOptions {
  const f = session.config?.fleet
  const o: FleetOptions = {}
  if (f?.fanout !== undefined) o.fanout = f.fanout
  if (f?.timeoutMs !== undefined) o.timeoutMs = f.timeoutMs
  return o
}

/**
 * The shell's fleet(target) for a session. `defaults` (e.g. a progress display) apply to every run, `onRun` sees each
 * run start (the shell keeps them to cancel on Ctrl-C).
 */
export function bindFleet(session: FleetSession, defaults: FleetOptions = {}, onRun?: (run: FleetRun) => void) {
  return function fleet(target?: FleetTarget, ...more: unknown[]): FleetHandle {
    if (more.length)
      throw new FleetError(
        'invalid',
        `fleet: takes one argument, the nodes (a label selector, names, or nothing for all); received a second: ${received(more[0])}`,
        "options go on the handle: fleet(['lab-1']).timeout(5000).$`uptime`, or .with({deadlineMs: 30000, fanout: 16})",
      )
    const t = checkTarget(target)
    return new FleetHandle(t, (argv, opts) => {
      const nodes = session.load().then(() => selectNodes(session, t))
      const run = runFleet(sessionTransport(session), nodes, argv, { ...configDefaults(session), ...defaults, ...opts })
      onRun?.(run)
      return run
    })
  }
}
