// startRepl: the interactive shell on node:repl (top-level await, dot-commands, completion, notebook).
import type { REPLServer } from 'node:repl'
import { PassThrough } from 'node:stream'
import { inspect, types } from 'node:util'
import type { SessionApi } from '../session.ts'
import { palette, wantColor } from '../render/color.ts'
import type { CommandHost } from './commands.ts'
import { defineCommands, installEvaluator, makeEvaluate, takeBuiltins, unknownCommand } from './dispatch.ts'
import { NameCache, type CompleteKind } from './complete.ts'
import { buildContext, globalHint, loadPresenters } from './context.ts'
import { formatError } from './errors.ts'
import { LineGate, OutputTap, userLines } from './io.ts'
import { attachFleetProgress, cancelFleets } from './fleet.ts'
import { Notebook } from './notebook.ts'
import type { StartShell } from '../recipes/types.ts'
import { recipesPort, type LineSource, type RecipesPort } from './recipes.ts'
import { attachNodeAccess } from './nodeaccess.ts'
import { Recorder, type EvalOutcome } from './recorder.ts'
import { needsSession } from './gate.ts'
import { answerUnknownCommands, resetContext } from './internals.ts'
import { catchProcessErrors, installCompletion, installHistory, printAboveInput, replServer } from './server.ts'

export type { EvalOutcome } from './recorder.ts'

/** Options of startRepl. */
export interface StartReplOptions {
  input: NodeJS.ReadableStream
  output: NodeJS.WritableStream
  session: SessionApi
  /** History file path; false/undefined keeps no history file. */
  history?: string | false
  /** Raw-mode line editing; default: whether output is a TTY. */
  terminal?: boolean
  /** Colours; default: terminal and NO_COLOR/FORCE_COLOR allow it. */
  color?: boolean
  /** The recipe engine for .run (default: src/recipes, imported on first use). */
  recipes?: RecipesPort
  /** No prompt, no background cluster check, input unused: for -e and notebook runs. */
  headless?: boolean
  /** Where errors go (default: output). */
  errorOutput?: NodeJS.WritableStream
  /** Print uncaught errors and unhandled rejections instead of exiting (default true). */
  catchProcessErrors?: boolean
  /** How long completion lists stay fresh. */
  namesTtlMs?: number
}

/** A running shell. */
export interface Shell {
  server: REPLServer
  notebook: Notebook
  names: NameCache
  /** Evaluates code (or a dot-command) as if typed, printing its output; resolves when done. */
  evaluate(code: string): Promise<EvalOutcome>
  /** The prompt text for the session's context and namespace. */
  prompt(): string
  /** Resolves when the REPL has closed (.exit, end of input). */
  closed: Promise<void>
  close(): void
  /** An input or command is being evaluated. */
  readonly busy: boolean
  /** Ctrl-C: when busy, aborts the session's commands in flight (their remote processes end) and returns true. */
  interrupt(): boolean
}

/** `CONTEXT:NAMESPACE> ` */
export function promptFor(session: Pick<SessionApi, 'context' | 'namespace'>): string {
  return `${session.context || '(no context)'}:${session.namespace}> `
}

/** Formats a value for the screen: util.inspect (objects with inspect.custom print tables). */
export function formatValue(value: unknown, colors: boolean, breakLength = 100): string {
  if (types.isPromise(value)) {
    const state = /<(pending|rejected)>/.exec(inspect(value, { depth: 0 }))?.[0] ?? '<resolved>'
    return `Promise { ${state} } (not awaited: put \`await\` before the call to get its value)`
  }
  return inspect(value, { colors, depth: 4, maxArrayLength: 200, maxStringLength: 20_000, breakLength })
}

/** The shell recipe steps run in: the REPL's evaluator and globals, headless (src/recipes/runner.ts gets it injected). */
export const headlessShell: StartShell = ({ session, output, errorOutput }) => {
  const shell = startRepl({ input: new PassThrough(), output, errorOutput, session, headless: true, color: false })
  return { context: shell.server.context, evaluate: shell.evaluate, close: shell.close }
}

