// The agent's wire protocol, pure: requests the client writes to the agent's stdin, and a decoder for what the
// agent writes on its stdout. Lines are ASCII, fields separated by one space; byte payloads follow their header.
//
// client → agent                                   agent → client
//   R <id> <node|image> <secs> <n|-> <argv>\n [n]    H <version> <pid>\n           ready
//   K <id>\n        stop a command                   S <id>\n                      read (stdin staged), started
//   P <id>\n        ping                             A <id> <rc> <o> <e>\n [o][e]  finished: exit code, stdout, stderr
//   Q\n             quit                             K <id> <n>\n                  stopped (n processes signalled)
//                                                    P <id>\n                      pong
//                                                    X <id>\n | N <id>\n           rescue only: lost while running | never started
// <argv> is the words single-quoted for the agent's `eval "set -- …"` (a newline becomes '"$NL"' so the request
// stays one line); the agent reads the line with `read -r`, so no other byte is special.
import { HintedError } from '../../errors.ts'

/** Protocol version the agent announces in its hello. */
export const AGENT_VERSION = 1
/** Longest header line the decoder accepts (argv lines are not decoded: they only go to the agent). */
export const MAX_LINE = 4096

/** A command for the agent. */
export interface AgentRequest {
  /** [a-z0-9]+, unique per agent. */
  id: string
  from: 'node' | 'image'
  /** Deadline in whole seconds (timeout -k 2 SECS on the node). */
  seconds: number
  /** Staged to a file by the agent (head -c N) and given as the command's stdin; undefined: /dev/null. */
  stdin?: Buffer
  argv: readonly string[]
}

const ID = /^[a-z0-9]+$/

