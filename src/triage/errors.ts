// TriageError: bad triage arguments (usage), a namespace that does not exist (notfound), and a triage that cannot
// start (unavailable).
import { HintedError } from '../errors.ts'

/** Why triage could not run: bad arguments, a namespace that does not exist, or nothing to look at. */
export class TriageError extends HintedError<'usage' | 'notfound' | 'unavailable'> {
  override name = 'TriageError'
}