/** What the dot-commands' host is made of (startRepl's parts). */
interface HostParts {
  server: REPLServer
  session: SessionApi
  lines?: LineSource
  names: NameCache
  recipes: RecipesPort
  output: NodeJS.WritableStream
  color: boolean
  headless: boolean
  notebook: Notebook
  /** The REPL's writer. */
  write(value: unknown): string
  /** Prints a line above the prompt (a background result). */
  printAbove(text: string): void
  builtins: ReturnType<typeof takeBuiltins>
}

/** The host the dot-commands act on: the shell's output, prompt, context, notebook and cluster check. */
function commandHost(p: HostParts): CommandHost {
  const { server, session, output, names } = p
  const c = palette(p.color)
  return {
    session,
    lines: p.lines,
    names,
    recipes: p.recipes,
    output,
    color: p.color,
    print: (text) => output.write(text.endsWith('\n') ? text : `${text}\n`),
    printValue: (v) => {
      if (v !== undefined) output.write(`${p.write(v)}\n`)
    },
    refreshPrompt: () => server.setPrompt(p.headless ? '' : promptFor(session)),
    resetContext: () => {
      if (!resetContext(server)) buildContext(session, server.context)
    },
    saveNotebook: async (file) => ({
      file: await p.notebook.save(file, { context: session.context, namespace: session.namespace }),
      inputs: p.notebook.codeCount,
    }),
    checkCluster: () => {
      void session.ping().then(
        (status) => {
          if (status) p.printAbove(c.yellow(`cluster: ${status}`))
          else names.prefetch(['pod', 'service', 'node', 'namespace'])
        },
        (e) => p.printAbove(c.yellow(`cluster: ${(e as Error)?.message ?? String(e)}`)),
      )
    },
    builtin: (name, arg) => {
      if (name === 'exit') return server.close()
      p.builtins[name]?.action.call(server, arg)
    },
  }
}

