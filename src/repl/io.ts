// Stream plumbing for the REPL: an output tap that records what an input printed, and a line gate
// that feeds piped input one line at a time (so `x = await f()` finishes before the next line runs).
import readline from 'node:readline'
import { PassThrough } from 'node:stream'

type Write = NodeJS.WritableStream['write']

/** Wraps output.write to copy everything written while recording; raw() writes past the recording. */
export class OutputTap {
  #orig: Write
  #buf: string[] | undefined
  /** Called before anything is written (not raw()): a status line clears itself here. */
  beforeWrite?: () => void
  constructor(private out: NodeJS.WritableStream) {
    this.#orig = out.write
    const tap = this
    out.write = function (this: NodeJS.WritableStream, chunk: unknown, ...rest: unknown[]) {
      tap.beforeWrite?.()
      if (tap.#buf) tap.#buf.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'))
      return (tap.#orig as (...a: unknown[]) => boolean).call(this, chunk, ...rest)
    } as Write
  }
  /** Starts recording (drops anything recorded before). */
  start(): void {
    this.#buf = []
  }
  get recording(): boolean {
    return this.#buf !== undefined
  }
  /** Length of what was recorded so far. */
  get length(): number {
    return this.#buf?.reduce((n, s) => n + s.length, 0) ?? 0
  }
  /** Stops recording and returns the text. */
  stop(): string {
    const t = this.#buf?.join('') ?? ''
    this.#buf = undefined
    return t
  }
  /** Writes without recording (status lines that are not part of an input's output). */
  raw(text: string): void {
    ;(this.#orig as (s: string) => boolean).call(this.out, text)
  }
  /** Puts the original write back. */
  restore(): void {
    this.out.write = this.#orig
  }
}

/** Feeds lines of a non-terminal input to the REPL one at a time; release() lets the next one through. */
export class LineGate {
  readonly stream = new PassThrough()
  #queue: string[] = []
  #busy = false
  #ended = false
  #stopped = false
  #takers: ((line: string | null) => void)[] = []
  #rl: readline.Interface

  constructor(input: NodeJS.ReadableStream) {
    this.#rl = readline.createInterface({ input, terminal: false, crlfDelay: Infinity })
    this.#rl.on('line', (l) => {
      const taker = this.#takers.shift()
      if (taker) return taker(l)
      this.#queue.push(l)
      this.#pump()
    })
    this.#rl.on('close', () => {
      this.#ended = true
      for (const t of this.#takers.splice(0)) t(null)
      this.#pump()
    })
  }

  /** The REPL is idle again (it showed its prompt): send the next line. */
  release(): void {
    this.#busy = false
    setImmediate(() => this.#pump())
  }

  /** Takes the next line for a running command (it never reaches the REPL); null when the input has ended. */
  next(): Promise<string | null> {
    const line = this.#queue.shift()
    if (line !== undefined) return Promise.resolve(line)
    if (this.#ended || this.#stopped) return Promise.resolve(null)
    return new Promise((resolve) => this.#takers.push(resolve))
  }

  /** Stops feeding (the REPL closed). */
  stop(): void {
    this.#stopped = true
    this.#rl.close()
  }

  #pump(): void {
    if (this.#busy || this.#stopped) return
    const line = this.#queue.shift()
    if (line !== undefined) {
      this.#busy = true
      this.stream.write(`${line}\n`)
    } else if (this.#ended) {
      this.#stopped = true
      this.stream.end()
    }
  }
}
