// The shell's own error class and the one place errors are turned into text for the user.
import { inspect, types } from 'node:util'
import { HintedError } from '../errors.ts'
import { palette } from '../render/color.ts'

/** Why a shell operation failed (bad command argument, missing feature, unknown context...). */
export type ShellErrorKind = 'usage' | 'invalid' | 'unavailable' | 'notfound'

/** An expected failure of the shell itself: kind, message, hint, cause (like ExecError/KubeError). */
export class ShellError extends HintedError<ShellErrorKind> {
  override name = 'ShellError'
}

/** An Error from any realm (code typed at the REPL runs in a vm context with its own Error). */
export function isErrorLike(err: unknown): err is Error {
  return (
    err instanceof Error ||
    types.isNativeError(err) ||
    (typeof err === 'object' &&
      err !== null &&
      typeof (err as Error).message === 'string' &&
      typeof (err as Error).stack === 'string')
  )
}

/** True for errors the helpers raise on purpose (they carry a `hint` field): printed without a stack. */
export function isExpected(err: unknown): err is Error & { hint?: string } {
  return isErrorLike(err) && 'hint' in err
}

/**
 * Frames of a stack that point at user code or kinspect, not at node internals; at most `max`. When the error went
 * through code typed at the shell (`REPL12:1:5` frames), what called that code is the shell itself, whatever file it
 * runs from (src/repl/ or the bundled dist/cli.cjs): only the frames up to the last REPL frame are kept.
 */
export function shortStack(err: Error, max = 4): string[] {
  let frames = (err.stack ?? '').split('\n').filter((l) => /^\s+at /.test(l))
  const isRepl = frames.map((l) => /[\s(]REPL\d*:\d+:\d+\)?$/.test(l))
  const lastRepl = isRepl.lastIndexOf(true)
  if (lastRepl >= 0) frames = frames.slice(0, lastRepl + 1)
  return frames
    .filter(
      (l) =>
        !/node:internal|node:domain|node:events|node:vm|node:repl|\(node:|node_modules\/tsx|[\\/]src[\\/]repl[\\/]|\[_onLine\]/.test(
          l,
        ),
    )
    .slice(0, max)
    .map((l) => l.trim())
}

/**
 * The text for an error: `error: message` (red) plus `hint: …` for expected errors; the message
 * and a short stack for unexpected ones. Ends with a newline.
 */
export function formatError(err: unknown, color = false): string {
  const c = palette(color)
  if (isExpected(err)) {
    const msg = err.message.split('\n')
    const lines = [c.red(`error: ${msg[0]}`), ...msg.slice(1).map((l) => `  ${l}`)]
    if (err.hint) lines.push(c.yellow(`hint: ${err.hint}`))
    return `${lines.join('\n')}\n`
  }
  if (isErrorLike(err)) {
    const stack = shortStack(err)
    return `${c.red(`error: ${err.name && err.name !== 'Error' ? `${err.name}: ` : ''}${err.message}`)}\n${stack.map((s) => c.dim(`    ${s}`)).join('\n')}${stack.length ? '\n' : ''}`
  }
  return `${c.red(`error: thrown ${inspect(err, { depth: 2, breakLength: Infinity })}`)}\n`
}
