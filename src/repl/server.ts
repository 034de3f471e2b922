// The node:repl server kinspect starts, and the parts startRepl wires onto it that need nothing else of the shell:
// completion, history, process-wide error catching, and printing a line above the prompt.
import repl, { type REPLServer } from 'node:repl'
import readline from 'node:readline'
import { inspect } from 'node:util'
import { COMMANDS } from './commands.ts'
import { NameCache, completeNames } from './complete.ts'
import { appendHistory, loadHistory } from './history.ts'
import type { OutputTap } from './io.ts'
import type { Notebook } from './notebook.ts'
import { pushHistory, wrapCompleter } from './internals.ts'

// node:repl with kinspect's settings: results through `write`, no undefined echoed, a context of its own, Ctrl-C
// ending a hanging await or loop (the prompt comes back), 1000 lines of history.
export function replServer(o: {
  input: NodeJS.ReadableStream
  output: NodeJS.WritableStream
  prompt: string
  terminal: boolean
  color: boolean
  write: (value: unknown) => string
}): REPLServer {
  return repl.start({
    input: o.input,
    output: o.output,
    prompt: o.prompt,
    terminal: o.terminal,
    useColors: o.color,
    ignoreUndefined: true,
    useGlobal: false,
    writer: Object.assign(o.write, { options: { ...inspect.defaultOptions, colors: o.color, depth: 4 } }),
    breakEvalOnSigint: true,
    historySize: 1000,
  } as repl.ReplOptions & { historySize: number })
}

// Completion: names from the cache first (and a dot-command's kind of argument), then node's JS completion.
export function installCompletion(server: REPLServer, names: NameCache): void {
  const commandKinds = Object.fromEntries(COMMANDS.filter((c) => c.complete).map((c) => [c.name, c.complete!]))
  wrapCompleter(server, (base) => (line, cb) => {
    const r = completeNames(line, names, commandKinds)
    if (r) return cb(null, r)
    return base(line, cb)
  })
}

// History: the file's lines to arrow through (on a terminal); each new line is appended unless it holds a secret.
export function installHistory(server: REPLServer, file: string, terminal: boolean, notebook: Notebook): void {
  if (terminal) pushHistory(server, loadHistory(file))
  server.on('line', (line: string) => appendHistory(file, line, notebook.taint.matcher()))
}

// Unhandled rejections and uncaught exceptions go to `report` instead of ending the process; returns the undo.
export function catchProcessErrors(report: (e: unknown) => void): () => void {
  process.on('unhandledRejection', report)
  process.on('uncaughtException', report)
  return () => {
    process.off('unhandledRejection', report)
    process.off('uncaughtException', report)
  }
}

// A line printed above what is being typed (a terminal at the prompt: the line is cleared, the prompt redrawn).
export function printAboveInput(
  text: string,
  o: {
    terminal: boolean
    busy: boolean
    output: NodeJS.WritableStream
    tap: Pick<OutputTap, 'raw'>
    server: REPLServer
  },
): void {
  if (o.terminal && !o.busy) {
    readline.clearLine(o.output, 0)
    readline.cursorTo(o.output, 0)
    o.tap.raw(`${text}\n`)
    o.server.prompt(true)
  } else o.tap.raw(`${text}\n`)
}
