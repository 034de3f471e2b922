// SshPool: one ssh2 connection per node, opened on first use and reused, with capped channels and connects.
import type { Client, ClientChannel, ConnectConfig } from 'ssh2'
import { ExecError } from '../types.ts'
import { authError, authHandler, planAuth, type AuthPlan } from './auth.ts'
import { decideHostKey, loadKnownHosts, preferredHostKeyAlgorithms } from './hostcheck.ts'
import { Limit } from './limit.ts'
import type { ConfigText, JumpHost, ResolvedHost } from './sshconfig.ts'
import { SshExec, type ChannelSource, type OpenedChannel } from './exec.ts'
import { HostResolver, type HostResolverOptions } from './resolver.ts'
import type { SshClient } from './sshg.ts'

type Ssh2 = typeof import('ssh2')

/** Settings of a pool; every field has a default. */
export interface SshPoolOptions {
  /** Environment for KINSPECT_SSH_CONFIG, KINSPECT_KNOWN_HOSTS, SSH_AUTH_SOCK. Default process.env. */
  env?: Record<string, string | undefined>
  /** Config texts to use instead of reading the files. */
  configs?: ConfigText[]
  /** System config path; null to ignore it. Default /etc/ssh/ssh_config. */
  systemConfig?: string | null
  /** Concurrent channels per connection, below sshd's MaxSessions (10). Default 8. */
  maxChannels?: number
  /** Concurrent connection attempts, below sshd's MaxStartups (10). Default 8. */
  maxConnecting?: number
  /** Connect + handshake + auth deadline unless ConnectTimeout is set. Default 15000. */
  connectTimeoutMs?: number
  /** Keepalive interval; 3 missed replies mark the connection dead. Default 15000. */
  keepaliveMs?: number
  /** Where warnings go (e.g. an unknown key accepted under StrictHostKeyChecking=no). Default stderr. */
  onWarn?: (msg: string) => void
  /** How node settings are resolved (see HostResolverOptions). Default: env KINSPECT_SSH_RESOLVER, else 'auto'. */
  resolver?: HostResolverOptions['resolver']
  /** The OpenSSH client for 'ssh -G' (default: `ssh` on PATH; null: none). */
  ssh?: SshClient | null
}

/** Counters of one node's connection, for tests and diagnostics. */
export interface PoolStats {
  connected: boolean
  /** Connections opened so far (a reconnect makes it 2). */
  opens: number
  activeChannels: number
  peakChannels: number
  queued: number
}

interface Conn {
  node: string
  host: ResolvedHost
  client: Client
  /** Jump clients first, the node's client last. */
  chain: Client[]
  channels: Limit
  alive: boolean
}

const MAX_JUMP_DEPTH = 8
// Clients whose 'close' has fired, so ending them again need not wait.
const closedClients = new WeakSet<Client>()

/** Pooled SSH connections to the nodes, configured by ssh_config and checked against known_hosts. */
export class SshPool implements ChannelSource {
  readonly #opts: Required<Omit<SshPoolOptions, 'configs' | 'systemConfig' | 'ssh' | 'resolver'>>
  readonly #conns = new Map<string, Conn>()
  readonly #pending = new Map<string, Promise<Conn>>()
  readonly #opens = new Map<string, number>()
  readonly #connecting: Limit
  readonly #execs = new Map<string, SshExec>()
  readonly #resolver: HostResolver
  #lib?: Promise<Ssh2>
  #closed = false

