// Which inputs wait for the cluster client, the node transports and the result renderers (session.load() and the
// presenters) before they run. `1`, `Math.max(2, 3)` or `searchCandidates(…)` need none of them, so `kinspect -e 1`
// and a first pure input do not load them; anything that names a global which may reach the session, or a way to
// reach every global without naming it, waits (the loading is shared and happens once). Pure: text in, answer out.
import { lexLiterals } from '../jslex.ts'
import { GLOBALS } from './context.ts'

/** Names that reach the shell's globals without spelling them (the context object, code built from strings). */
const ESCAPES = ['globalThis', 'global', 'this', 'self', 'eval', 'Function', 'constructor', 'import', 'require', 'with']

/** Every global that may need the loaded session (all but the `pure` ones), and the escapes above. */
const GATED = new Set([...GLOBALS.filter((g) => !g.pure).map((g) => g.name), ...ESCAPES])

/** Whether code must wait for session.load() and the presenters: it names a gated identifier outside its literals. */
export function needsSession(code: string): boolean {
  const chars = code.split('') // UTF-16 units, as the literal offsets count
  for (const l of lexLiterals(code)) chars.fill(' ', l.cs, l.ce)
  const bare = chars.join('')
  // An escaped identifier (\u0070ods is pods) is not worth reading: wait.
  if (bare.includes('\\')) return true
  for (const m of bare.matchAll(/[\p{ID_Start}$_][\p{ID_Continue}$\u200c\u200d]*/gu)) if (GATED.has(m[0])) return true
  return false
}
