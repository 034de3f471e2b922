// The shell's side of node access: node pod phases on screen (a spinner on a terminal, one line per change
// elsewhere), and the consent question asked through the shell's own question path (the REPL's lines, a terminal).
import type { AccessHooks, Asker } from '../access/hooks.ts'
import type { NodePodPhase } from '../exec/nodepod/api.ts'
import { isYes, renderConsentQuestion, renderPhaseFrame, renderPhaseLine } from '../render/nodeaccess.ts'
import type { LineSource } from './recipes.ts'

/** Where node access talks to the user. */
export interface AccessUi {
  /** Writes text as is (not recorded in the notebook). */
  write: (text: string) => void
  /** A terminal: a spinner line redrawn in place. */
  tty: boolean
  color: boolean
  /** Answers for the consent question; absent: no way to ask (pods need --yes or pods: always). */
  lines?: LineSource
  /** Spinner period (default 100 ms). */
  intervalMs?: number
  /** Called before anything is written (pauses other displays on the same terminal, e.g. a recipe's spinner). */
  before?: () => void
}

/** Shows node pod phases while pods start: a spinner redrawn in place on a terminal, plain lines elsewhere. */
export class PhaseDisplay {
  /** Pods starting, by node: the last phase and when it arrived (the spinner's clock runs on from it). */
  #active = new Map<string, { p: NodePodPhase; at: number }>()
  #timer?: NodeJS.Timeout
  #tick = 0
  #held = false
  #drawn = false

  constructor(private ui: AccessUi) {}

  /** Takes one phase event. */
  show(p: NodePodPhase): void {
    this.ui.before?.()
    const final = p.phase === 'ready' || p.phase === 'failed' || p.phase === 'deleted'
    if (!this.ui.tty) {
      this.ui.write(`${renderPhaseLine(p, this.ui.color)}\n`)
      return
    }
    if (final) {
      this.#active.delete(p.node)
      this.#clear()
      this.ui.write(`${renderPhaseLine(p, this.ui.color)}\n`)
      if (!this.#active.size) this.#stop()
      else this.#draw()
      return
    }
    this.#active.set(p.node, { p, at: Date.now() })
    this.#draw()
    if (!this.#timer) {
      this.#timer = setInterval(() => this.#draw(), this.ui.intervalMs ?? 100)
      this.#timer.unref()
    }
  }

  /** Stops drawing while something else asks the user (the consent question); resume() draws again. */
  hold(): void {
    this.#held = true
    this.#clear()
  }
  resume(): void {
    this.#held = false
    this.#draw()
  }

  /** Clears the spinner and stops. */
  stop(): void {
    this.#clear()
    this.#stop()
    this.#active.clear()
  }

  #draw(): void {
    if (this.#held || !this.#active.size) return
    const { p, at } = [...this.#active.values()].at(-1)!
    const now = { ...p, elapsedMs: p.elapsedMs + (Date.now() - at) }
    this.ui.write(
      `\r\u001b[2K${renderPhaseFrame(now, this.#tick++, this.ui.color)}${this.#active.size > 1 ? ` (+${this.#active.size - 1} more)` : ''}`,
    )
    this.#drawn = true
  }

  #clear(): void {
    if (this.#drawn) this.ui.write('\r\u001b[2K')
    this.#drawn = false
  }

  #stop(): void {
    if (this.#timer) clearInterval(this.#timer)
    this.#timer = undefined
  }
}

/** The consent question over a line source: the question, one answer line (y/yes allows). */
export function lineAsker(ui: AccessUi, lines: LineSource, display?: PhaseDisplay): Asker {
  return async (req) => {
    display?.hold()
    ui.before?.()
    try {
      ui.write(renderConsentQuestion(req, ui.color))
      const answer = await lines.next()
      if (answer === null || !lines.echoes) ui.write('\n')
      return answer === null ? null : isYes(answer)
    } finally {
      display?.resume()
    }
  }
}

/** Plugs the display and the question into a session's hooks; returns the function that unplugs them. */
export function attachNodeAccess(hooks: AccessHooks, given: AccessUi): () => void {
  const ui: AccessUi = { before: () => hooks.pauseDisplays(), ...given }
  const display = new PhaseDisplay(ui)
  const off = hooks.onPhase((p) => display.show(p))
  const before = hooks.asker
  if (ui.lines) hooks.asker = lineAsker(ui, ui.lines, display)
  return () => {
    off()
    display.stop()
    if (ui.lines) hooks.asker = before
  }
}