  constructor(opts: SshPoolOptions = {}) {
    this.#opts = {
      env: opts.env ?? process.env,
      maxChannels: opts.maxChannels ?? 8,
      maxConnecting: opts.maxConnecting ?? 8,
      connectTimeoutMs: opts.connectTimeoutMs ?? 15_000,
      keepaliveMs: opts.keepaliveMs ?? 15_000,
      onWarn: opts.onWarn ?? ((m) => process.stderr.write(`${m}\n`)),
    }
    this.#resolver = new HostResolver({ env: this.#opts.env, configs: opts.configs, systemConfig: opts.systemConfig, resolver: opts.resolver, ssh: opts.ssh })
    this.#connecting = new Limit(this.#opts.maxConnecting)
  }

  /** The Exec for a node (one per node name). */
  exec(node: string): SshExec {
    let e = this.#execs.get(node)
    if (!e) this.#execs.set(node, (e = new SshExec(this, node)))
    return e
  }

  /**
   * How ssh_config resolves a node (once per node, cached; `source` says whether `ssh -G` or the built-in reader
   * answered). Config problems become ExecError kind 'invalid' naming the file and line.
   */
  resolve(node: string, signal?: AbortSignal): Promise<ResolvedHost> {
    return raceAbort(this.#resolver.resolve(node), signal)
  }

  /** Resolves many nodes at once (ssh -G runs in parallel, a few processes at a time). */
  resolveAll(nodes: readonly string[]): Promise<ResolvedHost[]> {
    return Promise.all(nodes.map((n) => this.#resolver.resolve(n)))
  }

  /** Opens a session channel on the node's connection and starts `command`; reconnects once if the pooled connection died. */
  async openExec(node: string, command: string, signal?: AbortSignal): Promise<OpenedChannel> {
    for (let attempt = 0; ; attempt++) {
      const conn = await this.#connection(node, signal)
      const release = await conn.channels.acquire(signal)
      try {
        const channel = await execChannel(conn, command)
        return { channel, host: conn.host, release }
      } catch (e) {
        release()
        const dead = !conn.alive || /Not connected|No response from server|ECONNRESET|EPIPE/i.test((e as Error).message)
        if (dead && attempt === 0) {
          this.#drop(conn)
          continue
        }
        const target = `ssh:${node}`
        if (dead) throw new ExecError('connect', { target }, `connection to ${node} died and a reconnect failed too: ${(e as Error).message}`, undefined, e)
        throw new ExecError('connect', { target }, `sshd on ${node} refused a session channel: ${(e as Error).message}`, `the node's MaxSessions may be below ${this.#opts.maxChannels}: create the pool with a smaller maxChannels`, e)
      }
    }
  }

  /** Opens (or reuses) the node's connection without running anything: the transport choice's test that SSH works. */
  async connect(node: string, signal?: AbortSignal): Promise<void> {
    await this.#connection(node, signal)
  }

  /** Counters for a node. */
  stats(node: string): PoolStats {
    const c = this.#conns.get(node)
    return {
      connected: !!c?.alive,
      opens: this.#opens.get(node) ?? 0,
      activeChannels: c?.channels.active ?? 0,
      peakChannels: c?.channels.peak ?? 0,
      queued: c?.channels.queued ?? 0,
    }
  }

  /** Ends one node's connection (it reopens on next use). */
  async closeNode(node: string): Promise<void> {
    const c = this.#conns.get(node) ?? (await this.#pending.get(node)?.catch(() => undefined))
    if (!c) return
    this.#drop(c)
    await endChain(c.chain)
  }

  /** Ends every connection; the pool cannot be used afterwards. */
  async close(): Promise<void> {
    this.#closed = true
    await Promise.allSettled([...this.#pending.values()])
    const all = [...this.#conns.values()]
    this.#conns.clear()
    await Promise.all(all.map((c) => endChain(c.chain)))
    this.#resolver.close()
  }

  async #connection(node: string, signal?: AbortSignal): Promise<Conn> {
    if (this.#closed) throw new ExecError('invalid', { target: `ssh:${node}` }, 'the SSH pool is closed')
    const live = this.#conns.get(node)
    if (live?.alive) return live
    let p = this.#pending.get(node)
    if (!p) {
      p = this.#open(node).finally(() => this.#pending.delete(node))
      this.#pending.set(node, p)
    }
    return raceAbort(p, signal)
  }

  #drop(conn: Conn): void {
    conn.alive = false
    if (this.#conns.get(conn.node) === conn) this.#conns.delete(conn.node)
    void endChain(conn.chain)
  }

  async #open(node: string): Promise<Conn> {
    const target = `ssh:${node}`
    const host = await this.resolve(node)
    if (host.proxyCommand) {
      throw new ExecError('connect', { target }, `${node} uses ProxyCommand (${host.proxyCommand}), which kinspect does not run`, 'use ProxyJump in the ssh config instead')
    }
    const hops = [...(await this.#jumpChain(host, target, 0)), host]
    const ssh2 = await (this.#lib ??= import('ssh2').then((m) => ((m as { default?: Ssh2 }).default ?? m) as Ssh2))
    const release = await this.#connecting.acquire()
    const chain: Client[] = []
    try {
      for (let i = 0; i < hops.length; i++) {
        const sock = i === 0 ? undefined : await forward(chain[i - 1], hops[i - 1], hops[i], target)
        chain.push(await this.#connectHop(ssh2, hops[i], sock, target))
      }
    } catch (e) {
      await endChain(chain)
      throw e
    } finally {
      release()
    }
    this.#opens.set(node, (this.#opens.get(node) ?? 0) + 1)
    const conn: Conn = { node, host, client: chain[chain.length - 1], chain, channels: new Limit(this.#opts.maxChannels), alive: true }
    for (const c of chain) c.on('close', () => this.#drop(conn))
    if (this.#closed) {
      await endChain(chain)
      throw new ExecError('invalid', { target }, 'the SSH pool was closed while connecting')
    }
    this.#conns.set(node, conn)
    return conn
  }

  // Hops to pass through before the host: the first hop's own ProxyJump applies (recursively), as in OpenSSH.
  async #jumpChain(host: ResolvedHost, target: string, depth: number): Promise<ResolvedHost[]> {
    if (!host.proxyJump.length) return []
    if (depth >= MAX_JUMP_DEPTH) throw new ExecError('invalid', { target }, `ProxyJump chain of ${host.name} is more than ${MAX_JUMP_DEPTH} hops deep (a loop?)`, 'check ProxyJump in the ssh config')
    const [first, ...rest] = await Promise.all(host.proxyJump.map((j) => this.#hop(j)))
    return [...(await this.#jumpChain(first, target, depth + 1)), first, ...rest]
  }

  async #hop(j: JumpHost): Promise<ResolvedHost> {
    const r = await this.resolve(j.host)
    return { ...r, user: j.user ?? r.user, port: j.port ?? r.port }
  }

  #connectHop(ssh2: Ssh2, hop: ResolvedHost, sock: ConnectConfig['sock'], target: string): Promise<Client> {
    const known = loadKnownHosts(hop, target) // throws (fail closed) before any network traffic
    const plan = planAuth(hop, ssh2.utils.parseKey as never, this.#opts.env)
    if (!plan.methods.length) throw authError(plan, hop, target)
    const timeoutMs = hop.connectTimeoutMs ?? this.#opts.connectTimeoutMs
    const hostKeyAlgs = preferredHostKeyAlgorithms(known, hop)
    if (!hostKeyAlgs.length) {
      throw new ExecError('invalid', { target }, `HostKeyAlgorithms for ${hop.name} allows only ${hop.hostKeyAlgorithms.join(', ')}; kinspect's SSH library supports none of them`, 'allow ssh-ed25519, ecdsa-sha2-nistp256/384/521, rsa-sha2-512/256 or ssh-rsa in HostKeyAlgorithms')
    }
    return new Promise((resolve, reject) => {
      const client = new ssh2.Client()
      client.once('close', () => closedClients.add(client))
      let refused: ExecError | undefined
      let settled = false
      const fail = (e: ExecError) => {
        if (settled) return
        settled = true
        client.end()
        reject(e)
      }
      client.on('error', (err: Error & { level?: string }) => fail(refused ?? classify(err, hop, target, plan, timeoutMs)))
      client.once('close', () => fail(refused ?? new ExecError('connect', { target }, `connection to ${hop.name} (${hop.hostName}:${hop.port}) closed during setup`)))
      client.once('ready', () => {
        settled = true
        client.setNoDelay(true) // small request packets must not wait for Nagle
        resolve(client)
      })
      try {
        client.connect({
          host: hop.hostName,
          port: hop.port,
          username: hop.user,
          sock,
          readyTimeout: timeoutMs,
          keepaliveInterval: this.#opts.keepaliveMs,
          keepaliveCountMax: 3,
          algorithms: { serverHostKey: hostKeyAlgs as never },
          hostVerifier: (key: Buffer) => {
            const d = decideHostKey(known, hop, key, target)
            if (!d.ok) refused = d.error
            else if (d.warning) this.#opts.onWarn(d.warning)
            return d.ok
          },
          authHandler: authHandler(plan),
        })
      } catch (e) {
        fail(new ExecError('connect', { target }, `cannot start an SSH connection to ${hop.name}: ${(e as Error).message}`, undefined, e))
      }
    })
  }
}

// Maps an ssh2 connection error to an ExecError with a hint.
function classify(err: Error & { level?: string; code?: string }, hop: ResolvedHost, target: string, plan: AuthPlan, timeoutMs: number): ExecError {
  const at = `${hop.name} (${hop.hostName}:${hop.port})`
  if (err.level === 'client-authentication' || err.level === 'agent') return authError(plan, hop, target, err)
  if (err.level === 'client-timeout') {
    return new ExecError('connect', { target }, `timed out after ${timeoutMs} ms connecting to ${at}`, `is the node up and sshd listening on ${hop.hostName}:${hop.port}? (ConnectTimeout in the ssh config raises the limit)`, err)
  }
  const hints: Record<string, string> = {
    ECONNREFUSED: `nothing listens on ${hop.hostName}:${hop.port}: is sshd running there, and is Port right in the ssh config?`,
    ENOTFOUND: `cannot resolve ${hop.hostName}: check HostName for Host ${hop.name} in the ssh config`,
    EHOSTUNREACH: `no route to ${hop.hostName}: check the address and the network`,
    ETIMEDOUT: `${hop.hostName} does not answer: check the address, the network and firewalls`,
  }
  return new ExecError('connect', { target }, `cannot connect to ${at}: ${err.message}`, (err.code && hints[err.code]) || undefined, err)
}

// Opens a direct-tcpip channel through a jump host to the next hop.
function forward(via: Client, viaHop: ResolvedHost, to: ResolvedHost, target: string): Promise<ClientChannel> {
  return new Promise((resolve, reject) => {
    via.forwardOut('127.0.0.1', 0, to.hostName, to.port, (err, stream) => {
      if (!err) return resolve(stream)
      reject(new ExecError('connect', { target }, `jump host ${viaHop.name} cannot reach ${to.name} (${to.hostName}:${to.port}): ${err.message}`, `check that ${viaHop.name} can reach that address and allows TCP forwarding (AllowTcpForwarding)`, err))
    })
  })
}

function execChannel(conn: Conn, command: string): Promise<ClientChannel> {
  return new Promise((resolve, reject) => {
    try {
      conn.client.exec(command, (err, ch) => (err ? reject(err) : resolve(ch)))
    } catch (e) {
      reject(e)
    }
  })
}

// Ends clients from the node back to the first jump host and waits (briefly) for them to close.
async function endChain(chain: Client[]): Promise<void> {
  for (const c of [...chain].reverse()) {
    if (closedClients.has(c)) continue
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, 1000)
      t.unref()
      c.once('close', () => {
        clearTimeout(t)
        resolve()
      })
      try {
        c.end()
      } catch {
        resolve()
      }
    })
  }
}

function raceAbort<T>(p: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return p
  if (signal.aborted) return Promise.reject(signal.reason)
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason)
    signal.addEventListener('abort', onAbort, { once: true })
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort))
  })
}
