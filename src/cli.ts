// The kinspect / kubectl-inspect command: main(), which parses the command line (src/cli/args.ts) and starts the
// shell or runs a subcommand. Start-up path: only node built-ins and the pure parsers are imported here; config,
// session and REPL load on demand.
import fs from 'node:fs'
import { type ShellError, formatError } from './repl/errors.ts'
import { wantColor } from './render/color.ts'
import type { Session } from './session.ts'
import { parseArgs, subcommandOf, type CliCommand } from './cli/args.ts'
import { topicUsage } from './cli/help.ts'
import { runCommand, type CliIO } from './cli/run.ts'

export { parseArgs, type CliCommand, type CommonFlags } from './cli/args.ts'
export { usage } from './cli/help.ts'
export { awaitExpression, type CliIO } from './cli/run.ts'

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
