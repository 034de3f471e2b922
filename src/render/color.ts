// Terminal colours for the shell's own messages: plain ANSI codes, so start-up never loads chalk
// (the REPL's `chalk` global is zx's, loaded on first use).

/** A styling function: returns its text wrapped in ANSI codes, or unchanged when colour is off. */
export type Style = (text: string) => string

/** The styles the shell uses for its own messages. */
export interface Palette {
  enabled: boolean
  red: Style
  yellow: Style
  green: Style
  dim: Style
  bold: Style
  cyan: Style
}

const wrap =
  (open: number, close: number): Style =>
  (t) =>
    `\u001b[${open}m${t}\u001b[${close}m`
const plain: Style = (t) => t

/** Builds a palette; `enabled` false gives identity functions. */
export function palette(enabled: boolean): Palette {
  if (!enabled) return { enabled, red: plain, yellow: plain, green: plain, dim: plain, bold: plain, cyan: plain }
  return {
    enabled,
    red: wrap(31, 39),
    yellow: wrap(33, 39),
    green: wrap(32, 39),
    dim: wrap(2, 22),
    bold: wrap(1, 22),
    cyan: wrap(36, 39),
  }
}

/** Whether to colour a stream: NO_COLOR / FORCE_COLOR first, then whether it is a TTY. */
export function wantColor(
  stream: { isTTY?: boolean } | undefined,
  env: Record<string, string | undefined> = process.env,
): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false
  if (env.FORCE_COLOR !== undefined) return env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false'
  return stream?.isTTY === true && env.TERM !== 'dumb'
}

export { stripAnsi } from '../ansi.ts'
