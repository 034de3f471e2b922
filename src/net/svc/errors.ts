// The error svcRules raises on purpose: bad arguments, no readable rules, unparseable tool output.
import { HintedError } from '../../errors.ts'

/** Why svcRules failed. */
export type SvcRulesErrorKind = 'invalid' | 'unavailable' | 'parse'

/** An expected svcRules failure: kind, message, hint, cause (like ExecError/KubeError). */
export class SvcRulesError extends HintedError<SvcRulesErrorKind> {
  override name = 'SvcRulesError'
}
