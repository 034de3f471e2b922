// The kinspect / kubectl-inspect command: argument parsing (pure) and main(), which starts the shell.
// Start-up path: only node built-ins are imported here; config, session and REPL load on demand.
import fs from 'node:fs'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { ShellError, formatError } from './repl/errors.ts'
import { parseParamFlags, recipesPort, takeRunFlags, type RecipeRunOptions } from './repl/recipes.ts'
import { palette, wantColor } from './render/color.ts'
import type { Session } from './session.ts'
import { parseTriageArgs, type TriageArgs } from './triage/options.ts'
import type { CliAccess } from './cli-access.ts'
import { fleetUsage, parseFleetArgs, type FleetArgs } from './fleet/args.ts'

/** Flags every mode shares. */
export interface CommonFlags {
  context?: string
  namespace?: string
  kubeconfig?: string
  /** --yes: node pods (and a recipe's changes) are allowed for this run without asking. */
  yes?: boolean
}

/** What the command line asks for. */
export type CliCommand =
  | { kind: 'help' }
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
  | { kind: 'fleet-help' }

/** The usage text; `prog` is "kinspect" or "kubectl inspect". */
export function usage(prog = 'kinspect'): string {
  return `Usage:
  ${prog} [--context C] [-n|--namespace NS] [--kubeconfig F] [-e EXPR] [FILE.mjs|FILE.md]
  ${prog} run NAME [--param value]...
  ${prog} recipes
  ${prog} triage [-n NS[,NS...] | -A] [--nodes] [-o json]
  ${prog} gc [--dry-run]
  ${prog} fleet [-l SELECTOR | NODE...] [--timeout 5s] [--deadline 30s] [-f N] [-o json] [-b] -- CMD ARGS...
  ${prog} --help | --version

An investigation shell for Kubernetes: the API, the nodes (SSH or a node pod) and pod network namespaces.
  (no arguments)   start the shell; the prompt is CONTEXT:NAMESPACE>, .help lists commands and globals
  -e EXPR          evaluate one expression with the shell's globals and print the result
  FILE.mjs         run a zx-style script with the shell's globals
  FILE.md          run the js blocks of a notebook written by .save, in order
  run NAME         run a recipe (a name, or a path to a .md recipe) with --param value parameters;
                   --teach explains each step and waits for Enter, --dry-run prints the plan and runs
                   nothing, --yes applies changes without asking, -o json prints the report as JSON,
                   --follow then runs the recipe each failing finding names as its next step;
                   exit 0: nothing failed, 1: a finding failed, 2: the recipe could not run
  recipes          list the recipes (shipped, and the config's recipeDirs) with their parameters
  triage           what is wrong in the namespace (-n a,b: those; -A: all), ranked, each problem with the
                   recipe to run next; --nodes also reads conntrack and kube-proxy rules over SSH;
                   exit 0: nothing wrong, 1: problems, 2: could not look (what was not seen is listed)
  gc               list kinspect's node pods in the cluster and delete leftovers (pods of sessions that no
                   longer run, or past their deadline); --dry-run only lists; exit 0 done, 1 a pod could
                   not be deleted, 2 the pods could not be listed
  -y, --yes        allow node pods (privileged pods that reach a node without SSH) for this run without
                   asking; with run, also apply the recipe's changes
  fleet            run one command on many nodes at once; ${prog} fleet --help explains it
  --context C      kubeconfig context (default: the config's, then the kubeconfig's current-context)
  -n, --namespace  namespace (default: the config's, then the context's, then "default")
  --kubeconfig F   use this kubeconfig file alone (default: $KUBECONFIG, then ~/.kube/config)

Environment: KUBECONFIG, KINSPECT_CONFIG (the .recipes config file), KINSPECT_HISTORY,
KINSPECT_SSH_CONFIG, KINSPECT_KNOWN_HOSTS, NO_COLOR. Installed as kubectl-inspect too: kubectl inspect.
`
}

const VALUE_FLAGS: Record<string, 'context' | 'namespace' | 'kubeconfig' | 'expr'> = {
  '--context': 'context',
  '-n': 'namespace',
  '--namespace': 'namespace',
  '--kubeconfig': 'kubeconfig',
  '-e': 'expr',
  '--eval': 'expr',
}

