// One HTTP(S) request to the API server over a given agent: the answer read whole, failures as KubeErrors.
import http from 'node:http'
import https from 'node:https'
import { httpError, networkError, KubeError, type KubeErrorContext } from './errors.ts'

/** Options of one request. */
export interface RequestOptions {
  method?: string
  accept?: string
  timeoutMs?: number
  /** What the call is about, for error messages (notfound names it). */
  object?: KubeErrorContext['object']
  body?: string
  contentType?: string
}

/** A successful answer (status < 400). */
export interface Response {
  status: number
  body: string
  durationMs: number
}

const USER_AGENT = 'kinspect/0.1'

/** Sends one request over `agent` to `server`; resolves on status < 400, else rejects with a KubeError. */
export function sendRequest(
  server: string,
  agent: http.Agent,
  path: string,
  method: string,
  headers: Record<string, string>,
  opts: RequestOptions & { timeoutMs: number },
  ctx: KubeErrorContext,
  callStart = performance.now(),
): Promise<Response> {
  const timeoutMs = opts.timeoutMs
  const t0 = performance.now()
  const url = new URL(server + path)
  const mod = url.protocol === 'http:' ? http : https
  return new Promise<Response>((resolve, reject) => {
    const h: Record<string, string> = {
      ...headers,
      Accept: opts.accept ?? 'application/json',
      'User-Agent': USER_AGENT,
    }
    if (opts.body !== undefined) {
      h['Content-Type'] = opts.contentType ?? 'application/json'
      // Node sends a DELETE body with neither length nor chunking; the server would read it as the next request.
      h['Content-Length'] = String(Buffer.byteLength(opts.body))
    }
    const req = mod.request(url, { method, agent, headers: h })
    const timer = setTimeout(
      () => req.destroy(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: 'ETIMEDOUT' })),
      timeoutMs,
    )
    const fail = (e: unknown) => {
      clearTimeout(timer)
      const err = e instanceof KubeError ? e : networkError(e, { ...ctx, durationMs: performance.now() - callStart }) // the whole call, credentials included
      if (req.reusedSocket && (e as any)?.code === 'ECONNRESET') (err as any).reusedSocket = true
      reject(err)
    }
    req.on('error', fail)
    req.on('response', (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('error', fail)
      res.on('aborted', () =>
        fail(Object.assign(new Error('the server closed the connection mid-answer'), { code: 'ECONNRESET' })),
      )
      res.on('end', () => {
        clearTimeout(timer)
        const body = Buffer.concat(chunks).toString('utf8')
        const durationMs = performance.now() - t0
        const status = res.statusCode ?? 0
        if (status >= 400) reject(httpError(status, body, { ...ctx, durationMs }))
        else resolve({ status, body, durationMs })
      })
    })
    req.end(opts.body)
  })
}
