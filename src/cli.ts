// The kinspect / kubectl-inspect command: main(), which parses the command line (src/cli/args.ts) and starts the
// shell or runs a subcommand. Start-up path: only node built-ins and the pure parsers are imported here; config,
// session and REPL load on demand.
import fs from 'node:fs'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { ShellError, formatError } from './repl/errors.ts'
import { recipesPort } from './repl/recipes.ts'
import { palette, wantColor } from './render/color.ts'
import type { Session } from './session.ts'
import type { CliAccess } from './cli-access.ts'
import { parseArgs, subcommandOf, type CliCommand } from './cli/args.ts'
import { topicUsage } from './cli/help.ts'

export { parseArgs, type CliCommand, type CommonFlags } from './cli/args.ts'
export { usage } from './cli/help.ts'

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

// The bundled dist/ runs from a V8 code cache, and Node 20 loses a cached script's import() callback: there
// bin/dist-loader.mjs provides the import() of a user's script file.
const importUrl = (url: string): Promise<unknown> =>
  ((globalThis as Record<symbol, unknown>)[Symbol.for('kinspect.importUrl')] as typeof importUrl | undefined)?.(url) ??
  import(url)

function version(): string {
  const pkg = JSON.parse(fs.readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
  return pkg.version
}

/** Runs kinspect with argv; resolves to the exit code (2 for bad usage, 1 for a failure). */
export async function main(
  argv: readonly string[],
  io: CliIO = {
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    cwd: process.cwd(),
  },
): Promise<number> {
  const prog = io.prog ?? (/kubectl-inspect/.test(process.argv[1] ?? '') ? 'kubectl inspect' : 'kinspect')
  const errColor = wantColor(io.stderr, io.env)
  let cmd: CliCommand
  try {
    cmd = parseArgs(argv)
  } catch (e) {
    // The message names the flag; the usage is the subcommand's when there is one.
    const hint = (e as ShellError).hint
    io.stderr.write(
      `${prog}: ${(e as Error).message}\n${hint && !/^usage:/.test(hint) ? `hint: ${hint}\n` : ''}\n${topicUsage(subcommandOf(argv), prog)}`,
    )
    return 2
  }
  switch (cmd.kind) {
    case 'help':
      io.stdout.write(topicUsage(cmd.topic, prog))
      return 0
    case 'version':
      io.stdout.write(`kinspect ${version()}\n`)
      return 0
    case 'completion': {
      const { bashCompletion, zshCompletion } = await import('./cli/complete.ts')
      io.stdout.write(cmd.shell === 'bash' ? bashCompletion() : zshCompletion())
      return 0
    }
    case 'complete':
      return complete(cmd.words, io)
    case 'recipe-help':
      return recipeHelp(cmd.name, io, prog)
  }

  const [{ loadConfig }, sessionMod] = await Promise.all([import('./config.ts'), import('./session.ts')])
  let session: Session
  try {
    const config = loadConfig({ cwd: io.cwd, env: io.env })
    session = await sessionMod.Session.create({
      context: cmd.context,
      namespace: cmd.namespace,
      kubeconfig: cmd.kubeconfig,
      config,
      env: io.env,
    })
  } catch (e) {
    io.stderr.write(formatError(e, errColor))
    return cmd.kind === 'run' || cmd.kind === 'triage' || cmd.kind === 'fleet' ? 2 : 1
  }
  const { setupCliAccess, endSession, runGc } = await import('./cli-access.ts')
  const access = await setupCliAccess(session, cmd.kind, { yes: cmd.yes, io, color: errColor, prog })
  let code: number
  try {
    code =
      cmd.kind === 'gc'
        ? await runGc(session, {
            dryRun: cmd.dryRun,
            stdout: io.stdout,
            stderr: io.stderr,
            color: wantColor(io.stdout, io.env),
            errColor,
          })
        : await runCommand(cmd, session, io, errColor, access)
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

async function runCommand(
  cmd: Exclude<CliCommand, { kind: 'help' | 'version' | 'gc' | 'completion' | 'complete' | 'recipe-help' }>,
  session: Session,
  io: CliIO,
  errColor: boolean,
  access: CliAccess,
): Promise<number> {
  const { startRepl, headlessShell } = await import('./repl/index.ts')
  const recipes = recipesPort(headlessShell)
  const color = wantColor(io.stdout, io.env)
  const headless = () =>
    startRepl({ input: io.stdin, output: io.stdout, errorOutput: io.stderr, session, headless: true, recipes, color })
  switch (cmd.kind) {
    case 'repl': {
      const { historyPath } = await import('./repl/history.ts')
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
      if (/^\uFEFF?---[ \t]*\r?\n/.test(head))
        return runCommand(
          {
            kind: 'run',
            name: file,
            params: {},
            context: cmd.context,
            namespace: cmd.namespace,
            kubeconfig: cmd.kubeconfig,
            yes: cmd.yes,
          },
          session,
          io,
          errColor,
          access,
        )
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
      await importUrl(pathToFileURL(file).href)
      return 0
    }
    case 'run': {
      // The engine streams the report; exit 0 nothing failed, 1 a finding failed, 2 the recipe could not run.
      let report: unknown
      try {
        await session.load()
        report = await recipes.runRecipe(cmd.name, cmd.params, {
          session,
          output: io.stdout,
          ...(access.lines ? { lines: access.lines } : { input: io.stdin }),
          color,
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
          io.stdout.write(
            `${JSON.stringify({ recipe: { name: cmd.name }, status: 'error', exitCode: 2, error: { message: String(err?.message ?? e), ...(err?.hint ? { hint: err.hint } : {}) } }, null, 2)}\n`,
          )
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
        if (cmd.format === 'json')
          io.stdout.write(
            `${JSON.stringify({ status: 'error', exitCode: 2, error: { message: String((e as Error)?.message ?? e) } }, null, 2)}\n`,
          )
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
      const [list, { renderRecipeList }] = await Promise.all([
        recipes.listRecipes({ session }),
        import('./render/report.ts'),
      ])
      io.stdout.write(`${renderRecipeList(list, { color })}\n`)
      return 0
    }
  }
  void errColor
  return 0
}

/** The recipe folders of the config (no cluster): what `run NAME --help` and completion read. */
async function recipeDirsOf(io: CliIO) {
  const [{ loadConfig }, loader] = await Promise.all([import('./config.ts'), import('./recipes/loader.ts')])
  return { loader, dirs: loader.recipeDirs(loadConfig({ cwd: io.cwd, env: io.env })) }
}

/** `kinspect run NAME --help`: the recipe's parameters from its front matter; exit 2 when there is no such recipe. */
async function recipeHelp(name: string, io: CliIO, prog: string): Promise<number> {
  try {
    const { loader, dirs } = await recipeDirsOf(io)
    const r = await loader.findRecipe(name, { dirs, cwd: io.cwd })
    const { recipeHelp } = await import('./cli/help.ts')
    io.stdout.write(
      recipeHelp({ name: r.name, description: r.summary, file: r.file, changes: r.changes, params: r.params }, prog),
    )
    return 0
  } catch (e) {
    io.stderr.write(formatError(e, wantColor(io.stderr, io.env)))
    return 2
  }
}

/** `kinspect __complete WORDS...` (the completion scripts call it): one candidate a line; never an error. */
async function complete(words: string[], io: CliIO): Promise<number> {
  const { completeWords } = await import('./cli/complete.ts')
  let session: Session | undefined
  try {
    const out = await completeWords(words, {
      recipes: async () => {
        const { loader, dirs } = await recipeDirsOf(io)
        return (await loader.listRecipeEntries(dirs)).map((e) => ({
          name: e.name,
          params: e.recipe?.params,
          ...(e.error ? { error: e.error.message } : {}),
        }))
      },
      names: async (kind, flags) => {
        const [{ loadConfig }, { Session }] = await Promise.all([import('./config.ts'), import('./session.ts')])
        session = await Session.create({ ...flags, config: loadConfig({ cwd: io.cwd, env: io.env }), env: io.env })
        return session.names(kind)
      },
    })
    io.stdout.write(out.map((w) => `${w}\n`).join(''))
  } catch {
    // completion prints nothing rather than an error in the middle of the user's line
  } finally {
    await session?.close().catch(() => {})
  }
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
