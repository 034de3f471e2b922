// The fleet's progress on a terminal: the shell decides to show it (startRepl on a TTY), the renderer draws it.
// The line appears once a fleet has run for a moment, is redrawn at most every 100 ms, and is cleared when the fleet
// ends or before anything else is printed.
import type { FleetRun } from '../fleet/run.ts'
import type { FleetProgress } from '../fleet/types.ts'
import { renderFleetProgress } from '../render/fleet.ts'

/** Where a session's fleets report progress (set by the shell; fleets without a sink show nothing). */
const sinks = new WeakMap<object, (p: FleetProgress) => void>()
/** The fleets a session is running, so Ctrl-C can stop them. */
const active = new WeakMap<object, Set<FleetRun>>()

/** Remembers a running fleet of the session until it ends. */
export function trackFleet(session: object, run: FleetRun): void {
  let set = active.get(session)
  if (!set) active.set(session, (set = new Set()))
  set.add(run)
  const s = set
  void run.then(
    () => s.delete(run),
    () => s.delete(run),
  )
}

/** Ctrl-C: cancels every fleet the session is running (their remote commands end); returns how many. */
export function cancelFleets(session: object): number {
  const set = active.get(session)
  if (!set?.size) return 0
  const n = set.size
  for (const run of set) run.cancel('interrupted (Ctrl-C)')
  set.clear()
  return n
}

/** The progress sink of a session's fleets, if the shell set one. */
export function fleetProgressOf(session: object): ((p: FleetProgress) => void) | undefined {
  return sinks.get(session)
}

/** A redrawn status line for one terminal. */
export class ProgressLine {
  #shown = false
  #last = 0

  constructor(
    private readonly write: (text: string) => void,
    private readonly opts: { color: boolean; delayMs?: number; everyMs?: number; now?: () => number } = {
      color: false,
    },
  ) {}

  /** Draws p (or clears the line when nothing runs or waits any more). */
  update(p: FleetProgress): void {
    if (p.running === 0 && p.queued === 0) return this.clear()
    const now = (this.opts.now ?? Date.now)()
    if (p.elapsedMs < (this.opts.delayMs ?? 300)) return
    if (this.#shown && now - this.#last < (this.opts.everyMs ?? 100)) return
    this.#last = now
    this.#shown = true
    this.write(`\r\u001b[K${renderFleetProgress(p, { color: this.opts.color })}`)
  }

  /** Removes the line if it is shown. */
  clear(): void {
    if (!this.#shown) return
    this.#shown = false
    this.write('\r\u001b[K')
  }
}

/** Shows the session's fleet progress through `write` (the terminal); returns the line (clear it before printing) and a detach. */
export function attachFleetProgress(
  session: object,
  write: (text: string) => void,
  color: boolean,
): { line: ProgressLine; detach: () => void } {
  const line = new ProgressLine(write, { color })
  sinks.set(session, (p) => line.update(p))
  return {
    line,
    detach: () => {
      line.clear()
      sinks.delete(session)
    },
  }
}
