// TriageError: bad triage arguments (usage) and a triage that cannot start (unavailable).
import { HintedError } from '../errors.ts'

/** Why triage could not run: bad arguments, or nothing to look at. */
export class TriageError extends HintedError<'usage' | 'unavailable'> {
  override name = 'TriageError'
}
