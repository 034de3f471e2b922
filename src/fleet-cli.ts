// `kinspect fleet`: the launcher (thin). Chooses the nodes, runs the fleet through the session's nodes, streams
// `node: line` output (or gathers it with -b, or prints JSON), names the failures on stderr, and sets the exit code.
import type { FleetArgs } from './fleet/args.ts'
import {
  runFleet,
  selectNodes,
  sessionTransport,
  configDefaults,
  type FleetNodeResult,
  type FleetResult,
} from './fleet/index.ts'
import { failureReport, nodeLines, renderFleetGroups } from './render/fleet.ts'
import { ProgressLine } from './repl/fleet.ts'
import { formatError } from './repl/errors.ts'
import type { Session } from './session.ts'

/** Streams of one run (the CLI's). */
export interface FleetCliIO {
  stdout: NodeJS.WritableStream & { isTTY?: boolean }
  stderr: NodeJS.WritableStream & { isTTY?: boolean }
  /** Colour on stderr (progress, failures). */
  color: boolean
  /** Ctrl-C; default: the process's SIGINT. */
  signal?: AbortSignal
}

/** How long the CLI waits, after the result, for stopped commands to be ended on their nodes. */
const SETTLE_MS = 700

/** The JSON document of `-o json`. */
export function fleetJson(r: FleetResult): object {
  return {
    command: r.argv,
    nodes: r.nodes,
    ok: r.ok,
    ...(r.stopped ? { stopped: r.stopped } : {}),
    durationMs: Math.round(r.durationMs),
    results: r.results,
    groups: r.groups(),
    errors: r.errors(),
  }
}

/** The exit code of a finished fleet: 0 every node succeeded, 130 interrupted, 1 otherwise. */
export function fleetExitCode(r: FleetResult): number {
  if (r.stopped === 'aborted') return 130
  return r.ok ? 0 : 1
}

/** Runs `kinspect fleet` with parsed arguments; resolves to the exit code (2: the command could not run). */
export async function runFleetCli(args: FleetArgs, session: Session, io: FleetCliIO): Promise<number> {
  let nodes: string[]
  try {
    await session.load()
    nodes = await selectNodes(session, args.nodes ?? args.selector)
  } catch (e) {
    io.stderr.write(formatError(e, io.color))
    return 2
  }
  if (args.dryRun) {
    try {
      if (!session.fleetPlan) throw new Error('this session cannot plan node access')
      const { renderFleetPlan } = await import('./render/nodeaccess.ts')
      io.stdout.write(`${renderFleetPlan(await session.fleetPlan(nodes), false)}\n`)
      return 0
    } catch (e) {
      io.stderr.write(formatError(e, io.color))
      return 2
    }
  }
  const sigint = new AbortController()
  const onSigint = () => sigint.abort(new Error('interrupted'))
  if (!io.signal) process.once('SIGINT', onSigint)
  const progress = io.stderr.isTTY ? new ProgressLine((t) => io.stderr.write(t), { color: io.color }) : undefined
  const stream = args.format === 'text' && !args.gather
  const onResult = (r: FleetNodeResult) => {
    if (!stream) return
    progress?.clear()
    const { stdout, stderr } = nodeLines(r)
    if (stdout.length) io.stdout.write(`${stdout.join('\n')}\n`)
    if (stderr.length) io.stderr.write(`${stderr.join('\n')}\n`)
  }
  const run = runFleet(sessionTransport(session), nodes, args.argv, {
    ...configDefaults(session),
    ...(args.timeoutMs !== undefined ? { timeoutMs: args.timeoutMs } : {}),
    // --deadline bounds the whole command, as `timeout` would: the time since kinspect started is counted in it.
    ...(args.deadlineMs !== undefined ? { deadlineMs: args.deadlineMs, spentMs: performance.now() } : {}),
    ...(args.fanout !== undefined ? { fanout: args.fanout } : {}),
    sudo: args.sudo,
    signal: io.signal ?? sigint.signal,
    onResult,
    onProgress: (p) => progress?.update(p),
  })
  let result: FleetResult
  try {
    result = await run
  } catch (e) {
    io.stderr.write(formatError(e, io.color))
    return 2
  } finally {
    process.off('SIGINT', onSigint)
    progress?.clear()
  }
  if (args.format === 'json') io.stdout.write(`${JSON.stringify(fleetJson(result), null, 2)}\n`)
  else if (args.gather) {
    // Groups with output go to stdout (clush -b); failures without any output are named in the report below.
    const shown = result.groups().filter((g) => g.ok || g.stdout || g.stderr)
    if (shown.length) io.stdout.write(`${renderFleetGroups(shown, { color: false })}\n`)
  }
  const report = failureReport(result, result.errors(), { color: io.color })
  if (report) io.stderr.write(`kinspect fleet: ${report}\n`)
  // Commands stopped by the deadline or Ctrl-C are being ended on their nodes: give that a moment, never more.
  await Promise.race([run.settled, new Promise((r) => setTimeout(r, SETTLE_MS).unref())])
  return fleetExitCode(result)
}
