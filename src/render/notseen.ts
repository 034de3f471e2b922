// NOT SEEN as text, the same in a recipe report and in kinspect triage: what could not be looked at and why, then
// what to grant or configure, under it. Pure.
import { palette } from './color.ts'

/** The parts of a NOT SEEN that print (src/notseen.ts makes them from an error). */
export interface NotSeenText {
  reason?: string
  grant?: string
  configure?: string
}

/** Options of renderNotSeen. */
export interface NotSeenRenderOptions {
  color?: boolean
  /** Put before every line (a recipe step's findings are indented by two). */
  indent?: string
}

const LABEL = 'NOT SEEN'

/**
 * "NOT SEEN what: reason" and, aligned under the reason, its further lines, "grant: …" and "configure: …":
 *
 *     NOT SEEN nodes: 403 Forbidden: nodes is forbidden: …
 *              grant: list nodes (cluster-wide) (check: kubectl auth can-i list nodes)
 */
export function renderNotSeen(what: string, n: NotSeenText, opts: NotSeenRenderOptions = {}): string {
  const c = palette(opts.color ?? false)
  const indent = opts.indent ?? ''
  const pad = `${indent}${' '.repeat(LABEL.length + 1)}`
  const [first, ...rest] = (n.reason ?? 'unknown').replace(/\s+$/, '').split('\n')
  const out = [`${indent}${c.yellow(LABEL)} ${what}: ${first}`, ...rest.map((l) => `${pad}${l}`)]
  if (n.grant) out.push(`${pad}${c.dim('grant:')} ${n.grant}`)
  if (n.configure) out.push(`${pad}${c.dim('configure:')} ${n.configure.replace(/\n/g, `\n${pad}           `)}`)
  return out.join('\n')
}
