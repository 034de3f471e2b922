// Exec into a pod over the API server's WebSocket endpoint, with `ws` directly (imported on first use).
// client-node's Exec is not used: it offers a fixed protocol list (no way to force v4), ends stdin on v4 by
// closing the whole connection, calls process.stdout.end() when the server closes a channel, and gives no signal
// when the status never comes (kubernetes-client/javascript#714).
import { performance } from 'node:perf_hooks'
import { KubeError, httpError, networkError } from './errors.ts'
import {
  CHANNEL,
  canCloseStdin,
  closeFrame,
  execPath,
  offeredProtocols,
  parseExecStatus,
  stdinFrames,
  type ExecProtocolChoice,
  type ExecStatus,
} from './execproto.ts'
import type { UpgradeInfo } from './transport.ts'

/** One exec: where, what, and how stdin ends. */
export interface ExecRequest {
  namespace: string
  pod: string
  container?: string
  command: readonly string[]
  /** Bytes for the command's stdin; undefined opens no stdin. */
  stdin?: Buffer
  /** Offer v5 and v4 (default) or only v4. */
  protocol?: ExecProtocolChoice
  /**
   * 'close' (default): stdin ends with v5's CLOSE frame; when the server picked v4 the exec fails with kind
   * 'unsupported' before any input is sent. 'none': the command itself stops reading (e.g. head -c N).
   */
  stdinEnd?: 'close' | 'none'
  /** Stops waiting: the connection is closed (the remote process is NOT killed by that; see the caller). */
  signal?: AbortSignal
  /** Limit for the connection and upgrade (default 15000 ms). */
  connectTimeoutMs?: number
  /** How long to wait for the server to close after the status arrived (default 2000 ms). */
  drainMs?: number
  /** Called once the server accepted the upgrade, with the protocol it picked. */
  onOpen?: (protocol: string) => void
  /**
   * A long-lived exec: stdin stays open (after `stdin`, if any) and this receives a handle to send more, once the
   * server accepted the upgrade. stdinEnd is ignored.
   */
  onStream?: (h: ExecStreamHandle) => void
  /** stdout and stderr as they arrive. */
  onStdout?: (chunk: Buffer) => void
  onStderr?: (chunk: Buffer) => void
  /** Keep stdout and stderr for the result (default true; a long-lived exec passes false). */
  collect?: boolean
}

/** The open end of a long-lived exec (ExecRequest.onStream). */
export interface ExecStreamHandle {
  readonly protocol: string
  /** Sends stdin bytes; false once the connection has ended. */
  write(data: Buffer): boolean
  /** Closes stdin alone (v5's CLOSE frame); false where the protocol cannot (v4) or the connection has ended. */
  closeStdin(): boolean
  /** Closes the connection after what was written (the remote process is not killed by that). */
  close(): void
  /** Whether the open connection keeps Node's event loop alive (true at first); an idle agent passes false. */
  keepAlive(on: boolean): void
}

/** What came back. status is undefined when the connection ended without one (then closeCode says how it ended). */
export interface ExecStreamResult {
  protocol: string
  stdout: Buffer
  stderr: Buffer
  status?: ExecStatus
  closeCode?: number
  closeReason?: string
  /** The caller's signal stopped it. */
  aborted: boolean
  durationMs: number
}

type WsModule = typeof import('ws')
let wsModule: Promise<WsModule> | undefined

