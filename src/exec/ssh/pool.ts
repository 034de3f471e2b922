// SshPool: one ssh2 connection per node, opened on first use and reused, with capped channels and connects.
import type { Client, ClientChannel } from 'ssh2'
import { ExecError } from '../types.ts'
import { Limit } from './limit.ts'
import { destroyClient, endChain, raceAbort } from './clients.ts'
import { connectHop, forward, jumpChain, type Ssh2 } from './pool-connect.ts'
import type { ConfigText, ResolvedHost } from './sshconfig.ts'
import { SshExec, type ChannelSource, type OpenedChannel } from './exec.ts'
import { HostResolver, type HostResolverOptions } from './resolver.ts'
import type { SshClient } from './sshg.ts'

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
  /**
   * Concurrent connection attempts per host (HostName:Port of each hop, where sshd's MaxStartups 10:30:100 counts
   * them), below MaxStartups' 10. Default 8. Attempts to different hosts never wait for each other.
   */
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
  /** Channels the connection allows at once: maxChannels, or fewer once sshd refused one (its MaxSessions). */
  maxChannels: number
  queued: number
}

/** A connection being made: shared by every command waiting for it, abandoned when none waits any more. */
interface Pending {
  promise: Promise<Conn>
  waiters: number
  /** Aborted when the last waiter gave up or the pool closes: the clients being set up are destroyed. */
  abandon: AbortController
}

interface Conn {
  node: string
  host: ResolvedHost
  client: Client
  /** Jump clients first, the node's client last. */
  chain: Client[]
  channels: Limit
  /** Channels sshd confirmed and that have not closed yet (the slots also count opens still in flight). */
  open: number
  /** Channels opened since sshd last refused one: a cap lowered by a refusal grows back by one per cap's worth. */
  okSinceRefusal: number
  alive: boolean
}

/** How many times one command waits for a channel after sshd refused one (MaxSessions) before it fails. */
const MAX_REFUSALS = 8

