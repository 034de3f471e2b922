// Why a node could not be reached. NodeAccessError says it is NOT SEEN material (`notSeen = true`); src/notseen.ts
// answers that question for every error.
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
  const consent =
    attempts.some((a) => a.outcome === 'consent') &&
    attempts.every((a) => a.outcome !== 'failed' || a.transport !== 'pod')
  const tried = attempts.map((a) => a.transport).join(', ') || 'none'
  return new NodeAccessError(
    consent ? 'consent' : 'unreachable',
    [`no transport reaches node ${node} (tried ${tried}):`, ...lines].join('\n'),
    hints.join('; ') || undefined,
    cause,
    node,
    attempts,
  )
}
