// Exec credential plugins (a kubeconfig user's `exec`): run with a deadline and killed with their children when it
// passes, their answer cached until it expires. client-node would wait for a hung plugin forever.
import { spawn, type ChildProcess } from 'node:child_process'
import { KubeError } from './errors.ts'

/** A kubeconfig user's exec section (the fields kinspect uses). */
export interface ExecSpec {
  command?: string
  args?: string[]
  env?: { name: string; value: string }[]
  apiVersion?: string
  installHint?: string
  [k: string]: unknown
}

/** What a plugin answered: a bearer token and/or a client certificate, and when it expires (ms since the epoch). */
export interface ExecCredential {
  token?: string
  cert?: string
  key?: string
  expiresAt?: number
}

/** How long one run of a plugin may take before it is killed. */
export const PLUGIN_TIMEOUT_MS = 30_000

/** The plugin's command line as shown in messages (arguments with spaces or quotes single-quoted). */
export function pluginLine(spec: ExecSpec): string {
  const q = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`)
  return [spec.command ?? '', ...(spec.args ?? [])].map(q).join(' ')
}

/** The credential in a plugin's stdout (an ExecCredential object); throws an Error whose message says what is wrong. */
export function parseExecCredential(stdout: string): ExecCredential {
  let j: any
  try {
    j = JSON.parse(stdout)
  } catch {
    throw new Error(`its output is not JSON: ${JSON.stringify(stdout.trim().slice(0, 80))}`)
  }
  const st = j?.status
  if (!j || typeof j !== 'object' || j.kind !== 'ExecCredential' || !st || typeof st !== 'object')
    throw new Error('its output is not an ExecCredential with a status')
  const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined)
  const c: ExecCredential = { token: str(st.token), cert: str(st.clientCertificateData), key: str(st.clientKeyData) }
  if (!c.token && !(c.cert && c.key))
    throw new Error('its ExecCredential has neither a token nor a client certificate and key')
  if (str(st.expirationTimestamp)) {
    const t = Date.parse(st.expirationTimestamp)
    if (Number.isNaN(t))
      throw new Error(`its expirationTimestamp ${JSON.stringify(st.expirationTimestamp)} is not a time`)
    c.expiresAt = t
  }
  return c
}

// Plugins still running when kinspect exits are killed with it (their process group).
const live = new Set<ChildProcess>()
let exitHook = false
function killGroup(p: ChildProcess): void {
  try {
    process.kill(-p.pid!, 'SIGKILL')
  } catch {
    p.kill('SIGKILL')
  }
}

/** Runs a plugin once: its credential, or a KubeError naming the user, the plugin and why (exit, output, deadline). */
export function runPlugin(
  user: string,
  spec: ExecSpec,
  o: { timeoutMs?: number; server?: string; signal?: AbortSignal } = {},
): Promise<ExecCredential> {
  const timeoutMs = o.timeoutMs ?? PLUGIN_TIMEOUT_MS
  const what = `the exec credential plugin of user "${user}" (${pluginLine(spec)})`
  const fail = (why: string, hint: string, cause?: unknown) =>
    new KubeError('unauthorized', `${what} ${why}`, hint, cause, { server: o.server })
  const byHand = `run it by hand to see why: ${pluginLine(spec)}`
  if (!spec.command) return Promise.reject(fail('has no command', 'set users[].user.exec.command in the kubeconfig'))
  if (!exitHook) {
    exitHook = true
    process.once('exit', () => live.forEach(killGroup))
  }
  const env: NodeJS.ProcessEnv = { ...process.env }
  for (const e of spec.env ?? []) env[e.name] = e.value
  env.KUBERNETES_EXEC_INFO = JSON.stringify({
    apiVersion: spec.apiVersion ?? 'client.authentication.k8s.io/v1',
    kind: 'ExecCredential',
    spec: { interactive: false },
  })
  return new Promise((resolve, reject) => {
    let out = ''
    let err = ''
    let timedOut = false
    // Its own process group, so the deadline kills what it started too (a shell's children).
    const p = spawn(spec.command!, spec.args ?? [], { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true })
    live.add(p)
    const timer = setTimeout(() => {
      timedOut = true
      killGroup(p)
    }, timeoutMs)
    const abort = () => killGroup(p)
    o.signal?.addEventListener('abort', abort, { once: true })
    p.stdout!.on('data', (d) => (out += d))
    p.stderr!.on('data', (d) => (err += d))
    p.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer)
      live.delete(p)
      o.signal?.removeEventListener('abort', abort)
      reject(
        fail(
          e.code === 'ENOENT' ? 'was not found' : `could not be started: ${e.message}`,
          spec.installHint?.trim() || 'install the plugin, or fix users[].user.exec.command in the kubeconfig',
          e,
        ),
      )
    })
    p.on('close', (code, signal) => {
      clearTimeout(timer)
      live.delete(p)
      o.signal?.removeEventListener('abort', abort)
      if (o.signal?.aborted) return reject(fail('was stopped: the Kube client was closed', 'create a new client'))
      if (timedOut) return reject(fail(`gave no answer within ${timeoutMs} ms and was killed`, byHand))
      const last = err.trim().split('\n').at(-1)
      if (code !== 0)
        return reject(
          fail(`failed (${signal ? `killed by ${signal}` : `exit ${code}`})${last ? `: ${last}` : ''}`, byHand),
        )
      try {
        resolve(parseExecCredential(out))
      } catch (e) {
        reject(fail((e as Error).message, byHand, e))
      }
    })
  })
}

/** One user's plugin: the cached credential while it is valid, else one run shared by the callers waiting for it. */
export class ExecCredentials {
  private cached?: ExecCredential
  private running?: Promise<ExecCredential>
  private stop = new AbortController()
  constructor(
    readonly user: string,
    readonly spec: ExecSpec,
    private o: { timeoutMs?: number; server?: string } = {},
  ) {}

  /** The credential (a cached one until 10 s before it expires). */
  get(): Promise<ExecCredential> {
    const c = this.cached
    if (c && (c.expiresAt === undefined || c.expiresAt - 10_000 > Date.now())) return Promise.resolve(c)
    this.running ??= runPlugin(this.user, this.spec, { ...this.o, signal: this.stop.signal }).then(
      (cred) => {
        this.running = undefined
        this.cached = cred
        return cred
      },
      (e) => {
        this.running = undefined
        throw e
      },
    )
    return this.running
  }

  /** Forgets the cached credential (the server rejected it). */
  invalidate(): void {
    this.cached = undefined
  }

  /** Kills a running plugin; later calls run it again. */
  close(): void {
    this.stop.abort()
    this.stop = new AbortController()
  }
}
