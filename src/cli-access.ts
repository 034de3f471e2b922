// The command line's side of node access: --yes, where pod phases show and the consent question is asked in each
// mode, the signal handlers on the session's one cleanup path, what that cleanup deleted, and `kinspect gc`.
import { handleSignals, type SignalHandlers } from './lifecycle.ts'
import { formatError } from './repl/errors.ts'
import type { LineSource } from './repl/recipes.ts'
import type { Session } from './session.ts'

/** The streams of a run (CliIO's). */
interface Io {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean }
  stdout: NodeJS.WritableStream & { isTTY?: boolean }
  stderr: NodeJS.WritableStream & { isTTY?: boolean }
}

/** What the session gets for its mode; dispose() when the run ends. */
export interface CliAccess {
  /** The terminal's lines (shared with a recipe's change() questions), when stdin is a terminal. */
  lines?: LineSource
  /** The installed signal handlers (which signal is ending the process, if any). */
  signals: SignalHandlers
  /** Set by the REPL once it runs: Ctrl-C interrupts its evaluation instead of ending the process. */
  repl?: { busy: boolean; interrupt(): boolean }
  dispose(): void
}

/**
 * Node access for a headless mode (-e, FILE, run, gc) or the REPL: --yes; phases on stderr (a spinner on a terminal);
 * the question on the terminal when stdin is one (the REPL asks on its own); signals that end through shutdown().
 */
export async function setupCliAccess(
  session: Session,
  mode: string,
  o: { yes?: boolean; io: Io; color: boolean; prog: string },
): Promise<CliAccess> {
  session.access.yes = o.yes === true
  const { io } = o
  let lines: (LineSource & { close(): void }) | undefined
  let detach: (() => void) | undefined
  if (mode !== 'repl') {
    const [{ attachNodeAccess }, { LineReader }] = await Promise.all([
      import('./repl/nodeaccess.ts'),
      import('./recipes/progress.ts'),
    ])
    if (io.stdin.isTTY === true) lines = new LineReader(io.stdin)
    else
      session.access.noAskerHint = `${o.prog}${mode === 'eval' ? ' -e' : mode === 'run' ? ' run' : ''} has no terminal to ask on: pass --yes to allow node pods for this run, or set nodeAccess pods: always in .recipes`
    // run: the recipe's own spinner owns the terminal line, so pod phases are plain lines (the spinner pauses for them)
    detach = attachNodeAccess(session.access, {
      write: (t) => io.stderr.write(t),
      tty: io.stderr.isTTY === true && mode !== 'run',
      color: o.color,
      lines,
    })
  }
  const access: CliAccess = {
    lines,
    signals: handleSignals({
      // Ctrl-C: the REPL gets its prompt back when it was busy; everywhere else it ends the run (commands aborted).
      onInterrupt: () => access.repl?.interrupt() ?? false,
      shutdown: () => endSession(session, io.stderr, o.color),
      say: (t) => io.stderr.write(t.endsWith('\n') ? t : `${t}\n`),
      catchErrors: mode === 'script',
      formatError: (e) => formatError(e, o.color),
    }),
    dispose() {
      detach?.()
      lines?.close()
      access.signals.dispose()
    },
  }
  return access
}

/** The session's one cleanup path, then what it deleted (or could not) on stderr. */
export async function endSession(session: Session, stderr: NodeJS.WritableStream, color: boolean): Promise<void> {
  const report = await session.shutdown({ exiting: true }).catch(() => undefined)
  if (!report || (!report.deleted.length && !report.remaining.length)) return
  const { renderCloseReport } = await import('./render/nodeaccess.ts')
  stderr.write(`${renderCloseReport(report, color)}\n`)
}

/** kinspect gc: the table on stdout; exit 0 done (or --dry-run), 1 some leftovers could not be deleted, 2 gc could not run. */
export async function runGc(
  session: Session,
  o: {
    dryRun?: boolean
    stdout: NodeJS.WritableStream
    stderr: NodeJS.WritableStream
    color: boolean
    errColor: boolean
  },
): Promise<number> {
  try {
    await session.load()
    const [r, { renderGc }] = await Promise.all([session.gc({ dryRun: o.dryRun }), import('./render/nodeaccess.ts')])
    o.stdout.write(`${renderGc(r, { dryRun: o.dryRun, color: o.color })}\n`)
    return r.failed.length ? 1 : 0
  } catch (e) {
    o.stderr.write(formatError(e, o.errColor))
    return 2
  }
}
