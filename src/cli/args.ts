// The command line of kinspect / kubectl-inspect (pure): global flags anywhere, as kubectl takes them, then each
// subcommand's own arguments. One scanner serves parsing and completion (src/cli/complete.ts).
import { ShellError } from '../repl/errors.ts'
import { parseParamFlags, takeRunFlags, type RecipeRunOptions } from '../repl/recipes.ts'
import { parseTriageArgs, type TriageArgs } from '../triage/options.ts'
import { parseFleetArgs, type FleetArgs } from '../fleet/args.ts'

/** Flags every mode shares. */
export interface CommonFlags {
  context?: string
  namespace?: string
  kubeconfig?: string
  /** --yes: node pods (and a recipe's changes) are allowed for this run without asking. */
  yes?: boolean
}

/** The subcommands (a first word that is none of these is a FILE for the shell). */
export const SUBCOMMANDS = ['run', 'recipes', 'triage', 'gc', 'fleet', 'completion'] as const
/** One subcommand. */
export type Subcommand = (typeof SUBCOMMANDS)[number]
const isSubcommand = (w: string): w is Subcommand => (SUBCOMMANDS as readonly string[]).includes(w)

/** One global flag: accepted before or after the subcommand and among recipe parameters, until `--`. */
export interface GlobalFlag {
  names: readonly string[]
  key: keyof CommonFlags
  /** The value's placeholder; absent for a switch. */
  value?: string
  /** What completes its value (completion). */
  complete?: 'namespace' | 'context' | 'file'
}

/** The global flags (usage, parsing and completion all read this list). */
export const GLOBAL_FLAGS: readonly GlobalFlag[] = [
  { names: ['-n', '--namespace'], key: 'namespace', value: 'NS', complete: 'namespace' },
  { names: ['--context'], key: 'context', value: 'C', complete: 'context' },
  { names: ['--kubeconfig'], key: 'kubeconfig', value: 'FILE', complete: 'file' },
  { names: ['-y', '--yes'], key: 'yes' },
]

/** Each subcommand's own flags: switches, and flags that take a value (run: every --name takes one). */
export const SUBCOMMAND_FLAGS: Record<Subcommand, { switches: readonly string[]; values: readonly string[] }> = {
  run: { switches: ['--teach', '--dry-run', '--follow'], values: ['-o', '--output'] },
  recipes: { switches: [], values: [] },
  triage: { switches: ['-A', '--all-namespaces', '--nodes', '--no-nodes'], values: ['-o', '--output'] },
  gc: { switches: ['--dry-run'], values: [] },
  fleet: {
    switches: ['-b', '--gather', '--sudo'],
    values: ['-l', '--selector', '--timeout', '--deadline', '-f', '--fanout', '-o', '--output'],
  },
  completion: { switches: [], values: [] },
}
/** The shell's own flags (before any subcommand). */
export const SHELL_FLAGS = { switches: ['-V', '--version'], values: ['-e', '--eval'] } as const

/** What the command line asks for. */
export type CliCommand =
  | { kind: 'help'; topic?: Subcommand }
  | ({ kind: 'recipe-help'; name: string } & CommonFlags)
  | { kind: 'version' }
  | ({ kind: 'repl' } & CommonFlags)
  | ({ kind: 'eval'; expr: string } & CommonFlags)
  | ({ kind: 'script'; file: string } & CommonFlags)
  | ({ kind: 'notebook'; file: string } & CommonFlags)
  | ({ kind: 'run'; name: string; params: Record<string, string> } & RecipeRunOptions & CommonFlags)
  | ({ kind: 'recipes' } & CommonFlags)
  | ({ kind: 'triage' } & Omit<TriageArgs, 'context' | 'kubeconfig'> & CommonFlags)
  | ({ kind: 'gc'; dryRun?: boolean } & CommonFlags)
  | ({ kind: 'fleet' } & FleetArgs & CommonFlags)
  | { kind: 'completion'; shell: 'bash' | 'zsh' }
  | { kind: 'complete'; words: string[] }

/** A command line split into global flags, the subcommand and its own words. */
export interface Scan {
  context?: string
  kubeconfig?: string
  yes?: boolean
  /** Every -n value, in order (triage takes several; the others one). */
  namespaces: string[]
  expr?: string
  help: boolean
  version: boolean
  sub?: Subcommand
  /** run's recipe name. */
  recipe?: string
  /** Words before the subcommand (or of the shell) that are no global flag: FILEs and unknown flags. */
  shell: string[]
  /** -o/--output FORMAT given before the subcommand (run, triage and fleet take it there too, as kubectl does). */
  output: string[]
  /** The subcommand's own words, global flags taken out, up to `--`. */
  rest: string[]
  /** The words after `--`, untouched (fleet: the remote argv; run: recipe parameters only). */
  dash?: string[]
  /** Lenient scans: the flag whose value the command line ends waiting for. */
  pending?: string
}

const VALUE_OK = (v: string) => !v.startsWith('-') || v === '-' || /^-\d/.test(v)

