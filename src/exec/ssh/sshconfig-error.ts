// The error of an ssh config that cannot be used (its own module, so every part of the resolver can throw it).
import { HintedError } from '../../errors.ts'

/** A config file that cannot be used; names the file and line. */
export class SshConfigError extends HintedError<'invalid' | 'unreadable'> {
  override name = 'SshConfigError'
  constructor(message: string, hint?: string, kind: 'invalid' | 'unreadable' = 'invalid', cause?: unknown) {
    super(kind, message, hint, cause)
  }
}