/** Runs one command in a pod and collects its output until the server closes the stream. */
export async function execStream(conn: UpgradeInfo, req: ExecRequest): Promise<ExecStreamResult> {
  const t0 = performance.now()
  const path = execPath(req.namespace, req.pod, {
    container: req.container,
    command: req.command,
    stdin: req.stdin !== undefined || req.onStream !== undefined,
  })
  const ctx = {
    server: conn.server,
    method: 'GET',
    path: path.split('?')[0],
    object: { kind: 'Pod', name: req.pod, namespace: req.namespace },
  }
  if (req.signal?.aborted)
    return { protocol: '', stdout: Buffer.alloc(0), stderr: Buffer.alloc(0), aborted: true, durationMs: 0 }
  const { default: WebSocket } = await (wsModule ??= import('ws'))
  const url = conn.server.replace(/^http/, 'ws') + path
  const ws = new WebSocket(url, offeredProtocols(req.protocol), {
    agent: conn.agent,
    headers: conn.headers,
    perMessageDeflate: false,
    followRedirects: false,
  })
  return new Promise<ExecStreamResult>((resolve, reject) => {
    const out: Buffer[] = []
    const err: Buffer[] = []
    let status: ExecStatus | undefined
    let opened = false
    let aborted = false
    let settled = false
    let drain: NodeJS.Timeout | undefined
    let socket: { ref(): unknown; unref(): unknown } | undefined
    const collect = req.collect ?? true
    const connectMs = req.connectTimeoutMs ?? 15_000
    const connectTimer = setTimeout(
      () =>
        fail(
          new KubeError(
            'connection',
            `exec into pod ${req.namespace}/${req.pod}: no WebSocket upgrade from ${conn.server} within ${connectMs} ms`,
            'the API server or the kubelet behind it is slow or unreachable',
            undefined,
            ctx,
          ),
        ),
      connectMs,
    )
    const done = () => {
      clearTimeout(connectTimer)
      clearTimeout(drain)
      req.signal?.removeEventListener('abort', onAbort)
    }
    const fail = (e: KubeError) => {
      if (settled) return
      settled = true
      done()
      ws.terminate()
      reject(e)
    }
    const finish = (code?: number, reason?: string) => {
      if (settled) return
      settled = true
      done()
      resolve({
        protocol: ws.protocol,
        stdout: Buffer.concat(out),
        stderr: Buffer.concat(err),
        status,
        closeCode: code,
        closeReason: reason,
        aborted,
        durationMs: performance.now() - t0,
      })
    }
    const onAbort = () => {
      aborted = true
      if (!opened)
        return fail(
          new KubeError(
            'connection',
            `exec into pod ${req.namespace}/${req.pod} was aborted before it started`,
            undefined,
            undefined,
            ctx,
          ),
        )
      ws.terminate()
      finish()
    }
    req.signal?.addEventListener('abort', onAbort, { once: true })
    ws.on('error', (e) => {
      if (!opened) fail(networkError(e, ctx))
      // after the upgrade an error is followed by 'close', which settles
    })
    ws.on('unexpected-response', (_r, res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () =>
        fail(
          httpError(res.statusCode ?? 0, Buffer.concat(chunks).toString('utf8'), {
            ...ctx,
            durationMs: performance.now() - t0,
          }),
        ),
      )
      res.on('error', (e) => fail(networkError(e, ctx)))
    })
    ws.on('upgrade', (res) => (socket = res.socket))
    ws.on('open', () => {
      opened = true
      clearTimeout(connectTimer)
      req.onOpen?.(ws.protocol)
      if (req.onStream) {
        if (req.stdin !== undefined) for (const f of stdinFrames(req.stdin)) ws.send(f)
        return req.onStream(
          streamHandle(ws, {
            settled: () => settled,
            finish: () => finish(),
            socket: () => socket,
          }),
        )
      }
      const refused = sendStdin(ws, req)
      if (refused)
        fail(new KubeError('unsupported', refused, 'the command did not get its input; run it again', undefined, ctx))
    })
    ws.on('message', (data, isBinary) => {
      const b = isBinary ? data : Buffer.from(data)
      if (b.length === 0) return
      const ch = b[0]
      const payload = b.subarray(1)
      if (ch === CHANNEL.stdout) {
        if (collect) out.push(payload)
        req.onStdout?.(payload)
      } else if (ch === CHANNEL.stderr) {
        if (collect) err.push(payload)
        req.onStderr?.(payload)
      } else if (ch === CHANNEL.status && payload.length > 0) {
        status = parseExecStatus(payload)
        // The server closes after the status; output sent on other streams may still be in flight behind it.
        drain = setTimeout(() => {
          ws.terminate()
          finish()
        }, req.drainMs ?? 2000)
      }
    })
    ws.on('close', (code, reason) => finish(code, reason.toString('utf8') || undefined))
  })
}

type Socket = InstanceType<WsModule['default']>

// The handle of a long-lived exec: stdin frames while the connection is open, v5's CLOSE of stdin, a close after
// what was sent (the socket dropped if the server does not answer within 1 s), and whether it keeps node alive.
function streamHandle(
  ws: Socket,
  o: {
    settled: () => boolean
    finish: () => void
    socket: () => { ref(): unknown; unref(): unknown } | undefined
  },
): ExecStreamHandle {
  const open = () => !o.settled() && ws.readyState === 1 // WebSocket.OPEN (fixed by the WebSocket standard)
  return {
    protocol: ws.protocol,
    write: (data) => {
      if (!open()) return false
      for (const f of stdinFrames(data)) ws.send(f)
      return true
    },
    closeStdin: () => {
      if (!open() || !canCloseStdin(ws.protocol)) return false
      ws.send(closeFrame(CHANNEL.stdin))
      return true
    },
    close: () => {
      if (!o.settled()) {
        ws.close(1000)
        setTimeout(() => ws.terminate(), 1000).unref()
      }
      o.finish()
    },
    keepAlive: (on) => void (on ? o.socket()?.ref() : o.socket()?.unref()),
  }
}

// A one-shot exec's stdin: its frames, then v5's CLOSE (stdinEnd 'close'). Returns why it cannot be sent (v4 cannot
// close stdin on its own, so nothing is sent), else undefined.
function sendStdin(ws: Socket, req: ExecRequest): string | undefined {
  if (req.stdin === undefined) return undefined
  const close = (req.stdinEnd ?? 'close') === 'close'
  if (close && !canCloseStdin(ws.protocol))
    return `the API server answered exec with ${ws.protocol || 'no subprotocol'}, which cannot close stdin on its own`
  for (const f of stdinFrames(req.stdin)) ws.send(f)
  if (close) ws.send(closeFrame(CHANNEL.stdin))
  return undefined
}
