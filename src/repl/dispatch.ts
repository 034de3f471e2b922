// How inputs reach the shell's parts: typed input through the shell's evaluator (prose to the notebook, each input
// recorded, the session loaded first when the input needs it), the dot-commands defined on node:repl from the one
// COMMANDS table, and evaluate(), which runs an input or a dot-command as if typed (-e, notebooks, recipe steps).
import { Recoverable, type REPLServer } from 'node:repl'
import { closest } from '../errors.ts'
import { COMMANDS, type Command, type CommandHost } from './commands.ts'
import { ShellError } from './errors.ts'
import { takeDomainErrors, wrapEval, type EvalFn } from './internals.ts'
import { proseOf, type Notebook } from './notebook.ts'
import type { EvalOutcome, Recorder } from './recorder.ts'
import { rearmSigint, type LineGate } from './io.ts'

/** One of node:repl's own commands (editor, break…), run with the server as `this`. */
type Builtin = { action: (this: REPLServer, arg: string) => void }

/** Takes node:repl's own commands off the server (the COMMANDS table replaces them) and returns them by name. */
export function takeBuiltins(server: REPLServer): Record<string, Builtin> {
  const builtins = { ...server.commands } as Record<string, Builtin>
  for (const k of Object.keys(server.commands)) delete (server.commands as Record<string, unknown>)[k]
  return builtins
}

/** The error of a `.word` that names no command: the word, and every command there is. */
export function unknownCommand(word: string): ShellError {
  const near = closest(
    word,
    COMMANDS.map((x) => x.name),
  ).slice(0, 2)
  return new ShellError(
    'usage',
    `unknown command .${word}${near.length ? ` (did you mean ${near.map((n) => `.${n}`).join(' or ')}?)` : ''}`,
    `commands: ${COMMANDS.map((x) => `.${x.name}`).join(' ')} (.help says what each does)`,
  )
}

/** What the typed-input evaluator needs from the shell. */
export interface EvaluatorDeps {
  rec: Recorder
  notebook: Notebook
  readyFor(code: string): Promise<void>
  writeError(e: unknown): void
  /** The piped-input gate, released at each prompt. */
  gate?: LineGate
}

/**
 * Puts the shell's evaluator in node:repl's place and takes its errors: prose lines go to the notebook, every input is
 * recorded, input that needs the session waits for it, errors print as kinspect's. Returns node:repl's own evaluator.
 */
export function installEvaluator(server: REPLServer, d: EvaluatorDeps): EvalFn {
  const { rec } = d
  const base = wrapEval(server, (base): EvalFn => (code, context, file, cb) => {
    const prose = proseOf(code)
    if (prose !== undefined) {
      d.notebook.addProse(prose)
      return cb(null, undefined)
    }
    if (code.trim() === '') return cb(null, undefined)
    rec.begin(code, undefined, true)
    void d.readyFor(code).then(() => {
      base(code, context, file, (err, value) => {
        if (err instanceof Recoverable) {
          rec.drop()
          return cb(err)
        }
        if (err) {
          rec.failed(err)
          d.writeError(err)
          return cb(null, undefined)
        }
        cb(null, value)
      })
      rearmSigint()
    })
  })

  // node:repl sends every thrown error (sync and awaited) to its domain; print ours instead.
  takeDomainErrors(server, (e) => {
    rec.failed(e)
    d.writeError(e)
    if (rec.awaited) return rec.end({ ok: false, error: e })
    server.clearBufferedCommand()
    server.displayPrompt()
  })

  // The prompt ends an input that has no completion callback of its own, and lets the next piped line in.
  const baseDisplayPrompt = server.displayPrompt.bind(server)
  server.displayPrompt = (preserveCursor?: boolean) => {
    if (rec.busy && !rec.awaited) rec.end({ ok: true })
    d.gate?.release()
    baseDisplayPrompt(preserveCursor)
  }
  return base
}