/** One word single-quoted for sh, a newline written as '"$NL"' (the agent sets NL to a newline). */
export function quoteWord(w: string): string {
  return `'${w.replace(/'/g, `'\\''`).replace(/\n/g, `'"$NL"'`)}'`
}

/** The bytes of one R request: the header line, then the stdin bytes. Throws TypeError for a malformed request. */
export function encodeRequest(r: AgentRequest): Buffer {
  if (!ID.test(r.id)) throw new TypeError(`encodeRequest: id must be [a-z0-9]+, received ${JSON.stringify(r.id)}`)
  if (r.from !== 'node' && r.from !== 'image')
    throw new TypeError(`encodeRequest: from must be "node" or "image", received ${JSON.stringify(r.from)}`)
  if (!Number.isInteger(r.seconds) || r.seconds < 1)
    throw new TypeError(`encodeRequest: seconds must be a positive integer, received ${JSON.stringify(r.seconds)}`)
  if (!Array.isArray(r.argv) || r.argv.length === 0)
    throw new TypeError('encodeRequest: argv must be a non-empty array of strings')
  for (const [i, w] of r.argv.entries()) {
    if (typeof w !== 'string' || w.includes('\0'))
      throw new TypeError(`encodeRequest: argv[${i}] must be a string without NUL bytes`)
  }
  const n = r.stdin === undefined ? '-' : String(r.stdin.length)
  const head = Buffer.from(`R ${r.id} ${r.from} ${r.seconds} ${n} ${r.argv.map(quoteWord).join(' ')}\n`, 'utf8')
  return r.stdin === undefined || r.stdin.length === 0 ? head : Buffer.concat([head, r.stdin])
}

/** A one-line control request: K (stop), P (ping) with an id; Q (quit) without. */
export function encodeControl(op: 'K' | 'P' | 'Q', id?: string): Buffer {
  if (op === 'Q') return Buffer.from('Q\n')
  if (op !== 'K' && op !== 'P')
    throw new TypeError(`encodeControl: op must be K, P or Q, received ${JSON.stringify(op)}`)
  if (!id || !ID.test(id)) throw new TypeError(`encodeControl: id must be [a-z0-9]+, received ${JSON.stringify(id)}`)
  return Buffer.from(`${op} ${id}\n`)
}

/** What the agent said. */
export type AgentEvent =
  | { type: 'hello'; version: number; pid: number }
  | { type: 'started'; id: string }
  | { type: 'answer'; id: string; exitCode: number; stdout: Buffer; stderr: Buffer }
  | { type: 'stopped'; id: string; signalled: number }
  | { type: 'pong'; id: string }
  | { type: 'lost'; id: string }
  | { type: 'unstarted'; id: string }

/** The stream broke the protocol (the agent is then unusable). */
export class AgentProtocolError extends HintedError<'protocol'> {
  override name = 'AgentProtocolError'
  constructor(message: string) {
    super('protocol', message, 'the agent is replaced on the next command; report it if it happens again')
  }
}

const NUM = /^(0|[1-9][0-9]{0,11})$/

/** Decodes the agent's stdout from chunks split anywhere; push() returns the events completed so far. */
export class AgentDecoder {
  /** Bytes received and not decoded yet (joined only when a line or a whole answer is complete). */
  private parts: Buffer[] = []
  private have = 0
  /** An answer whose bytes are still arriving. */
  private body?: { id: string; exitCode: number; out: number; err: number }
  /** Set once the stream broke the protocol; later pushes throw it again. */
  broken?: AgentProtocolError

  push(chunk: Buffer): AgentEvent[] {
    if (this.broken) throw this.broken
    if (chunk.length) {
      this.parts.push(chunk)
      this.have += chunk.length
    }
    const events: AgentEvent[] = []
    try {
      for (;;) {
        if (this.body) {
          const { id, exitCode, out, err } = this.body
          if (this.have < out + err) break
          const all = this.take()
          events.push({
            type: 'answer',
            id,
            exitCode,
            stdout: all.subarray(0, out),
            stderr: all.subarray(out, out + err),
          })
          this.keep(all.subarray(out + err))
          this.body = undefined
          continue
        }
        if (!this.have) break
        let nl = -1
        for (let i = 0, off = 0; i < this.parts.length && nl < 0; off += this.parts[i].length, i++) {
          const j = this.parts[i].indexOf(10)
          if (j >= 0) nl = off + j
        }
        if (nl < 0) {
          if (this.have > MAX_LINE)
            throw new AgentProtocolError(`the agent sent ${this.have} bytes without a line end: ${show(this.take())}`)
          break
        }
        const all = this.take()
        this.keep(all.subarray(nl + 1))
        const ev = this.line(all.subarray(0, nl).toString('latin1'))
        if (ev) events.push(ev)
      }
    } catch (e) {
      this.broken = e as AgentProtocolError
      throw e
    }
    return events
  }

  /** True when no partial line or answer is buffered. */
  get idle(): boolean {
    return !this.body && this.have === 0
  }

  private take(): Buffer {
    const all = this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts, this.have)
    this.parts = []
    this.have = 0
    return all
  }
  private keep(rest: Buffer): void {
    if (rest.length) {
      this.parts = [rest]
      this.have = rest.length
    }
  }

  private line(line: string): AgentEvent | undefined {
    const f = line.split(' ')
    const bad = () =>
      new AgentProtocolError(`the agent sent a line that is not in its protocol: ${show(Buffer.from(line, 'latin1'))}`)
    const id = f[1] ?? ''
    if (f[0] !== 'H' && !ID.test(id)) throw bad()
    const num = (s: string | undefined) => {
      if (s === undefined || !NUM.test(s)) throw bad()
      return Number(s)
    }
    switch (f[0]) {
      case 'H':
        if (f.length !== 3) throw bad()
        return { type: 'hello', version: num(f[1]), pid: num(f[2]) }
      case 'A': {
        if (f.length !== 5) throw bad()
        const exitCode = num(f[2])
        if (exitCode > 255) throw bad()
        this.body = { id, exitCode, out: num(f[3]), err: num(f[4]) }
        return undefined
      }
      case 'K':
        if (f.length !== 3) throw bad()
        return { type: 'stopped', id, signalled: num(f[2]) }
      case 'S':
      case 'P':
      case 'X':
      case 'N':
        if (f.length !== 2) throw bad()
        return { type: ({ S: 'started', P: 'pong', X: 'lost', N: 'unstarted' } as const)[f[0]], id }
      default:
        throw bad()
    }
  }
}

function show(b: Buffer): string {
  return JSON.stringify(b.subarray(0, 120).toString('latin1'))
}