/** Starts the shell on the given streams; returns at once (the prompt is shown). */
export function startRepl(opts: StartReplOptions): Shell {
  const { session, output } = opts
  const terminal = opts.terminal ?? (output as { isTTY?: boolean }).isTTY === true
  const color = opts.color ?? (terminal && wantColor(output as { isTTY?: boolean }))
  const c = palette(color)
  const recipes = opts.recipes ?? recipesPort(headlessShell)
  const notebook = new Notebook()
  const names = new NameCache(
    async (kind: CompleteKind) => {
      if (kind !== 'recipe') return session.names(kind)
      return (await recipes.listRecipes({ session })).map((r) => r.name)
    },
    { ttlMs: opts.namesTtlMs },
  )
  const tap = new OutputTap(output)
  const gate = terminal || opts.headless ? undefined : new LineGate(opts.input)
  const columns = () => (output as { columns?: number }).columns ?? 100

  // The status known before the prompt (no kubeconfig, unknown context) is printed first.
  if (!opts.headless && session.status) tap.raw(`${c.yellow(`cluster: ${session.status}`)}\n`)

  const server = replServer({
    input: gate?.stream ?? (opts.headless ? new PassThrough() : opts.input),
    output,
    prompt: opts.headless ? '' : promptFor(session),
    terminal,
    color,
    write: (value) => write(value),
  })
  const rec = new Recorder(
    tap,
    notebook,
    (v) => formatValue(v, false, columns()),
    () => server.context,
  )
  /** The REPL's writer: formats a result and remembers where it printed it (for the notebook's redacted copy). */
  function write(value: unknown): string {
    const text = formatValue(value, color, columns())
    rec.printed(value, text)
    return text
  }

  // Fleets: progress on a terminal (cleared before anything else prints); Ctrl-C stops the session's fleets.
  const fleetUi = terminal && !opts.headless ? attachFleetProgress(session, (t) => tap.raw(t), color) : undefined
  if (fleetUi) tap.beforeWrite = () => fleetUi.line.clear()
  server.on('SIGINT', () => cancelFleets(session))

  // An unknown name close to a global's (conntrack for conntrackStats) says which ones it may have meant.
  const writeError = (e: unknown) => {
    const hint = globalHint(e)
    ;(opts.errorOutput ?? output).write(`${formatError(e, color)}${hint ? `${c.yellow(`hint: ${hint}`)}\n` : ''}`)
  }

  // The cluster client, the transports and the result renderers load right after the prompt; inputs wait for them.
  let ready: Promise<void> | undefined
  const whenReady = () =>
    (ready ??= Promise.all([session.load(), loadPresenters()]).then(
      () => undefined,
      (e: unknown) => void writeError(e),
    ))
  // Input that cannot reach the session (src/repl/gate.ts) runs at once: `kinspect -e 1` loads none of it.
  const readyFor = (code: string) => (needsSession(code) ? whenReady() : Promise.resolve())

  const baseEval = installEvaluator(server, { rec, notebook, readyFor, writeError, gate })

  // --- globals ---------------------------------------------------------------------------------------
  buildContext(session, server.context)
  server.on('reset', (ctx: object) => buildContext(session, ctx))

  // --- dot-commands from the one table ---------------------------------------------------------------
  const builtins = takeBuiltins(server)
  // A typed `.word` that names no command: kinspect's usage error instead of node's "Invalid REPL keyword".
  answerUnknownCommands(server, (word) => {
    writeError(unknownCommand(word))
    server.displayPrompt()
  })
  const printAbove = (text: string) => printAboveInput(text, { terminal, busy: rec.busy, output, tap, server })
  // A running command reads the user's next lines itself: from the gate (piped input) or readline's question (terminal).
  let closedNow = false
  server.on('close', () => (closedNow = true))
  const lines: LineSource | undefined = opts.headless
    ? undefined
    : userLines({
        gate,
        server,
        closed: () => closedNow,
        evaluating: () => rec.evaluatingCode,
        write: (t) => tap.raw(t),
      })
  // Node pods: their phases on screen and the consent question on this shell's own question path.
  const detachAccess =
    !opts.headless && session.access
      ? attachNodeAccess(session.access, { write: (t) => tap.raw(t), tty: terminal, color, lines })
      : undefined
  const interrupt = (): boolean => {
    if (!rec.busy) return false
    session.interrupt?.()
    return true
  }
  // Ctrl-C on a terminal reaches readline, not the process: node's REPL ends the await, this ends the commands.
  server.on('SIGINT', interrupt)

  const host = commandHost({
    server,
    session,
    lines,
    names,
    recipes,
    output,
    color,
    headless: opts.headless === true,
    notebook,
    write,
    printAbove,
    builtins,
  })

  const runCommand = defineCommands(server, host, {
    rec,
    terminal,
    headless: opts.headless === true,
    whenReady,
    writeError,
    closed: () => closedNow,
  })

  installCompletion(server, names)
  if (opts.history) installHistory(server, opts.history, terminal, notebook)
  // Never exit on a helper failure.
  const stopCatching =
    opts.catchProcessErrors !== false
      ? catchProcessErrors((e) => {
          writeError(e)
          if (!rec.busy && !opts.headless) server.displayPrompt(true)
        })
      : undefined

  const closed = new Promise<void>((resolve) => {
    server.once('exit', () => {
      detachAccess?.()
      fleetUi?.detach()
      gate?.stop()
      stopCatching?.()
      tap.restore()
      resolve()
    })
  })

  const evaluate = makeEvaluate({
    server,
    rec,
    notebook,
    runCommand,
    readyFor,
    evaluator: baseEval,
    write,
    writeError,
    output,
  })

  // The interactive shell loads them right after its prompt; headless shells on their first input that needs them.
  setImmediate(() => {
    if (opts.headless) return
    void whenReady()
    if (!session.status) host.checkCluster()
  })

  return {
    server,
    notebook,
    names,
    evaluate,
    prompt: () => promptFor(session),
    closed,
    close: () => server.close(),
    get busy() {
      return rec.busy
    },
    interrupt,
  }
}
