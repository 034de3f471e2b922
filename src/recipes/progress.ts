// Terminal plumbing of a recipe run: a spinner (TTY) or plain "still running" lines, and a line reader for prompts.
import readline from 'node:readline'
import { palette } from '../render/color.ts'
import type { LineSource } from './types.ts'

/** Shows that a step is running. */
export interface Progress {
  start(label: string): void
  /** Hides the spinner while something else is written (a prompt); start() or stop() ends the pause. */
  pause(): void
  stop(): void
}

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏']

function secs(ms: number): string {
  return `${Math.round(ms / 1000)}s`
}

/** A spinner with the step name and elapsed time on one line, cleared when the step ends (TTY only). */
export function spinner(
  out: NodeJS.WritableStream,
  opts: { color?: boolean; intervalMs?: number; now?: () => number } = {},
): Progress {
  const c = palette(opts.color ?? false)
  const now = opts.now ?? Date.now
  let timer: NodeJS.Timeout | undefined
  let label = ''
  let t0 = 0
  let frame = 0
  const clear = () => out.write('\r\u001b[2K')
  const draw = () => {
    clear()
    out.write(`${c.cyan(FRAMES[frame++ % FRAMES.length])} ${label} ${c.dim(secs(now() - t0))}`)
  }
  const halt = () => {
    if (timer) clearInterval(timer)
    timer = undefined
  }
  return {
    start(l) {
      halt()
      label = l
      t0 = now()
      draw()
      timer = setInterval(draw, opts.intervalMs ?? 100)
      timer.unref?.()
    },
    pause() {
      if (timer) clear()
      halt()
    },
    stop() {
      if (timer) clear()
      halt()
    },
  }
}

/** Plain progress for pipes and files: a line every `everyMs` while a step keeps running. */
export function plainProgress(
  out: NodeJS.WritableStream,
  opts: { everyMs?: number; now?: () => number } = {},
): Progress {
  const now = opts.now ?? Date.now
  let timer: NodeJS.Timeout | undefined
  const halt = () => {
    if (timer) clearInterval(timer)
    timer = undefined
  }
  return {
    start(label) {
      halt()
      const t0 = now()
      timer = setInterval(
        () => out.write(`  … still running: ${label} (${secs(now() - t0)})\n`),
        opts.everyMs ?? 10_000,
      )
      timer.unref?.()
    },
    pause: halt,
    stop: halt,
  }
}

/** No progress at all (-o json). */
export const noProgress: Progress = { start() {}, pause() {}, stop() {} }

/** Reads lines from a stream one at a time (teach-mode Enter, change confirmations); null at end of input. */
export class LineReader implements LineSource {
  #rl: readline.Interface
  #lines: string[] = []
  #waiting: ((l: string | null) => void)[] = []
  #closed = false
  /** A terminal echoes what is typed. */
  readonly echoes: boolean
  constructor(input: NodeJS.ReadableStream) {
    this.echoes = (input as { isTTY?: boolean }).isTTY === true
    this.#rl = readline.createInterface({ input, terminal: false, crlfDelay: Infinity })
    this.#rl.on('line', (l) => {
      const w = this.#waiting.shift()
      if (w) w(l)
      else this.#lines.push(l)
    })
    this.#rl.on('close', () => {
      this.#closed = true
      for (const w of this.#waiting.splice(0)) w(null)
    })
  }
  /** The next line, or null when the input has ended. */
  next(): Promise<string | null> {
    const l = this.#lines.shift()
    if (l !== undefined) return Promise.resolve(l)
    if (this.#closed) return Promise.resolve(null)
    return new Promise((resolve) => this.#waiting.push(resolve))
  }
  close(): void {
    this.#rl.close()
  }
}
