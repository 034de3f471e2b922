// Why a node could not be reached, and the one question a recipe step asks of any error: did it fail to look
// (NOT SEEN: a transport, a permission or the API was missing) or did it look and find something wrong?
import { HintedError } from '../errors.ts'
import type { Transport } from '../config-access.ts'

/** Why one transport was not used for a node. */
export interface TransportAttempt {
  transport: Transport
  /** not-configured: nothing applies (no ssh entry/key, pods never); consent: not allowed to create a pod; failed: it was tried. */
  outcome: 'not-configured' | 'consent' | 'failed'
  /** One line: why. */
  reason: string
  hint?: string
  /** The error behind a failed try. */
  cause?: unknown
}

/** What went wrong reaching a node. */
export type NodeAccessErrorKind =
  | 'unreachable' // every transport was tried or skipped; attempts says why, one line each
  | 'consent' // a node pod was needed and not allowed (no way to ask, or the answer was no)
  | 'aborted' // the choice was interrupted (Ctrl-C)

/** A node no transport reached: one line per transport in the message, and in `attempts`. */
export class NodeAccessError extends HintedError<NodeAccessErrorKind> {
  override name = 'NodeAccessError'
  /** A check that meets this error could not look at the node: it saw nothing, it did not find a fault. */
  readonly notSeen = true
  constructor(
    kind: NodeAccessErrorKind,
    message: string,
    hint: string | undefined,
    cause: unknown,
    /** The node asked for. */
    public node: string,
    /** Each transport tried or skipped, in order. */
    public attempts: TransportAttempt[] = [],
  ) {
    super(kind, message, hint, cause)
  }
}

/** The error that lists each transport and why it did not reach the node, one line each. Pure. */
export function unreachable(node: string, attempts: TransportAttempt[], cause?: unknown): NodeAccessError {
  const lines = attempts.map((a) => `${a.transport}: ${a.reason}`)
  const hints = attempts.filter((a) => a.hint).map((a) => `${a.transport}: ${a.hint}`)
  const consent = attempts.some((a) => a.outcome === 'consent') && attempts.every((a) => a.outcome !== 'failed' || a.transport !== 'pod')
  const tried = attempts.map((a) => a.transport).join(', ') || 'none'
  return new NodeAccessError(consent ? 'consent' : 'unreachable', [`no transport reaches node ${node} (tried ${tried}):`, ...lines].join('\n'), hints.join('; ') || undefined, cause, node, attempts)
}

/** What a check could not see, and what would let it see. */
export interface NotSeen {
  reason: string
  /** What to grant or configure. */
  remedy?: string
}

/**
 * Tells "could not look" from "looked and failed" for any error a recipe step meets: a node no transport reaches,
 * a transport that could not connect or authenticate, the API refusing (forbidden) or not answering (timeout,
 * network). Returns undefined for everything else (a finding, a bug, a command that ran and failed). Pure.
 */
export function notSeen(e: unknown): NotSeen | undefined {
  if (!e || typeof e !== 'object') return undefined
  const x = e as { name?: string; kind?: string; message?: string; hint?: string; notSeen?: boolean }
  const msg = typeof x.message === 'string' ? x.message : String(e)
  if (x.notSeen === true) return { reason: msg, remedy: x.hint }
  if (x.name === 'ExecError' && ['connect', 'auth', 'hostkey'].includes(x.kind ?? '')) return { reason: msg, remedy: x.hint }
  if (x.name === 'NetError' && x.kind === 'unreachable') return { reason: msg, remedy: x.hint }
  if (x.name === 'KubeError' && ['forbidden', 'unauthorized', 'connection', 'tls'].includes(x.kind ?? '')) return { reason: msg, remedy: x.hint }
  if (x.name === 'NodePodError' && x.kind !== 'invalid') return { reason: msg, remedy: x.hint }
  return undefined
}