/** Pooled SSH connections to the nodes, configured by ssh_config and checked against known_hosts. */
export class SshPool implements ChannelSource {
  readonly #opts: Required<Omit<SshPoolOptions, 'configs' | 'systemConfig' | 'ssh' | 'resolver'>>
  readonly #conns = new Map<string, Conn>()
  readonly #pending = new Map<string, Pending>()
  readonly #opens = new Map<string, number>()
  /** Connection attempts in progress per host ("HostName:Port"). */
  readonly #connecting = new Map<string, Limit>()
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
    this.#resolver = new HostResolver({
      env: this.#opts.env,
      configs: opts.configs,
      systemConfig: opts.systemConfig,
      resolver: opts.resolver,
      ssh: opts.ssh,
    })
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
    let refusals = 0
    let reconnected = false // one reconnect for a connection that died
    for (;;) {
      const conn = await this.#connection(node, signal)
      const release = await conn.channels.acquire(signal)
      const opening = execChannel(conn, command)
      try {
        // A frozen sshd never confirms the channel: the caller's deadline (or Ctrl-C) must still end the wait.
        const channel = await raceAbort(opening, signal)
        conn.open++
        if (++conn.okSinceRefusal >= conn.channels.max && conn.channels.max < this.#opts.maxChannels) {
          conn.okSinceRefusal = 0
          conn.channels.resize(conn.channels.max + 1)
        }
        let closed = false
        const done = () => {
          if (!closed) conn.open--
          closed = true
          release()
        }
        return { channel, host: conn.host, release: done }
      } catch (e) {
        if (signal?.aborted) {
          // Given up on: a channel sshd opens later is closed at once, and its slot is freed when sshd settles it.
          void opening
            .then(
              (ch) => ch.close(),
              () => {},
            )
            .finally(release)
          throw e
        }
        release()
        const dead = !conn.alive || /Not connected|No response from server|ECONNRESET|EPIPE/i.test((e as Error).message)
        if (dead && !reconnected) {
          reconnected = true
          this.#drop(conn)
          continue
        }
        // sshd refuses a session past its MaxSessions, which counts a closed session until it has reaped it. While
        // other channels of this connection are open or opening, that is the limit speaking: once the opens in
        // flight have settled (a refusal comes back before a confirmation does), the connection keeps to as many
        // channels as sshd has open, and the command waits for one of them to close (bounded, abortable).
        if (
          !dead &&
          conn.channels.active > 0 &&
          refusals < MAX_REFUSALS &&
          /open failed|prohibited|resource shortage/i.test(String(e))
        ) {
          refusals++
          await raceAbort(new Promise<void>((r) => setTimeout(r, 25 * refusals).unref()), signal)
          conn.okSinceRefusal = 0
          if (conn.open > 0) conn.channels.resize(Math.min(conn.channels.max, conn.open))
          reconnected = false // a refusal is not a dead connection: the one reconnect stays available
          continue
        }
        const others = conn.open
        const target = `ssh:${node}`
        if (dead)
          throw new ExecError(
            'connect',
            { target },
            `connection to ${node} died and a reconnect failed too: ${(e as Error).message}`,
            undefined,
            e,
          )
        throw new ExecError(
          'connect',
          { target },
          `sshd on ${node} refused a session channel: ${(e as Error).message}`,
          others > 0
            ? `sshd refused ${refusals + 1} times while ${others} other channels were open: check the node's MaxSessions`
            : "sshd refused it with no other channel open on this connection: check the node's MaxSessions and its sshd log",
          e,
        )
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
      maxChannels: c?.channels.max ?? this.#opts.maxChannels,
      queued: c?.channels.queued ?? 0,
    }
  }

  /** Connection attempts per host ("HostName:Port"): in progress, the most at once so far, and waiting. */
  hostStats(): { host: string; connecting: number; peak: number; queued: number }[] {
    return [...this.#connecting].map(([host, l]) => ({ host, connecting: l.active, peak: l.peak, queued: l.queued }))
  }

  /** Ends one node's connection (it reopens on next use). */
  async closeNode(node: string): Promise<void> {
    const pending = this.#pending.get(node)
    if (pending) {
      this.#pending.delete(node)
      pending.abandon.abort(new Error('closed'))
    }
    const c = this.#conns.get(node) ?? (await pending?.promise.catch(() => undefined))
    if (!c) return
    this.#drop(c)
    await endChain(c.chain)
  }

  /**
   * Ends every connection; the pool cannot be used afterwards. Connections still being made (a host that accepted TCP
   * and never answered) are destroyed at once, open ones get a clean SSH disconnect and at most `graceMs` (default
   * 500) to close before their sockets are destroyed: nothing of the pool keeps the process alive afterwards.
   */
  async close(graceMs = 500): Promise<void> {
    this.#closed = true
    for (const p of this.#pending.values()) p.abandon.abort(new Error('the SSH pool is closed'))
    await Promise.allSettled([...this.#pending.values()].map((p) => p.promise))
    const all = [...this.#conns.values()]
    this.#conns.clear()
    await Promise.all(all.map((c) => endChain(c.chain, graceMs)))
    this.#resolver.close()
  }

  async #connection(node: string, signal?: AbortSignal): Promise<Conn> {
    if (this.#closed) throw new ExecError('invalid', { target: `ssh:${node}` }, 'the SSH pool is closed')
    const live = this.#conns.get(node)
    if (live?.alive) return live
    let p = this.#pending.get(node)
    if (!p) {
      const abandon = new AbortController()
      const entry: Pending = {
        promise: this.#open(node, abandon.signal).finally(
          () => this.#pending.get(node) === entry && this.#pending.delete(node),
        ),
        waiters: 0,
        abandon,
      }
      entry.promise.catch(() => {}) // its waiters get the error
      this.#pending.set(node, (p = entry))
    }
    const pending = p
    pending.waiters++
    try {
      return await raceAbort(pending.promise, signal)
    } finally {
      // The last waiter gave up (its deadline, Ctrl-C): a hung handshake must not outlive every command that wanted it.
      if (--pending.waiters === 0 && signal?.aborted) {
        if (this.#pending.get(node) === pending) this.#pending.delete(node) // the next command starts afresh
        pending.abandon.abort(signal.reason)
      }
    }
  }

  #hostLimit(hop: ResolvedHost): Limit {
    const key = `${hop.hostName}:${hop.port}`
    let l = this.#connecting.get(key)
    if (!l) this.#connecting.set(key, (l = new Limit(this.#opts.maxConnecting)))
    return l
  }

  #drop(conn: Conn): void {
    conn.alive = false
    if (this.#conns.get(conn.node) === conn) this.#conns.delete(conn.node)
    void endChain(conn.chain)
  }

  async #open(node: string, abandon: AbortSignal): Promise<Conn> {
    const target = `ssh:${node}`
    const host = await this.resolve(node, abandon)
    if (host.proxyCommand) {
      throw new ExecError(
        'connect',
        { target },
        `${node} uses ProxyCommand (${host.proxyCommand}), which kinspect does not run`,
        'use ProxyJump in the ssh config instead',
      )
    }
    const hops = [...(await jumpChain((n) => this.resolve(n), host, target)), host]
    const ssh2 = await (this.#lib ??= import('ssh2').then((m) => ((m as { default?: Ssh2 }).default ?? m) as Ssh2))
    const chain: Client[] = []
    try {
      for (let i = 0; i < hops.length; i++) {
        const sock = i === 0 ? undefined : await forward(chain[i - 1], hops[i - 1], hops[i], target)
        // Each hop's handshake counts against that host's MaxStartups; the slot is held until it is done.
        const release = await this.#hostLimit(hops[i]).acquire(abandon)
        try {
          chain.push(await connectHop(ssh2, hops[i], sock, target, abandon, this.#opts))
        } finally {
          release()
        }
      }
    } catch (e) {
      chain.forEach(destroyClient)
      throw e
    }
    this.#opens.set(node, (this.#opens.get(node) ?? 0) + 1)
    const conn: Conn = {
      node,
      host,
      client: chain[chain.length - 1],
      chain,
      channels: new Limit(this.#opts.maxChannels),
      open: 0,
      okSinceRefusal: 0,
      alive: true,
    }
    for (const c of chain) c.on('close', () => this.#drop(conn))
    if (this.#closed) {
      await endChain(chain)
      throw new ExecError('invalid', { target }, 'the SSH pool was closed while connecting')
    }
    this.#conns.set(node, conn)
    return conn
  }
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
