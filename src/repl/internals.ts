// The parts of node:repl that are not in its public types, in one place: the evaluator, the domain that catches
// thrown errors, the completer, resetContext and the history list. Each accessor says what it expects, so a Node
// version that changes them fails here, not in the middle of startRepl.
import type { REPLServer } from 'node:repl'

/** node:repl's evaluator signature. */
export type EvalCb = (err: Error | null, result?: unknown) => void
/** The function node:repl calls for each complete input. */
export type EvalFn = (code: string, context: object, file: string, cb: EvalCb) => void
/** node:repl's completer: the candidates and the part of the line they complete. */
export type CompleterFn = (line: string, cb: (err: Error | null, r?: [string[], string]) => void) => void

interface Internals {
  eval: EvalFn
  completer: CompleterFn
  _domain?: NodeJS.EventEmitter
  resetContext?: () => void
  history?: string[]
}

const inner = (server: REPLServer) => server as unknown as Internals

/** Puts `wrap(base)` in place of the server's evaluator; returns the original (called with the server as `this`). */
export function wrapEval(server: REPLServer, wrap: (base: EvalFn) => EvalFn): EvalFn {
  const base = inner(server).eval
  const bound: EvalFn = (code, context, file, cb) => base.call(server, code, context, file, cb)
  inner(server).eval = wrap(bound)
  return bound
}

/** Puts `wrap(base)` in place of the server's completer. */
export function wrapCompleter(server: REPLServer, wrap: (base: CompleterFn) => CompleterFn): void {
  const base = inner(server).completer
  const bound: CompleterFn = (line, cb) => base.call(server, line, cb)
  inner(server).completer = wrap(bound)
}

/** Sends errors node:repl's domain catches (thrown by sync and awaited input) to `onError` instead of its printer. */
export function takeDomainErrors(server: REPLServer, onError: (e: unknown) => void): void {
  const domain = inner(server)._domain
  if (!domain) return
  domain.removeAllListeners('error')
  domain.on('error', onError)
}

/** `.clear`'s context reset when node:repl has one; false when it does not (the caller rebuilds the context). */
export function resetContext(server: REPLServer): boolean {
  const reset = inner(server).resetContext
  if (typeof reset !== 'function') return false
  reset.call(server)
  return true
}

/** Adds lines to the terminal's history (newest first, as node:repl keeps it). */
export function pushHistory(server: REPLServer, lines: readonly string[]): void {
  inner(server).history?.push(...lines)
}

/**
 * Answers a typed `.word` that names no command with `onUnknown(word, rest)` (which shows the prompt again) instead of
 * node's bare "Invalid REPL keyword". node:repl (checked on Node 20.20) looks a typed `.word` up as
 * `server.commands[word]`; the commands object becomes a proxy that returns a stand-in for an unknown plain word, except
 * while an input continues over lines: then its buffered text (node's own `Symbol(bufferedCommand)`) is not empty and
 * `.length` is code. Returns false, changing nothing, on a node:repl without that symbol.
 */
export function answerUnknownCommands(server: REPLServer, onUnknown: (word: string, rest: string) => void): boolean {
  const buffered = Object.getOwnPropertySymbols(server).find((s) => s.description === 'bufferedCommand')
  if (!buffered) return false
  const target = server.commands as Record<string, unknown>
  const commands = new Proxy(target, {
    get(t, key) {
      const known = Reflect.get(t, key)
      if (known !== undefined || typeof key !== 'string' || !/^[A-Za-z][\w-]*$/.test(key)) return known
      if ((server as unknown as Record<symbol, unknown>)[buffered]) return undefined
      return { help: '', action: (rest: string) => onUnknown(key, rest) }
    },
  })
  Object.defineProperty(server, 'commands', { value: commands, writable: true, configurable: true })
  return true
}
