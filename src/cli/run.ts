// The subcommands that run on a session, one function each: the shell, -e, a notebook or script file, run, triage,
// fleet and recipes. main() (src/cli.ts) makes the session and the consent hooks, calls runCommand, and ends both.
import fs from 'node:fs'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { ShellError, formatError } from '../repl/errors.ts'
import { recipesPort, type RecipesPort } from '../repl/recipes.ts'
import { palette, wantColor } from '../render/color.ts'
import type { Session } from '../session.ts'
import type { CliAccess } from '../cli-access.ts'
import type { CliCommand } from './args.ts'

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

/** The commands that need a session (the others are answered by main() before one is made). */
export type SessionCommand = Exclude<
  CliCommand,
  { kind: 'help' | 'version' | 'gc' | 'completion' | 'complete' | 'recipe-help' }
>

/** What every subcommand runs with. */
interface Run {
  session: Session
  io: CliIO
  /** Colour on stderr; `color` is stdout's. */
  errColor: boolean
  color: boolean
  access: CliAccess
  recipes: RecipesPort
}

// The bundled dist/ runs from a V8 code cache, and Node 20 loses a cached script's import() callback: there
// bin/dist-loader.mjs provides the import() of a user's script file.
const importUrl = (url: string): Promise<unknown> =>
  ((globalThis as Record<symbol, unknown>)[Symbol.for('kinspect.importUrl')] as typeof importUrl | undefined)?.(url) ??
  import(url)

/** Runs a command on the session; resolves to its exit code. */
export async function runCommand(
  cmd: SessionCommand,
  session: Session,
  io: CliIO,
  errColor: boolean,
  access: CliAccess,
): Promise<number> {
  const { headlessShell } = await import('../repl/index.ts')
  const run: Run = {
    session,
    io,
    errColor,
    access,
    color: wantColor(io.stdout, io.env),
    recipes: recipesPort(headlessShell),
  }
  switch (cmd.kind) {
    case 'repl':
      return runShell(run)
    case 'eval':
      return runEval(run, cmd.expr)
    case 'notebook':
      return runNotebook(run, cmd)
    case 'script':
      return runScript(run, cmd.file)
    case 'run':
      return runRecipe(run, cmd)
    case 'triage':
      return runTriage(run, cmd)
    case 'fleet': {
      const { runFleetCli } = await import('../fleet-cli.ts')
      return runFleetCli(cmd, session, { stdout: io.stdout, stderr: io.stderr, color: errColor })
    }
    case 'recipes':
      return listRecipes(run)
  }
}

/** A shell with no prompt on the run's streams (for -e and notebook files). */
async function headless({ session, io, recipes, color }: Run) {
  const { startRepl } = await import('../repl/index.ts')
  return startRepl({
    input: io.stdin,
    output: io.stdout,
    errorOutput: io.stderr,
    session,
    headless: true,
    recipes,
    color,
  })
}

/** The interactive shell; history is kept only on a terminal. */
async function runShell(run: Run): Promise<number> {
  const { io, session, recipes, color } = run
  const [{ startRepl }, { historyPath }] = await Promise.all([import('../repl/index.ts'), import('../repl/history.ts')])
  const terminal = io.stdin.isTTY === true && io.stdout.isTTY === true
  const shell = startRepl({
    input: io.stdin,
    output: io.stdout,
    session,
    recipes,
    terminal,
    history: terminal ? historyPath(io.env) : false,
    color,
  })
  run.access.repl = shell
  await shell.closed
  return 0
}

/** `-e EXPR`: exit 0 when it evaluated, 1 when it threw. */
async function runEval(run: Run, expr: string): Promise<number> {
  const shell = await headless(run)
  const r = await shell.evaluate(awaitExpression(expr))
  shell.close()
  return r.ok ? 0 : 1
}

