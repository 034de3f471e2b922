// The fleet's types: the per-node transport it is given, one node's result, progress counts, and the presentations
// the renderers fill in (src/render/fleet.ts).
import { HintedError } from '../errors.ts'
import type { ExecResult } from '../exec/types.ts'
import { Presentation } from '../present.ts'

/**
 * Why a node did not succeed: unreachable (refused, no route, the node pod did not start), auth (the login was
 * refused), hostkey (unknown or changed host key), timeout (the per-node timeout or the overall deadline), exit (the
 * command exited non-zero), forbidden (sudo needs a password, RBAC or PodSecurity said no), aborted (cancelled,
 * Ctrl-C), error (anything else: a bad ssh config, a transport bug).
 */
export type FleetErrorClass =
  'unreachable' | 'auth' | 'hostkey' | 'timeout' | 'exit' | 'forbidden' | 'aborted' | 'error'

/** Every class, in the order reports list them. */
export const FLEET_ERROR_CLASSES: readonly FleetErrorClass[] = [
  'unreachable',
  'auth',
  'hostkey',
  'forbidden',
  'timeout',
  'exit',
  'aborted',
  'error',
]

/** What a transport is asked to do for one node. */
export interface FleetRunOptions {
  /** The node's own deadline in ms, counted from this call; the transport enforces it on the node too. */
  timeoutMs: number
  /** Aborted on Ctrl-C, at the overall deadline, or when the fleet is cancelled: the remote command must end. */
  signal: AbortSignal
  sudo?: boolean
  input?: string
}

/** A failure as the fleet reports it. */
export interface FleetFailure {
  class: FleetErrorClass
  /** One line: what happened. */
  message: string
  hint?: string
}

/**
 * How the fleet reaches one node (SSH today, a node pod later): injected, so the fleet knows no transport. run()
 * resolves with the output of a command that exited 0 and rejects otherwise; the error carries the result fields
 * it has (ExecError does) and classify() names its class.
 */
export interface FleetTransport {
  run(node: string, argv: readonly string[], opts: FleetRunOptions): Promise<ExecResult>
  /** The class, message and hint of an error run() threw. */
  classify(error: unknown): FleetFailure
  /** How the node was reached (after its run): 'ssh', 'pod', 'local'. */
  via(node: string): string
  /**
   * Reads what a node needs before its timeout starts (SSH: its ssh config, `ssh -G`); bounded by the transport.
   * Failures are left for run() to report.
   */
  prepare?(node: string): Promise<void>
  /**
   * Called once with every node before any starts (no node's clock runs yet): the session's transport makes one
   * DaemonSet here for many nodes without SSH. Failures are left for run() to report; the signal is the fleet's abort.
   */
  begin?(nodes: readonly string[], signal: AbortSignal): Promise<void>
}

/** One node's outcome. */
export interface FleetNodeResult {
  node: string
  /** How it was reached: 'ssh', 'pod', … ('' when it never started). */
  transport: string
  ok: boolean
  exitCode: number | null
  stdout: string
  stderr: string
  /** From the node's start (its turn in the fan-out) to its result. */
  durationMs: number
  /** When the node started, in ms after the fleet started (null: it never started). */
  startedAtMs: number | null
  /** Set when ok is false. */
  error?: FleetErrorClass
  /** Why it failed (one line). */
  message?: string
  hint?: string
}

/** Counts while a fleet runs: done (succeeded), failed, running and queued nodes. */
export interface FleetProgress {
  total: number
  done: number
  failed: number
  running: number
  queued: number
  elapsedMs: number
}

/** Nodes that gave identical output (and the same exit or error class), as clush -b / dshbak -c gather them. */
export interface FleetGroup {
  /** The nodes as a folded set: lab-ssh-[1-20,25]. */
  nodeset: string
  nodes: string[]
  ok: boolean
  exitCode: number | null
  error?: FleetErrorClass
  stdout: string
  stderr: string
}

/** The failures of one class, naming the nodes. */
export interface FleetErrorGroup {
  class: FleetErrorClass
  nodeset: string
  nodes: string[]
  /** The distinct messages (up to 3), each with the nodes that gave it. */
  messages: { message: string; nodeset: string; count: number }[]
  hint?: string
}

/** A fleet that could not run at all: bad arguments, a selector that matches no node, no cluster to ask. */
export class FleetError extends HintedError<'invalid' | 'select'> {
  override name = 'FleetError'
}

/** A finished fleet command as data (FleetResult adds groups() and errors()). */
export interface FleetResultData {
  /** The command, as run on every node. */
  argv: string[]
  /** Every node asked for, in order. */
  nodes: string[]
  /** One per node, in the order of nodes. */
  results: FleetNodeResult[]
  /** True when every node succeeded. */
  ok: boolean
  /** Why the fleet stopped early: the overall deadline, or an abort (Ctrl-C); undefined when every node finished. */
  stopped?: 'deadline' | 'aborted'
  durationMs: number
}

/** How a fleet's result prints (a table). */
export const FLEET_RESULT = new Presentation<FleetResultData>('FleetResult')
/** How .groups() prints (clush -b blocks). */
export const FLEET_GROUPS = new Presentation<FleetGroup[]>('FleetGroups')
/** How .errors() prints (one line per class). */
export const FLEET_ERRORS = new Presentation<FleetErrorGroup[]>('FleetErrors')
