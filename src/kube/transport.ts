// HTTP(S) to the API server: client-node's KubeConfig (imported lazily) for credentials, one keep-alive agent.
import http from 'node:http'
import https from 'node:https'
import fs from 'node:fs'
import type { KubeConfig } from '@kubernetes/client-node'
import { KubeError, type KubeErrorContext } from './errors.ts'
import { ExecCredentials, pluginLine } from './execcred.ts'
import type { KubeconfigInfo } from './kubeconfig.ts'
import { certKeyOf, clientNodeOptions, notAfter } from './transport-config.ts'
import { sendRequest, type RequestOptions, type Response } from './transport-send.ts'

export { clientNodeOptions, notAfter } from './transport-config.ts'
export type { RequestOptions, Response } from './transport-send.ts'

interface State {
  kc: KubeConfig
  agent: http.Agent
  headers: Record<string, string>
  /** Credentials that change (exec plugins, auth providers): re-applied per request. */
  dynamic: boolean
  certKey?: string
  /** The TLS settings the agents were made from. */
  tls: https.RequestOptions
  /** For WebSocket upgrades (exec): no keep-alive, its own TLS session cache. */
  upgradeAgent?: http.Agent
  /** When the kubeconfig's own client certificate stops being valid (ms since the epoch). */
  certNotAfter?: number
}

/** What a WebSocket upgrade to the API server needs. */
export interface UpgradeInfo {
  /** The server URL, e.g. https://10.99.0.1:6443. */
  server: string
  agent: http.Agent
  /** Authorization and the other credential headers; never logged. */
  headers: Record<string, string>
}

/** One API server connection: lazy client-node, cached credentials, keep-alive sockets. */
export class Transport {
  readonly server: string
  private state?: Promise<State>
  private token?: { value: string; readAt: number }
  private closed = false
  private exec?: ExecCredentials
  constructor(
    private info: KubeconfigInfo,
    private defaultTimeoutMs = 30_000,
  ) {
    this.server = info.server
    const spec = info.user.auth === 'exec' ? info.merged.users.get(info.user.name)?.value.exec : undefined
    if (spec) this.exec = new ExecCredentials(info.user.name, spec, { server: this.server })
  }

  /** client-node's KubeConfig for this context (created once; first call imports client-node). */
  async kubeConfig(): Promise<KubeConfig> {
    return (await this.ready()).kc
  }

  private ready(): Promise<State> {
    if (!this.state) {
      this.state = this.init()
      this.state.catch(() => (this.state = undefined)) // let a later call retry after the user fixes things
    }
    return this.state
  }

  private makeAgent(o: https.RequestOptions): http.Agent {
    if (this.info.cluster.proxyUrl && o.agent) return o.agent as http.Agent
    if (this.server.startsWith('http:')) return new http.Agent({ keepAlive: true, maxSockets: 16 })
    return new https.Agent({
      keepAlive: true,
      maxSockets: 16,
      ca: o.ca,
      cert: o.cert,
      key: o.key,
      rejectUnauthorized: o.rejectUnauthorized,
      servername: o.servername,
    })
  }

  private async init(): Promise<State> {
    const k8s = await import('@kubernetes/client-node')
    const kc = new k8s.KubeConfig()
    kc.loadFromOptions(clientNodeOptions(this.info))
    const o: https.RequestOptions = {}
    try {
      await kc.applyToHTTPSOptions(o)
    } catch (e) {
      throw this.credentialError(e)
    }
    const dynamic = this.info.user.auth === 'auth-provider'
    return {
      kc,
      agent: this.makeAgent(o),
      headers: this.headersOf(o),
      dynamic,
      certKey: certKeyOf(o),
      tls: o,
      certNotAfter: notAfter(o.cert),
    }
  }

  private credentialError(e: unknown): KubeError {
    const err = e as NodeJS.ErrnoException
    if (err?.code === 'ENOENT' || err?.code === 'EACCES') {
      return new KubeError(
        'noconfig',
        `cannot read ${err.path ?? 'a file'} named by context "${this.info.currentContext}" (${err.code})`,
        `fix the path in ${this.info.cluster.source}, or embed the data (certificate-authority-data, client-*-data)`,
        e,
        { server: this.server, file: err.path },
      )
    }
    if (this.info.user.auth === 'exec' || this.info.user.auth === 'auth-provider') {
      return new KubeError(
        'unauthorized',
        `getting credentials for user "${this.info.user.name}" failed: ${err?.message ?? e}`,
        'run the exec credential plugin of the kubeconfig user by hand to see why',
        e,
        { server: this.server },
      )
    }
    return new KubeError(
      'invalid',
      `context "${this.info.currentContext}" cannot be used: ${err?.message ?? e}`,
      'check the user and cluster entries (kubectl config view --minify)',
      e,
      { server: this.server },
    )
  }

  private headersOf(o: https.RequestOptions): Record<string, string> {
    const h: Record<string, string> = {}
    for (const [k, v] of Object.entries(o.headers ?? {})) if (v !== undefined) h[k] = String(v)
    if (o.auth) h.Authorization = `Basic ${Buffer.from(o.auth).toString('base64')}`
    return h
  }

  private tokenFileHeader(): Record<string, string> {
    const u = this.info.user.name ? this.info.merged.users.get(this.info.user.name)?.value : undefined
    const file = u?.tokenFile
    if (!file) return {}
    if (!this.token || Date.now() - this.token.readAt > 60_000) {
      try {
        this.token = { value: fs.readFileSync(file, 'utf8').trim(), readAt: Date.now() }
      } catch (e) {
        throw new KubeError(
          'noconfig',
          `cannot read tokenFile ${file} of user "${this.info.user.name}"`,
          'fix the tokenFile path in the kubeconfig',
          e,
          { file, server: this.server },
        )
      }
    }
    return { Authorization: `Bearer ${this.token.value}` }
  }

