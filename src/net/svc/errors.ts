// The error svcRules raises on purpose: bad arguments, no readable rules, unparseable tool output.
import { inspect } from 'node:util'

/** Why svcRules failed. */
export type SvcRulesErrorKind = 'invalid' | 'unavailable' | 'parse'

/** An expected svcRules failure: kind, message, hint, cause (like ExecError/KubeError). */
export class SvcRulesError extends Error {
  override name = 'SvcRulesError'
  constructor(
    public kind: SvcRulesErrorKind,
    message: string,
    public hint?: string,
    cause?: unknown,
  ) {
    super(message, cause === undefined ? undefined : { cause })
  }
  [inspect.custom](): string {
    return `${this.name} [${this.kind}] ${this.message}${this.hint ? `\n  hint: ${this.hint}` : ''}`
  }
}