/** `kinspect FILE.md`: each code block as if typed, stopping at the first that fails; a recipe file runs as a recipe. */
async function runNotebook(run: Run, cmd: Extract<SessionCommand, { kind: 'notebook' }>): Promise<number> {
  const { io } = run
  const file = path.resolve(io.cwd, cmd.file)
  let head = ''
  try {
    head = fs.readFileSync(file, 'utf8').slice(0, 16)
  } catch {
    // readNotebook reports a missing or unreadable file
  }
  // A notebook with recipe front matter is a recipe: run it as one (params, finding(), the report).
  if (/^\uFEFF?---[ \t]*\r?\n/.test(head)) {
    const { context, namespace, kubeconfig, yes } = cmd
    return runRecipe(run, { kind: 'run', name: file, params: {}, context, namespace, kubeconfig, yes })
  }
  const { readNotebook } = await import('../repl/notebook.ts')
  const nb = await readNotebook(file)
  const shell = await headless(run)
  const c = palette(run.color)
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

/** `kinspect FILE.mjs`: the shell's globals on globalThis, then the script imported. */
async function runScript({ session, io }: Run, name: string): Promise<number> {
  await session.load()
  const { buildContext, loadPresenters } = await import('../repl/context.ts')
  buildContext(session, globalThis)
  await loadPresenters()
  const file = path.resolve(io.cwd, name)
  if (!fs.existsSync(file)) throw new ShellError('notfound', `script ${file} does not exist`)
  await importUrl(pathToFileURL(file).href)
  return 0
}

/** `kinspect run`: the engine streams the report; exit 0 nothing failed, 1 a finding failed, 2 the recipe could not run. */
async function runRecipe(run: Run, cmd: Extract<SessionCommand, { kind: 'run' }>): Promise<number> {
  const { session, io, access } = run
  let report: unknown
  try {
    await session.load()
    report = await run.recipes.runRecipe(cmd.name, cmd.params, {
      session,
      output: io.stdout,
      ...(access.lines ? { lines: access.lines } : { input: io.stdin }),
      color: run.color,
      cwd: io.cwd,
      paramStyle: 'flag',
      teach: cmd.teach,
      dryRun: cmd.dryRun,
      yes: cmd.yes,
      format: cmd.format,
      follow: cmd.follow,
    })
  } catch (e) {
    if (cmd.format === 'json') {
      const err = e as { message?: string; hint?: string }
      const error = { message: String(err?.message ?? e), ...(err?.hint ? { hint: err.hint } : {}) }
      io.stdout.write(
        `${JSON.stringify({ recipe: { name: cmd.name }, status: 'error', exitCode: 2, error }, null, 2)}\n`,
      )
    }
    io.stderr.write(formatError(e, run.errColor))
    return 2
  }
  // With --follow the worst exit of every recipe that ran.
  const r = report as { exitCode?: unknown; overallExitCode?: unknown } | undefined
  const code = r?.overallExitCode ?? r?.exitCode
  return code === 1 || code === 2 ? code : 0
}

/** `kinspect triage`: exit 0 nothing wrong, 1 problems, 2 it could not look (the report says what was not seen). */
async function runTriage(run: Run, cmd: Extract<SessionCommand, { kind: 'triage' }>): Promise<number> {
  const { session, io } = run
  try {
    await session.load()
    const { triage, sshNodeReads } = await import('../triage/index.ts')
    const nodes = cmd.nodes ?? session.config.triage?.nodes ?? false
    const report = await triage(session, {
      scope: cmd.allNamespaces ? { allNamespaces: true } : { namespaces: cmd.namespaces ?? [session.namespace] },
      nodeReads: nodes ? sshNodeReads(session) : undefined,
      nodesOff: cmd.nodes === false ? 'off (--no-nodes)' : undefined,
    })
    if (cmd.format === 'json') io.stdout.write(`${JSON.stringify(report, null, 2)}\n`)
    else io.stdout.write(`${(await import('../render/triage.ts')).renderTriage(report, { color: run.color })}\n`)
    return report.exitCode
  } catch (e) {
    if (cmd.format === 'json') {
      const error = { message: String((e as Error)?.message ?? e) }
      io.stdout.write(`${JSON.stringify({ status: 'error', exitCode: 2, error }, null, 2)}\n`)
    }
    io.stderr.write(formatError(e, run.errColor))
    return 2
  }
}

/** `kinspect recipes`: the recipes found, one line each. */
async function listRecipes({ session, io, recipes, color }: Run): Promise<number> {
  await session.load()
  const [list, { renderRecipeList }] = await Promise.all([
    recipes.listRecipes({ session }),
    import('../render/report.ts'),
  ])
  io.stdout.write(`${renderRecipeList(list, { color })}\n`)
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
