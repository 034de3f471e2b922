// `kinspect fleet` arguments (pure): which nodes, deadlines, fan-out, output, and the remote argv after `--`.
import { parseDuration } from '../recipes/params.ts'
import { expandNodes } from './nodeset.ts'
import { FleetError } from './types.ts'

/** What `kinspect fleet …` asks for. */
export interface FleetArgs {
  /** -l: a label selector; absent with node names, and for every node. */
  selector?: string
  /** NODE… (node sets expanded). */
  nodes?: string[]
  timeoutMs?: number
  deadlineMs?: number
  fanout?: number
  format: 'text' | 'json'
  /** -b: gather identical outputs (clush -b). */
  gather: boolean
  sudo: boolean
  /** -y/--yes: node pods (and a fleet's DaemonSet) are allowed without asking; set only when given. */
  yes?: boolean
  /** --dry-run: say how each node would be reached (SSH, a node pod, the fleet's DaemonSet) and run nothing. */
  dryRun?: boolean
  /** The remote command, as argv (never a shell string). */
  argv: string[]
  context?: string
  namespace?: string
  kubeconfig?: string
}

/** The usage of `kinspect fleet`. */
export function fleetUsage(prog = 'kinspect'): string {
  return `Usage: ${prog} fleet [-l SELECTOR | NODE...] [--timeout 5s] [--deadline 30s] [-f N] [-o json] [-b] [--sudo] [-y] [--dry-run] -- CMD [ARGS...]

Runs CMD ARGS on every chosen node at once (over SSH, or node pods where SSH does not apply: one DaemonSet for more
than fleet.daemonSetAbove nodes, default 10) and prints each node's output as "node: line".
  -l, --selector S  the nodes with these labels (kubectl's -l syntax); default every node of the cluster
  NODE...           these nodes instead; node sets are expanded: lab-ssh-[1-20,25]
  --timeout D       per node, from the moment its turn comes (default 30s, or fleet.timeout in .recipes)
  --deadline D      for the whole command, from its start: what has not finished is marked timeout and stopped
  -f, --fanout N    nodes in flight at once (default 64, or fleet.fanout in .recipes)
  -b, --gather      gather identical outputs under their node set, as clush -b does
  -o json           one JSON document: every node's result, the groups and the failures by class
  --sudo            run CMD as root (sudo -n) where the login user is not root
  -y, --yes         allow node pods and the fleet's DaemonSet for this run without asking
  --dry-run         say how each node would be reached (SSH, node pod, DaemonSet) and run nothing
The argv after -- is the remote argv, each word one argument; for a pipeline use: -- sh -c 'CMD | CMD'.
Exit: 0 every node succeeded, 1 some failed (named on stderr), 2 the command could not run, 130 interrupted.
`
}

const VALUE = new Set([
  '-l',
  '--selector',
  '--timeout',
  '--deadline',
  '-f',
  '--fanout',
  '-o',
  '--output',
  '--context',
  '-n',
  '--namespace',
  '--kubeconfig',
])

function duration(flag: string, v: string): number {
  const secs = parseDuration(v)
  if (typeof secs !== 'number' || !(secs > 0))
    throw new FleetError('invalid', `${flag}: expected a duration like 5s, 500ms or 2m, received ${JSON.stringify(v)}`)
  return secs * 1000
}

/** Parses the arguments after `fleet`; throws FleetError naming the bad flag. Pure. */
export function parseFleetArgs(argv: readonly string[]): FleetArgs {
  const out: FleetArgs = { format: 'text', gather: false, sudo: false, argv: [] }
  const names: string[] = []
  const seen = new Set<string>()
  let i = 0
  for (; i < argv.length; i++) {
    const a = argv[i]
    if (a === '--') break
    const eq = a.startsWith('--') ? a.indexOf('=') : -1
    const flag = eq > 0 ? a.slice(0, eq) : a
    if (VALUE.has(flag)) {
      const v = eq > 0 ? a.slice(eq + 1) : argv[++i]
      if (v === undefined || v === '' || (eq < 0 && v.startsWith('-') && v.length > 1))
        throw new FleetError('invalid', `${flag} needs a value`, fleetUsage().split('\n')[0])
      const key =
        flag === '--selector'
          ? '-l'
          : flag === '--fanout'
            ? '-f'
            : flag === '--output'
              ? '-o'
              : flag === '--namespace'
                ? '-n'
                : flag
      if (seen.has(key)) throw new FleetError('invalid', `${flag} given twice`)
      seen.add(key)
      switch (key) {
        case '-l':
          out.selector = v
          break
        case '--timeout':
          out.timeoutMs = duration(flag, v)
          break
        case '--deadline':
          out.deadlineMs = duration(flag, v)
          break
        case '-f':
          if (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) > 10_000)
            throw new FleetError(
              'invalid',
              `${flag}: expected a whole number from 1 to 10000 (nodes at once), received ${JSON.stringify(v)}`,
            )
          out.fanout = Number(v)
          break
        case '-o':
          if (v !== 'json' && v !== 'text')
            throw new FleetError('invalid', `${flag}: expected json or text, received ${JSON.stringify(v)}`)
          out.format = v
          break
        case '--context':
          out.context = v
          break
        case '-n':
          out.namespace = v
          break
        case '--kubeconfig':
          out.kubeconfig = v
          break
      }
      continue
    }
    if (a === '-b' || a === '--gather') out.gather = true
    else if (a === '--sudo') out.sudo = true
    else if (a === '-y' || a === '--yes') out.yes = true
    else if (a === '--dry-run') out.dryRun = true
    else if (a.startsWith('-'))
      throw new FleetError(
        'invalid',
        `unknown flag ${flag} (the command goes after --)`,
        `${fleetUsage().split('\n')[0]}`,
      )
    else names.push(a)
  }
  out.argv = argv.slice(i + 1)
  if (i >= argv.length || out.argv.length === 0) {
    throw new FleetError(
      'invalid',
      `fleet: expected the command after --, received ${i >= argv.length ? 'no --' : 'nothing after --'}`,
      `e.g. kinspect fleet -l node-role.kubernetes.io/worker -- uptime`,
    )
  }
  if (out.argv[0] === '') throw new FleetError('invalid', 'fleet: the command name after -- is empty')
  if (names.length && out.selector !== undefined)
    throw new FleetError(
      'invalid',
      `fleet: give either -l ${out.selector} or node names (${names.join(' ')}), not both`,
    )
  if (names.length) out.nodes = [...new Set(names.flatMap((n) => expandNodes(n)))]
  return out
}
