// The shared shape of kinspect's expected failures: kind, message, hint, cause (as ExecError and KubeError).
import { inspect } from 'node:util'

/** An expected failure with a machine-readable kind and a hint for the user; printed without a stack. */
export class HintedError<K extends string = string> extends Error {
  override name = 'HintedError'
  constructor(
    public kind: K,
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
