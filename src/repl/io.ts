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

/**
 * node's REPL with breakEvalOnSigint hands SIGINT back to node's default exit after each evaluation's synchronous
 * part, which silences process.on('SIGINT') listeners (the handlers that delete node pods). Re-installing the
 * listeners (off, then on: libuv registers its handler again) brings them back; called after every evaluation starts.
 */
export function rearmSigint(proc: NodeJS.Process = process): void {
  const ls = proc.listeners('SIGINT')
  if (!ls.length) return
  proc.removeAllListeners('SIGINT')
  for (const l of ls) proc.on('SIGINT', l as (...a: unknown[]) => void)
}

/** The REPL as userLines needs it (node's REPLServer). */
interface QuestionServer {
  question(query: string, cb: (answer: string) => void): void
  pause(): unknown
  once(ev: 'close', fn: () => void): unknown
  off(ev: 'close', fn: () => void): unknown
}

/**
 * The user's next lines for a running command (teach mode, change() and node pod questions): from the gate (piped
 * input), else readline's question() (a dot-command runs), else, while a JavaScript input is being evaluated, the keys
 * themselves (readLineDuringEval). Null once the shell has closed.
 */
export function userLines(o: {
  gate?: LineGate
  server: QuestionServer
  closed: () => boolean
  evaluating: () => boolean
  write: (text: string) => void
}): { next(): Promise<string | null>; readonly echoes: boolean } {
  const { gate, server } = o
  if (gate) return { next: () => gate.next(), echoes: false }
  return {
    echoes: true,
    next: () => {
      if (o.closed()) return Promise.resolve(null)
      if (o.evaluating()) return readLineDuringEval(server, o.write)
      return new Promise((resolve) => {
        const onClose = () => resolve(null)
        server.once('close', onClose)
        server.question('', (answer) => {
          server.off('close', onClose)
          server.pause() // question() resumed the input; the command goes on
          resolve(answer)
        })
      })
    },
  }
}

/** The key readline hands to _ttyWrite. */
interface Key {
  name?: string
  ctrl?: boolean
  meta?: boolean
}

/**
 * Reads one line on a terminal REPL while an input is being evaluated. node's REPL buffers keypresses until an
 * awaited input finishes (so readline's question() never gets them): this takes the keys itself meanwhile (echo,
 * backspace, Enter), then gives them back. Ctrl-C and Ctrl-D answer null; Ctrl-C still reaches the REPL (it
 * interrupts the input as usual).
 */
export function readLineDuringEval(server: object, write: (text: string) => void): Promise<string | null> {
  const srv = server as {
    _ttyWrite: (d: string | undefined, key?: Key) => void
    once(ev: 'close', fn: () => void): void
    off(ev: 'close', fn: () => void): void
  }
  const own = Object.prototype.hasOwnProperty.call(srv, '_ttyWrite')
  const orig = srv._ttyWrite
  return new Promise((resolve) => {
    let buf = ''
    const done = (v: string | null) => {
      if (own) srv._ttyWrite = orig
      else delete (srv as { _ttyWrite?: unknown })._ttyWrite
      srv.off('close', onClose)
      write('\n')
      resolve(v)
    }
    const onClose = () => done(null)
    srv.once('close', onClose)
    srv._ttyWrite = (d, key = {}) => {
      if (key.ctrl && (key.name === 'c' || key.name === 'd')) {
        done(null)
        if (key.name === 'c') orig.call(srv, d, key)
        return
      }
      if (key.name === 'return' || key.name === 'enter') return done(buf)
      if (key.name === 'backspace') {
        if (buf) {
          buf = [...buf].slice(0, -1).join('')
          write('\b \b')
        }
        return
      }
      if (d && !key.ctrl && !key.meta && !/[\u0000-\u001f\u007f]/.test(d)) {
        buf += d
        write(d)
      }
    }
  })
}
