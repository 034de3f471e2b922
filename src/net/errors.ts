// NetError: why a network helper could not answer (same shape as ExecError/KubeError: kind, message, hint, cause).
import { HintedError } from '../errors.ts'

/** Why a network helper failed. */
export type NetErrorKind =
  | 'invalid' // bad argument (validated before anything runs)
  | 'notfound' // the pod does not exist
  | 'hostnetwork' // the pod uses the node's network namespace
  | 'unscheduled' // the pod has no node yet
  | 'notrunning' // the pod finished or has no sandbox
  | 'unreachable' // no transport (SSH, node pod) reached the node
  | 'nopid' // no discovery method found a process of the pod
  | 'tool' // a required tool is missing on the node or failed
  | 'parse' // a tool printed something we could not read

/** One try of a discovery method, for error messages and handle.attempts. */
export interface MethodAttempt {
  method: string
  ok: boolean
  /** What was run or checked, e.g. "crictl inspect 27c12e64f29d". */
  what: string
  /** Why it failed, or what it found. */
  detail: string
}

/** A failed network helper: kind, message, hint, cause, and the attempts made when discovery failed. */
export class NetError extends HintedError<NetErrorKind> {
  override name = 'NetError'
  constructor(
    kind: NetErrorKind,
    message: string,
    hint?: string,
    cause?: unknown,
    public attempts?: MethodAttempt[],
  ) {
    super(kind, message, hint, cause)
  }
}
