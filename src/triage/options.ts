// The arguments of `kinspect triage` and `.triage`: -n a,b | -A, --nodes, -o text|json. Pure; light to import.
import { received } from '../errors.ts'
import { isDnsLabel } from '../names.ts'
import { TriageError } from './errors.ts'

/** What the triage arguments ask for. */
export interface TriageArgs {
  /** Namespaces from -n (comma-separated, repeatable); absent: the session's. */
  namespaces?: string[]
  /** -A / --all-namespaces. */
  allNamespaces: boolean
  /** --nodes (true) / --no-nodes (false); absent: the config decides (triage.nodes). */
  nodes?: boolean
  format: 'text' | 'json'
  /** Common flags that may follow the subcommand. */
  context?: string
  kubeconfig?: string
}

const FLAGS = '[-n NS[,NS...] | -A] [--nodes] [-o json]'
/** The usage line: `kinspect triage …` on the command line, `.triage …` in the shell. */
export const triageUsage = (style: 'cli' | 'repl' = 'cli') =>
  `usage: ${style === 'cli' ? 'kinspect triage' : '.triage'} ${FLAGS}`

/** Splits and checks a -n value: one or more namespace names separated by commas. */
export function namespaceList(value: string, USAGE = triageUsage()): string[] {
  const names = value.split(',').map((s) => s.trim())
  for (const n of names) {
    if (!isDnsLabel(n))
      throw new TriageError(
        'usage',
        `-n: expected namespace names separated by commas (lowercase letters, digits and -), received ${received(n)}${names.length > 1 ? ` in ${received(value)}` : ''}`,
        USAGE,
      )
  }
  return [...new Set(names)]
}

/** Parses the words after `triage` (CLI) or `.triage` (REPL); `namespace` is a -n given before the subcommand. */
export function parseTriageArgs(
  args: readonly string[],
  namespace?: string,
  style: 'cli' | 'repl' = 'cli',
): TriageArgs {
  const USAGE = triageUsage(style)
  const out: TriageArgs = { allNamespaces: false, format: 'text' }
  const namespaces: string[] = namespace !== undefined ? namespaceList(namespace, USAGE) : []
  for (let i = 0; i < args.length; i++) {
    const a = args[i]
    const eq = a.startsWith('--') || /^-[no]=/.test(a) ? a.indexOf('=') : -1
    const flag = eq > 0 ? a.slice(0, eq) : a
    const value = () => {
      const v = eq > 0 ? a.slice(eq + 1) : args[++i]
      if (v === undefined || v === '' || (eq < 0 && v.startsWith('-')))
        throw new TriageError('usage', `${flag} needs a value`, USAGE)
      return v
    }
    if (flag === '-A' || flag === '--all-namespaces') out.allNamespaces = true
    else if (flag === '-n' || flag === '--namespace') namespaces.push(...namespaceList(value(), USAGE))
    else if (flag === '--nodes') out.nodes = true
    else if (flag === '--no-nodes') out.nodes = false
    else if (flag === '-o' || flag === '--output') {
      const v = value()
      if (v !== 'text' && v !== 'json')
        throw new TriageError('usage', `${flag}: expected text or json, received ${received(v)}`, USAGE)
      out.format = v
    } else if (flag === '--context') out.context = value()
    else if (flag === '--kubeconfig') out.kubeconfig = value()
    else
      throw new TriageError(
        'usage',
        `triage: unknown argument ${received(a)}; expected -n NS[,NS...], -A, --nodes, --no-nodes or -o json`,
        USAGE,
      )
  }
  if (out.allNamespaces && namespaces.length)
    throw new TriageError('usage', `triage: -A and -n ${namespaces.join(',')} cannot be combined`, USAGE)
  if (namespaces.length) out.namespaces = [...new Set(namespaces)]
  return out
}
