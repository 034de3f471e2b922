// The process's signals, on the session's one cleanup path: SIGINT interrupts what runs (the REPL gets its prompt
// back) or ends the process; SIGTERM and SIGHUP end it. Ending means: abort the commands, delete the node pods (bounded
// wait), then exit. A second signal while that runs exits at once (leftovers: `kinspect gc`, and the pods' deadline).
import type { EventEmitter } from 'node:events'

/** What the handlers do; every part is injectable for tests. */
export interface ExitPlan {
  /** SIGINT: interrupt what runs; true when the process should go on (the REPL was busy), false to end it. */
  onInterrupt(): boolean
  /** The one cleanup path (idempotent, bounded). */
  shutdown(): Promise<void>
  /** Writes a status line for the user (stderr). */
  say(text: string): void
  /** Ends the process (default process.exit). */
  exit?(code: number): void
  /** The process to listen on (default process). */
  proc?: EventEmitter
  /** Also end through shutdown on an uncaught exception or unhandled rejection (scripts; the REPL prints them itself). */
  catchErrors?: boolean
  /** Formats an uncaught error for say(). */
  formatError?(e: unknown): string
}

/** Installed handlers: which signal ended the process (if one did), and how to remove them. */
export interface SignalHandlers {
  /** The first signal that started an exit, e.g. 'SIGINT'; undefined while none has. */
  readonly ending?: string
  /** Removes the handlers. */
  dispose(): void
}

/** Exit codes by signal, as shells report them (128 + signal number). */
export const SIGNAL_EXIT: Record<string, number> = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 }

/** Installs SIGINT, SIGTERM and SIGHUP handlers (and, with catchErrors, fatal error handlers) that go through plan.shutdown. */
export function handleSignals(plan: ExitPlan): SignalHandlers {
  const proc = plan.proc ?? process
  const exit = plan.exit ?? ((code: number) => process.exit(code))
  let ending: string | undefined
  const end = (why: string, code: number) => {
    if (ending) {
      plan.say(
        `kinspect: ${why} again: exiting without waiting; \`kinspect gc\` removes node pods left behind (each also ends by its deadline)`,
      )
      return exit(code)
    }
    ending = why
    void plan.shutdown().then(
      () => exit(code),
      () => exit(code),
    )
  }
  const onSignal = (sig: string) => () => {
    if (sig === 'SIGINT' && !ending && plan.onInterrupt()) return
    end(sig, SIGNAL_EXIT[sig])
  }
  const handlers: [string, (...a: unknown[]) => void][] = ['SIGINT', 'SIGTERM', 'SIGHUP'].map((s) => [s, onSignal(s)])
  if (plan.catchErrors) {
    const fatal = (e: unknown) => {
      plan.say(plan.formatError ? plan.formatError(e) : `error: ${(e as Error)?.message ?? String(e)}`)
      end('a fatal error', 1)
    }
    handlers.push(['uncaughtException', fatal], ['unhandledRejection', fatal])
  }
  for (const [ev, fn] of handlers) proc.on(ev, fn)
  return {
    get ending() {
      return ending
    },
    dispose() {
      for (const [ev, fn] of handlers) proc.off(ev, fn)
    },
  }
}