function globalFlag(name: string): GlobalFlag | undefined {
  return GLOBAL_FLAGS.find((g) => g.names.includes(name))
}

function subTakesValue(sub: Subcommand, flag: string): boolean {
  const f = SUBCOMMAND_FLAGS[sub]
  if (f.values.includes(flag)) return true
  return sub === 'run' && /^--[A-Za-z_][\w.-]*$/.test(flag) && !f.switches.includes(flag) && flag !== '--yes'
}

/**
 * Splits argv into global flags and the subcommand's words. Global flags (-n/--namespace, --context, --kubeconfig,
 * -y/--yes, and --flag=value forms) are taken anywhere before `--`; -h/--help too. Throws ShellError('usage')
 * naming the flag, unless `lenient` (completion), which records the flag left waiting for its value instead.
 */
export function scanArgs(argv: readonly string[], lenient = false): Scan {
  const s: Scan = { namespaces: [], help: false, version: false, shell: [], output: [], rest: [] }
  const fail = (message: string, hint?: string) => {
    if (!lenient) throw new ShellError('usage', message, hint)
  }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (a === '--') {
      s.dash = argv.slice(i + 1)
      break
    }
    if (a === '-h' || a === '--help') {
      s.help = true
      continue
    }
    const eq = a.startsWith('--') || /^-[a-z]=/.test(a) ? a.indexOf('=') : -1
    const name = eq > 0 ? a.slice(0, eq) : a
    const g = globalFlag(name)
    const shellFlag = !s.sub && (SHELL_FLAGS.values as readonly string[]).includes(name)
    if (g || shellFlag) {
      if (g && !g.value) {
        if (eq > 0) fail(`flag ${name} takes no value, received ${a}`)
        s.yes = true
        continue
      }
      let value: string | undefined
      if (eq > 0) value = a.slice(eq + 1)
      else if (i + 1 >= argv.length) {
        if (lenient) s.pending = name
        fail(`flag ${name} needs a value`, `usage: ${name} ${g?.value ?? 'EXPR'}`)
        continue
      } else if (!shellFlag && !VALUE_OK(argv[i + 1])) {
        fail(`flag ${name} needs a value, received the flag ${argv[i + 1]}`, `usage: ${name} ${g?.value}`)
        continue
      } else value = argv[++i]
      if (value === '') fail(`flag ${name} needs a non-empty value`)
      if (!g) {
        if (s.expr !== undefined) fail(`flag ${name} given twice`)
        s.expr = value
      } else if (g.key === 'namespace') s.namespaces.push(value)
      else {
        if (s[g.key] !== undefined) fail(`flag ${name} given twice`)
        s[g.key as 'context' | 'kubeconfig'] = value
      }
      continue
    }
    if (!s.sub && (name === '-o' || name === '--output')) {
      s.output.push(a)
      if (eq < 0 && i + 1 < argv.length && VALUE_OK(argv[i + 1])) s.output.push(argv[++i])
      else if (eq < 0 && i + 1 >= argv.length && lenient) s.pending = a
      continue
    }
    if (!s.sub) {
      if (a === '-V' || a === '--version') s.version = true
      else if (isSubcommand(a) && s.shell.every((w) => w.startsWith('-'))) s.sub = a
      else s.shell.push(a)
      continue
    }
    if (s.sub === 'run' && s.recipe === undefined && !a.startsWith('-')) {
      s.recipe = a
      continue
    }
    s.rest.push(a)
    if (eq < 0 && a.startsWith('-') && subTakesValue(s.sub, a)) {
      if (i + 1 >= argv.length) {
        if (lenient) s.pending = a
      } else if (VALUE_OK(argv[i + 1])) s.rest.push(argv[++i])
    }
  }
  return s
}

/** The subcommand argv names, if any (for the usage printed with an error); never throws. */
export function subcommandOf(argv: readonly string[]): Subcommand | undefined {
  return scanArgs(argv, true).sub
}

const usageError = (message: string, hint?: string) => new ShellError('usage', message, hint)