/** What running a dot-command needs from the shell. */
export interface CommandDeps {
  rec: Recorder
  /** The shell edits lines on a terminal (typed input then waits for a command, as for an awaited input). */
  terminal: boolean
  headless: boolean
  /** Resolves once the cluster client and the renderers are loaded. */
  whenReady(): Promise<void>
  writeError(e: unknown): void
  /** The REPL has closed. */
  closed(): boolean
}

/** A dot-command run on the host: true when it finished, false when it failed (its error printed). */
export type RunCommand = (cmd: Command, arg: string) => Promise<boolean>

/** Defines every command of COMMANDS on the server; returns the function that runs one. */
export function defineCommands(server: REPLServer, host: CommandHost, deps: CommandDeps): RunCommand {
  const { rec } = deps
  const runCommand: RunCommand = async (cmd, arg) => {
    try {
      if (cmd.ready) await deps.whenReady()
      await cmd.action(host, arg)
      return true
    } catch (e) {
      deps.writeError(e)
      return false
    }
  }
  for (const cmd of COMMANDS) {
    server.defineCommand(cmd.name, {
      help: cmd.help,
      action(arg: string) {
        if (cmd.recorded && !rec.busy) rec.begin(`.${cmd.name}${arg ? ` ${arg}` : ''}`)
        // Like node's own awaited input: what is typed while the command runs waits for the prompt (or answers its question).
        const hold = deps.terminal && !cmd.ownPrompt && !deps.headless
        if (hold) server.pause()
        void runCommand(cmd, arg).then(() => {
          if (hold && !deps.closed()) server.resume()
          if (!cmd.ownPrompt) server.displayPrompt()
        })
      },
    })
  }
  return runCommand
}

/** What evaluate() needs from the shell. */
export interface EvaluateDeps {
  server: REPLServer
  rec: Recorder
  notebook: Notebook
  runCommand: RunCommand
  /** Resolves when the input may run (the session loaded, if the input needs it). */
  readyFor(code: string): Promise<void>
  /** The shell's evaluator (src/repl/index.ts wraps node:repl's). */
  evaluator: EvalFn
  /** Formats a result as the REPL's writer does (and records where it printed it). */
  write(value: unknown): string
  writeError(e: unknown): void
  output: NodeJS.WritableStream
}

/** Evaluates code (or a one-line dot-command) as if typed, printing its output; resolves when done. */
export function makeEvaluate(d: EvaluateDeps): (code: string) => Promise<EvalOutcome> {
  const { rec } = d
  return (code) =>
    new Promise((resolve) => {
      const cmd = /^\s*\.([a-z]+)(?:[ \t]+(.*))?\s*$/.exec(code)
      if (cmd && !code.trim().includes('\n')) {
        const def = COMMANDS.find((x) => x.name === cmd[1])
        if (!def) {
          const e = unknownCommand(cmd[1])
          d.writeError(e)
          return resolve({ ok: false, error: e })
        }
        if (def.recorded) rec.begin(code.trim(), resolve)
        void d.runCommand(def, cmd[2] ?? '').then((ok) => (def.recorded ? rec.end({ ok }) : resolve({ ok })))
        return
      }
      const prose = proseOf(code)
      if (prose !== undefined) {
        d.notebook.addProse(prose)
        return resolve({ ok: true })
      }
      rec.begin(code, resolve)
      void d.readyFor(code).then(() => {
        d.evaluator(code.endsWith('\n') ? code : `${code}\n`, d.server.context, 'REPL', (err, value) => {
          if (err) {
            const e =
              err instanceof Recoverable
                ? new ShellError(
                    'usage',
                    `incomplete input: ${(err as Recoverable & { err?: Error }).err?.message ?? 'unexpected end of input'}`,
                    'close every bracket and string',
                  )
                : err
            d.writeError(e)
            return rec.end({ ok: false, error: e })
          }
          if (value !== undefined) d.output.write(`${d.write(value)}\n`)
          rec.end({ ok: true, value })
        })
        rearmSigint()
      })
    })
}