/** Parses argv (without node and the script); throws ShellError('usage') naming the bad flag. Pure. */
export function parseArgs(argv: readonly string[]): CliCommand {
  const flags: CommonFlags & { expr?: string; dryRun?: boolean } = {}
  const positional: string[] = []
  let i = 0
  for (; i < argv.length; i++) {
    const a = argv[i]
    if (a === '--') {
      positional.push(...argv.slice(i + 1))
      break
    }
    if (a === '-h' || a === '--help') return { kind: 'help' }
    if (a === '-V' || a === '--version') return { kind: 'version' }
    if (a === '-y' || a === '--yes' || a === '--dry-run') {
      if (a === '--dry-run') flags.dryRun = true
      else flags.yes = true
      continue
    }
    const eq = a.startsWith('--') ? a.indexOf('=') : -1
    const name = eq > 0 ? a.slice(0, eq) : a
    const key = VALUE_FLAGS[name]
    if (key) {
      const value = eq > 0 ? a.slice(eq + 1) : argv[++i]
      if (value === undefined || (eq < 0 && value.startsWith('-') && key !== 'expr')) throw new ShellError('usage', `flag ${name} needs a value`, `usage: ${name} ${key === 'expr' ? 'EXPR' : key.toUpperCase()}`)
      if (value === '') throw new ShellError('usage', `flag ${name} needs a non-empty value`)
      if (flags[key] !== undefined) throw new ShellError('usage', `flag ${name} given twice`)
      flags[key] = value
      continue
    }
    if (a.startsWith('-') && a !== '-') throw new ShellError('usage', `unknown flag ${name}`, 'kinspect --help lists the flags')
    positional.push(a)
    // `run NAME --param v`: everything after NAME belongs to the recipe; everything after `fleet` to the fleet.
    if ((positional[0] === 'run' && positional.length === 2) || positional[0] === 'fleet') {
      i++
      break
    }
    // `triage -n a,b -A --nodes -o json`: triage parses its own flags.
    if (positional[0] === 'triage') {
      i++
      break
    }
  }
  const { expr, dryRun, ...common } = flags
  const [first, ...rest] = positional
  if (dryRun && first !== 'gc') throw new ShellError('usage', '--dry-run goes with gc, or after the recipe name of run', 'e.g. kinspect gc --dry-run, kinspect run dns --dry-run')
  if (first === 'run') {
    if (expr !== undefined) throw new ShellError('usage', '-e cannot be combined with run')
    const name = rest[0]
    if (!name) throw new ShellError('usage', 'run needs a recipe name', 'usage: kinspect run NAME [--param value]...')
    const { options, rest: paramArgs } = takeRunFlags(argv.slice(i))
    const yes = options.yes || common.yes ? { yes: true } : {}
    return { kind: 'run', name, params: parseParamFlags(paramArgs), ...options, ...common, ...yes }
  }
  if (first === 'gc') {
    if (rest.length || expr !== undefined) throw new ShellError('usage', `gc takes only --dry-run, received ${[...rest, ...(expr !== undefined ? ['-e'] : [])].join(' ')}`, 'usage: kinspect gc [--dry-run]')
    return { kind: 'gc', ...(dryRun ? { dryRun } : {}), ...common }
  }
  if (first === 'triage') {
    if (expr !== undefined) throw new ShellError('usage', '-e cannot be combined with triage')
    const t = parseTriageArgs(argv.slice(i), common.namespace)
    const { context, kubeconfig, ...rest } = t
    return { kind: 'triage', ...rest, context: context ?? common.context, kubeconfig: kubeconfig ?? common.kubeconfig, namespace: t.namespaces?.[0] }
  }
  if (first === 'fleet') {
    if (expr !== undefined) throw new ShellError('usage', '-e cannot be combined with fleet')
    const rest = argv.slice(i)
    const dash = rest.indexOf('--')
    if ((dash < 0 ? rest : rest.slice(0, dash)).some((a) => a === '-h' || a === '--help')) return { kind: 'fleet-help' }
    return { ...common, ...parseFleetArgs(rest), kind: 'fleet' }
  }
  if (first === 'recipes') {
    if (rest.length || expr !== undefined) throw new ShellError('usage', `recipes takes no arguments, received ${[...rest, ...(expr !== undefined ? ['-e'] : [])].join(' ')}`)
    return { kind: 'recipes', ...common }
  }
  if (positional.length > 1) throw new ShellError('usage', `expected at most one FILE, received ${positional.join(' ')}`)
  if (first !== undefined) {
    if (expr !== undefined) throw new ShellError('usage', `-e and FILE (${first}) cannot be combined`)
    if (/\.(md|markdown)$/i.test(first)) return { kind: 'notebook', file: first, ...common }
    if (/\.(mjs|js)$/i.test(first)) return { kind: 'script', file: first, ...common }
    throw new ShellError('usage', `FILE must be a .mjs/.js script or a .md notebook, received ${first}`, 'subcommands: run, recipes')
  }
  if (expr !== undefined) return { kind: 'eval', expr, ...common }
  return { kind: 'repl', ...common }
}