  private async headersFor(s: State): Promise<Record<string, string>> {
    if (this.exec) {
      const c = await this.exec.get()
      if (c.cert && c.key) this.useCert(s, { ...s.tls, cert: c.cert, key: c.key })
      return c.token ? { ...s.headers, Authorization: `Bearer ${c.token}` } : { ...s.headers }
    }
    if (!s.dynamic) return { ...s.headers, ...this.tokenFileHeader() }
    const o: https.RequestOptions = {}
    try {
      await s.kc.applyToHTTPSOptions(o)
    } catch (e) {
      throw this.credentialError(e)
    }
    this.useCert(s, o)
    return this.headersOf(o)
  }

  // New agents when the client certificate changed (credentials that rotate).
  private useCert(s: State, o: https.RequestOptions): void {
    const ck = certKeyOf(o)
    if (ck === s.certKey) return
    s.agent.destroy()
    s.agent = this.makeAgent(o)
    s.upgradeAgent?.destroy()
    s.upgradeAgent = undefined
    s.certKey = ck
    s.tls = o
  }

  // The credential headers, within the call's deadline (an exec plugin may hang; it is killed at its own deadline).
  private credentials(s: State, timeoutMs: number): Promise<Record<string, string>> {
    if (!this.exec) return this.headersFor(s)
    let timer: NodeJS.Timeout | undefined
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new KubeError(
              'unauthorized',
              `no credentials for user "${this.info.user.name}" within ${timeoutMs} ms: its exec credential plugin (${pluginLine(this.exec!.spec)}) is still running`,
              `run it by hand to see why: ${pluginLine(this.exec!.spec)}`,
              undefined,
              { server: this.server },
            ),
          ),
        timeoutMs,
      )
    })
    return Promise.race([this.headersFor(s), late]).finally(() => clearTimeout(timer))
  }

  // A 401 explained by what kinspect can see itself: the kubeconfig's client certificate expired. A plugin's cached
  // credential is dropped, so the next call runs the plugin again.
  private explain401(e: unknown, s: State): unknown {
    if (!(e instanceof KubeError) || e.kind !== 'unauthorized' || e.status !== 401) return e
    this.exec?.invalidate()
    if (s.certNotAfter !== undefined && s.certNotAfter < Date.now()) {
      const when = new Date(s.certNotAfter).toISOString().replace(/\.\d+Z$/, 'Z')
      e.message = `401 Unauthorized from ${this.server}: the client certificate of user "${this.info.user.name}" expired on ${when}`
      e.hint = `get a new certificate for this user (or a new kubeconfig), then retry; ${this.info.user.source ? `the certificate is in ${this.info.user.source}` : 'kubectl config view --minify shows the user'}`
    }
    return e
  }

  /** The agent and credential headers for a WebSocket upgrade (exec); the agent keeps no sockets, only TLS sessions. */
  async upgrade(): Promise<UpgradeInfo> {
    if (this.closed) throw new KubeError('invalid', 'this Kube client was closed', 'create a new one')
    const s = await this.ready()
    const headers = await this.headersFor(s)
    if (!s.upgradeAgent) {
      const o = s.tls
      if (this.info.cluster.proxyUrl && o.agent) s.upgradeAgent = o.agent as http.Agent
      else if (this.server.startsWith('http:')) s.upgradeAgent = new http.Agent({ keepAlive: false })
      else
        s.upgradeAgent = new https.Agent({
          keepAlive: false,
          ca: o.ca,
          cert: o.cert,
          key: o.key,
          rejectUnauthorized: o.rejectUnauthorized,
          servername: o.servername,
        })
    }
    return { server: this.server, agent: s.upgradeAgent, headers }
  }

  /** Sends one request; throws KubeError on a network failure or an HTTP status >= 400. */
  async request(path: string, opts: RequestOptions = {}): Promise<Response> {
    if (this.closed) throw new KubeError('invalid', 'this Kube client was closed', 'create a new one')
    const timeoutMs = opts.timeoutMs ?? this.defaultTimeoutMs
    const t0 = performance.now()
    const s = await this.ready()
    const headers = await this.credentials(s, timeoutMs)
    const method = opts.method ?? 'GET'
    const ctx: KubeErrorContext = { server: this.server, method, path, object: opts.object }
    // What is left of the call's deadline once the credentials are there.
    const once = () =>
      sendRequest(
        this.server,
        s.agent,
        path,
        method,
        headers,
        { ...opts, timeoutMs: Math.max(1, Math.round(timeoutMs - (performance.now() - t0))) },
        ctx,
        t0,
      )
    try {
      return await once()
    } catch (e) {
      // A keep-alive socket the server closed while idle: retry an idempotent request once on a fresh socket.
      if ((e as any)?.reusedSocket && method === 'GET')
        return once().catch((e2) => Promise.reject(this.explain401(e2, s)))
      throw this.explain401(e, s)
    }
  }

  /** Closes idle keep-alive sockets; further requests fail. */
  close(): void {
    this.closed = true
    this.exec?.close()
    this.state
      ?.then((s) => {
        s.agent.destroy()
        s.upgradeAgent?.destroy()
      })
      .catch(() => {})
  }
}
