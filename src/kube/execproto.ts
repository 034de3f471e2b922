// The pod exec protocol over WebSocket (channel.k8s.io v4/v5), as pure functions: URL, frames, status.

/** Channel numbers: the first byte of every binary message. */
export const CHANNEL = { stdin: 0, stdout: 1, stderr: 2, status: 3, resize: 4, close: 255 } as const

/** v5 adds the CLOSE frame (kubernetes#89899), so stdin can be closed on its own. */
export const PROTOCOL_V5 = 'v5.channel.k8s.io'
/** v4 has no CLOSE frame: stdin can only end with the whole connection. */
export const PROTOCOL_V4 = 'v4.channel.k8s.io'

/** Which subprotocols to offer: 'auto' offers v5 then v4 (the server picks); 'v4' offers only v4. */
export type ExecProtocolChoice = 'auto' | 'v4'

/** The subprotocols offered for a choice, best first. */
export function offeredProtocols(choice: ExecProtocolChoice = 'auto'): string[] {
  return choice === 'v4' ? [PROTOCOL_V4] : [PROTOCOL_V5, PROTOCOL_V4]
}

/** True when the negotiated protocol can close stdin alone (CLOSE frame). */
export function canCloseStdin(protocol: string): boolean {
  return protocol === PROTOCOL_V5
}

const NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/

/** The exec path with its query: one `command` parameter per argv word, in order. */
export function execPath(
  namespace: string,
  pod: string,
  o: { container?: string; command: readonly string[]; stdin: boolean },
): string {
  if (!NAME.test(namespace))
    throw new TypeError(`execPath: namespace must be a DNS name, received ${JSON.stringify(namespace)}`)
  if (!NAME.test(pod)) throw new TypeError(`execPath: pod must be a DNS name, received ${JSON.stringify(pod)}`)
  if (!Array.isArray(o.command) || o.command.length === 0)
    throw new TypeError('execPath: command must be a non-empty array of strings')
  const q = new URLSearchParams()
  if (o.container) q.append('container', o.container)
  for (const w of o.command) q.append('command', w)
  q.append('stdin', String(o.stdin))
  q.append('stdout', 'true')
  q.append('stderr', 'true')
  q.append('tty', 'false')
  return `/api/v1/namespaces/${namespace}/pods/${pod}/exec?${q.toString().replace(/\+/g, '%20')}`
}

/** One message on a channel: [channel, ...data]. */
export function frame(channel: number, data: Buffer): Buffer {
  const b = Buffer.allocUnsafe(data.length + 1)
  b[0] = channel
  data.copy(b, 1)
  return b
}

/** The v5 CLOSE message for a channel: [255, channel]. */
export function closeFrame(channel: number): Buffer {
  return Buffer.from([CHANNEL.close, channel])
}

/** stdin data split into messages of at most max bytes each (an empty input sends nothing). */
export function stdinFrames(data: Buffer, max = 32 * 1024): Buffer[] {
  const out: Buffer[] = []
  for (let i = 0; i < data.length; i += max) out.push(frame(CHANNEL.stdin, data.subarray(i, i + max)))
  return out
}

/** What the status channel said: exitCode for a command that ran, else the reason it did not. */
export interface ExecStatus {
  /** 0 on Success, N for NonZeroExitCode, null when the command did not run or the status is not understood. */
  exitCode: number | null
  status: string
  reason?: string
  message?: string
}

/**
 * Reads the status channel's V1Status: {"status":"Success"}, or "Failure" with reason NonZeroExitCode and
 * details.causes [{reason: "ExitCode", message: "<n>"}]; any other failure (e.g. the container's program not
 * found) has exitCode null and the server's message.
 */
export function parseExecStatus(payload: Buffer | string): ExecStatus {
  const text = payload.toString()
  let j: any
  try {
    j = JSON.parse(text)
  } catch {
    return {
      exitCode: null,
      status: 'Unknown',
      message: `the status channel sent something that is not JSON: ${text.slice(0, 120)}`,
    }
  }
  if (!j || typeof j !== 'object')
    return { exitCode: null, status: 'Unknown', message: `unexpected status: ${text.slice(0, 120)}` }
  const status = typeof j.status === 'string' ? j.status : 'Unknown'
  const base = {
    status,
    reason: typeof j.reason === 'string' ? j.reason : undefined,
    message: typeof j.message === 'string' ? j.message : undefined,
  }
  if (status === 'Success') return { exitCode: 0, ...base }
  if (j.reason === 'NonZeroExitCode') {
    const cause = (j.details?.causes as { reason?: string; message?: string }[] | undefined)?.find(
      (c) => c?.reason === 'ExitCode',
    )
    const n = Number(cause?.message)
    if (cause && Number.isInteger(n) && n >= 0) return { exitCode: n, ...base }
  }
  return { exitCode: null, ...base }
}