/** Parses argv (without node and the script); throws a usage error naming the bad flag. Pure. */
export function parseArgs(argv: readonly string[]): CliCommand {
  // The completion scripts call `kinspect __complete WORDS...`: the words are the user's, not ours to parse.
  if (argv[0] === '__complete') return { kind: 'complete', words: argv.slice(1) }
  const s = scanArgs(argv)
  const { sub, expr } = s
  if (s.help)
    return sub === 'run' && s.recipe !== undefined
      ? { kind: 'recipe-help', name: s.recipe, ...common(s, true) }
      : sub
        ? { kind: 'help', topic: sub }
        : { kind: 'help' }
  if (s.version) return { kind: 'version' }
  if (sub) {
    if (s.output.length) {
      if (sub !== 'run' && sub !== 'triage' && sub !== 'fleet')
        throw usageError(`${s.output[0].replace(/=.*/, '')} goes with run, triage or fleet, not ${sub}`)
      s.rest.unshift(...s.output)
    }
    const stray = s.shell[0]
    if (stray === '--dry-run')
      throw usageError(
        '--dry-run goes with gc, or after the recipe name of run',
        'e.g. kinspect gc --dry-run, kinspect run dns --dry-run',
      )
    if (stray !== undefined)
      throw usageError(
        `unknown flag ${stray.replace(/=.*/, '')} before ${sub}`,
        `kinspect ${sub} --help lists its flags`,
      )
    if (expr !== undefined) throw usageError(`-e cannot be combined with ${sub}`)
  }
  if (sub !== 'run' && sub !== 'fleet' && s.dash !== undefined) {
    if (sub) throw usageError(`${sub} takes nothing after --, received ${s.dash.join(' ') || 'nothing'}`)
    s.shell.push(...s.dash)
  }
  switch (sub) {
    case 'run': {
      if (s.recipe === undefined)
        throw usageError('run needs a recipe name', 'usage: kinspect run NAME [--param value]...')
      const { options, rest } = takeRunFlags(s.rest)
      const params = { ...parseParamFlags(rest), ...parseParamFlags(s.dash ?? []) }
      const c = common(s, true)
      return { kind: 'run', name: s.recipe, params, ...options, ...c, ...(options.yes || c.yes ? { yes: true } : {}) }
    }
    case 'gc':
      if (s.rest.some((w) => w !== '--dry-run'))
        throw usageError(
          `gc takes only --dry-run, received ${s.rest.filter((w) => w !== '--dry-run').join(' ')}`,
          'usage: kinspect gc [--dry-run]',
        )
      return { kind: 'gc', ...(s.rest.length ? { dryRun: true } : {}), ...common(s, true) }
    case 'triage': {
      const t = parseTriageArgs(s.rest, s.namespaces.length ? s.namespaces.join(',') : undefined)
      const { context, kubeconfig, ...rest } = t
      const c = common(s, false)
      return {
        kind: 'triage',
        ...rest,
        ...(c.yes ? { yes: true } : {}),
        context: context ?? c.context,
        kubeconfig: kubeconfig ?? c.kubeconfig,
        namespace: t.namespaces?.[0],
      }
    }
    case 'fleet':
      return {
        ...common(s, true),
        ...parseFleetArgs(s.dash === undefined ? s.rest : [...s.rest, '--', ...s.dash]),
        kind: 'fleet',
      }
    case 'recipes':
      if (s.rest.length)
        throw usageError(`recipes takes no arguments, received ${s.rest.join(' ')}`, 'usage: kinspect recipes')
      return { kind: 'recipes', ...common(s, true) }
    case 'completion': {
      const [shell, ...more] = s.rest
      if ((shell !== 'bash' && shell !== 'zsh') || more.length)
        throw usageError(
          `completion: expected bash or zsh, received ${s.rest.length ? s.rest.join(' ') : 'nothing'}`,
          'usage: kinspect completion bash|zsh',
        )
      return { kind: 'completion', shell }
    }
  }
  if (s.output.length)
    throw usageError(`${s.output[0].replace(/=.*/, '')} goes with run, triage or fleet`, 'e.g. kinspect -o json triage')
  const flag = s.shell.find((w) => w.startsWith('-') && w !== '-')
  if (flag === '--dry-run')
    throw usageError(
      '--dry-run goes with gc, or after the recipe name of run',
      'e.g. kinspect gc --dry-run, kinspect run dns --dry-run',
    )
  if (flag !== undefined) throw usageError(`unknown flag ${flag.replace(/=.*/, '')}`, 'kinspect --help lists the flags')
  const c = common(s, true)
  if (s.shell.length > 1) throw usageError(`expected at most one FILE, received ${s.shell.join(' ')}`)
  const first = s.shell[0]
  if (first !== undefined) {
    if (expr !== undefined) throw usageError(`-e and FILE (${first}) cannot be combined`)
    if (/\.(md|markdown)$/i.test(first)) return { kind: 'notebook', file: first, ...c }
    if (/\.(mjs|js)$/i.test(first)) return { kind: 'script', file: first, ...c }
    throw usageError(
      `FILE must be a .mjs/.js script or a .md notebook, received ${first}`,
      `subcommands: ${SUBCOMMANDS.join(', ')}`,
    )
  }
  if (expr !== undefined) return { kind: 'eval', expr, ...c }
  return { kind: 'repl', ...c }
}

/** The global flags of a scan as CommonFlags (only those given); `single`: -n at most once. */
function common(s: Scan, single: boolean): CommonFlags {
  if (single && s.namespaces.length > 1)
    throw usageError(`flag -n given twice (${s.namespaces.join(', ')})`, 'give one namespace')
  return {
    ...(s.context !== undefined ? { context: s.context } : {}),
    ...(s.namespaces.length ? { namespace: s.namespaces[0] } : {}),
    ...(s.kubeconfig !== undefined ? { kubeconfig: s.kubeconfig } : {}),
    ...(s.yes ? { yes: true } : {}),
  }
}