/** Streams and environment of one run (tests pass their own). */
export interface CliIO {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean }
  stdout: NodeJS.WritableStream & { isTTY?: boolean }
  stderr: NodeJS.WritableStream & { isTTY?: boolean }
  env: Record<string, string | undefined>
  cwd: string
  /** Program name for messages: "kinspect" or "kubectl inspect". */
  prog?: string
}

function version(): string {
  const pkg = JSON.parse(fs.readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
  return pkg.version
}

/** Runs kinspect with argv; resolves to the exit code (2 for bad usage, 1 for a failure). */
export async function main(argv: readonly string[], io: CliIO = { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() }): Promise<number> {
  const prog = io.prog ?? (/kubectl-inspect/.test(process.argv[1] ?? '') ? 'kubectl inspect' : 'kinspect')
  const errColor = wantColor(io.stderr, io.env)
  let cmd: CliCommand
  try {
    cmd = parseArgs(argv)
  } catch (e) {
    io.stderr.write(`${prog}: ${(e as Error).message}\n${(e as ShellError).hint && !/^usage:/.test((e as ShellError).hint!) ? `hint: ${(e as ShellError).hint}\n` : ''}\n${usage(prog)}`)
    return 2
  }
  if (cmd.kind === 'help') {
    io.stdout.write(usage(prog))
    return 0
  }
  if (cmd.kind === 'fleet-help') {
    io.stdout.write(fleetUsage(prog))
    return 0
  }
  if (cmd.kind === 'version') {
    io.stdout.write(`kinspect ${version()}\n`)
    return 0
  }

  const [{ loadConfig }, sessionMod] = await Promise.all([import('./config.ts'), import('./session.ts')])
  let session: Session
  try {
    const config = loadConfig({ cwd: io.cwd, env: io.env })
    session = await sessionMod.Session.create({ context: cmd.context, namespace: cmd.namespace, kubeconfig: cmd.kubeconfig, config, env: io.env })
  } catch (e) {
    io.stderr.write(formatError(e, errColor))
    return cmd.kind === 'run' || cmd.kind === 'triage' || cmd.kind === 'fleet' ? 2 : 1
  }
  const { setupCliAccess, endSession, runGc } = await import('./cli-access.ts')
  const access = await setupCliAccess(session, cmd.kind, { yes: cmd.yes, io, color: errColor, prog })
  let code: number
  try {
    code = cmd.kind === 'gc' ? await runGc(session, { dryRun: cmd.dryRun, stdout: io.stdout, stderr: io.stderr, color: wantColor(io.stdout, io.env), errColor }) : await runCommand(cmd, session, io, errColor, access)
  } catch (e) {
    io.stderr.write(formatError(e, errColor))
    code = 1
  } finally {
    await endSession(session, io.stderr, errColor)
    access.dispose()
  }
  // SIGINT/SIGTERM/SIGHUP: the handler exits with its code after the same cleanup; say the same here.
  return access.signals.ending ? ({ SIGINT: 130, SIGTERM: 143, SIGHUP: 129 }[access.signals.ending] ?? code) : code
}

async function runCommand(cmd: Exclude<CliCommand, { kind: 'help' | 'version' | 'gc' | 'fleet-help' }>, session: Session, io: CliIO, errColor: boolean, access: CliAccess): Promise<number> {
  const { startRepl, headlessShell } = await import('./repl/index.ts')
  const recipes = recipesPort(headlessShell)
  const color = wantColor(io.stdout, io.env)
  const headless = () => startRepl({ input: io.stdin, output: io.stdout, errorOutput: io.stderr, session, headless: true, recipes, color })
  switch (cmd.kind) {
    case 'repl': {
      const { historyPath } = await import('./repl/history.ts')
      const terminal = io.stdin.isTTY === true && io.stdout.isTTY === true
      const shell = startRepl({ input: io.stdin, output: io.stdout, session, recipes, terminal, history: terminal ? historyPath(io.env) : false, color })
      access.repl = shell
      await shell.closed
      return 0
    }
    case 'eval': {
      const shell = headless()
      const r = await shell.evaluate(awaitExpression(cmd.expr))
      shell.close()
      return r.ok ? 0 : 1
    }
    case 'notebook': {
      // A notebook with recipe front matter is a recipe: run it as one (params, finding(), the report).
      const file = path.resolve(io.cwd, cmd.file)
      let head = ''
      try {
        head = fs.readFileSync(file, 'utf8').slice(0, 16)
      } catch {
        // readNotebook reports a missing or unreadable file
      }
      if (/^\uFEFF?---[ \t]*\r?\n/.test(head)) return runCommand({ kind: 'run', name: file, params: {}, context: cmd.context, namespace: cmd.namespace, kubeconfig: cmd.kubeconfig, yes: cmd.yes }, session, io, errColor, access)
      const { readNotebook } = await import('./repl/notebook.ts')
      const nb = await readNotebook(file)
      const shell = headless()
      const c = palette(color)
      for (const block of nb.blocks) {
        io.stdout.write(`${c.dim(shell.prompt() + block.replace(/\n/g, `\n${' '.repeat(shell.prompt().length)}`))}\n`)
        const r = await shell.evaluate(block)
        if (!r.ok) {
          shell.close()
          io.stderr.write(`${cmd.file}: stopped at the failing block above\n`)
          return 1
        }
      }
      shell.close()
      return 0
    }
    case 'script': {
      await session.load()
      const { buildContext, loadPresenters } = await import('./repl/context.ts')
      buildContext(session, globalThis)
      await loadPresenters()
      const file = path.resolve(io.cwd, cmd.file)
      if (!fs.existsSync(file)) throw new ShellError('notfound', `script ${file} does not exist`)
      await import(pathToFileURL(file).href)
      return 0
    }
    case 'run': {
      // The engine streams the report; exit 0 nothing failed, 1 a finding failed, 2 the recipe could not run.
      let report: unknown
      try {
        await session.load()
        report = await recipes.runRecipe(cmd.name, cmd.params, { session, output: io.stdout, ...(access.lines ? { lines: access.lines } : { input: io.stdin }), color, cwd: io.cwd, paramStyle: 'flag', teach: cmd.teach, dryRun: cmd.dryRun, yes: cmd.yes, format: cmd.format, follow: cmd.follow })
      } catch (e) {
        if (cmd.format === 'json') {
          const err = e as { message?: string; hint?: string }
          io.stdout.write(`${JSON.stringify({ recipe: { name: cmd.name }, status: 'error', exitCode: 2, error: { message: String(err?.message ?? e), ...(err?.hint ? { hint: err.hint } : {}) } }, null, 2)}\n`)
        }
        io.stderr.write(formatError(e, errColor))
        return 2
      }
      // With --follow the worst exit of every recipe that ran.
      const r = report as { exitCode?: unknown; overallExitCode?: unknown } | undefined
      const code = r?.overallExitCode ?? r?.exitCode
      return code === 1 || code === 2 ? code : 0
    }
    case 'triage': {
      // Exit 0: nothing wrong; 1: problems; 2: it could not look (the report says what was not seen).
      try {
        await session.load()
        const { triage, sshNodeReads } = await import('./triage/index.ts')
        const nodes = cmd.nodes ?? session.config.triage?.nodes ?? false
        const report = await triage(session, {
          scope: cmd.allNamespaces ? { allNamespaces: true } : { namespaces: cmd.namespaces ?? [session.namespace] },
          nodeReads: nodes ? sshNodeReads(session) : undefined,
          nodesOff: cmd.nodes === false ? 'off (--no-nodes)' : undefined,
        })
        if (cmd.format === 'json') io.stdout.write(`${JSON.stringify(report, null, 2)}\n`)
        else io.stdout.write(`${(await import('./render/triage.ts')).renderTriage(report, { color })}\n`)
        return report.exitCode
      } catch (e) {
        if (cmd.format === 'json') io.stdout.write(`${JSON.stringify({ status: 'error', exitCode: 2, error: { message: String((e as Error)?.message ?? e) } }, null, 2)}\n`)
        io.stderr.write(formatError(e, errColor))
        return 2
      }
    }
    case 'fleet': {
      const { runFleetCli } = await import('./fleet-cli.ts')
      return runFleetCli(cmd, session, { stdout: io.stdout, stderr: io.stderr, color: errColor })
    }
    case 'recipes': {
      await session.load()
      const [list, { renderRecipeList }] = await Promise.all([recipes.listRecipes({ session }), import('./render/report.ts')])
      io.stdout.write(`${renderRecipeList(list, { color })}\n`)
      return 0
    }
  }
  void errColor
  return 0
}

const AsyncFunction = (async () => {}).constructor as new (...args: string[]) => unknown

/** `-e pods()` prints the pods, not a pending Promise: a single expression is awaited; statements run as written. */
export function awaitExpression(expr: string): string {
  try {
    new AsyncFunction(`return (${expr}\n)`)
    return `await (${expr}\n)`
  } catch {
    return expr
  }
}
