// Connecting to one host: the ProxyJump hops to pass through, one hop's connect, handshake, host-key check and auth
// (with its errors explained), and the forwarded channel through a jump host to the next hop.
import type { Client, ClientChannel, ConnectConfig } from 'ssh2'
import { ExecError } from '../types.ts'
import { authError, authHandler, memoParseKey, planAuth, type AuthPlan } from './auth.ts'
import { closedClients, destroyClient } from './clients.ts'
import { ignoreHostKeyAnnouncements } from './ssh2private.ts'
import { decideHostKey, loadKnownHosts, preferredHostKeyAlgorithms } from './hostcheck.ts'
import type { JumpHost, ResolvedHost } from './sshconfig.ts'

/** The ssh2 module. */
export type Ssh2 = typeof import('ssh2')

/** The pool's settings a connection uses. */
export interface HopSettings {
  env: Record<string, string | undefined>
  connectTimeoutMs: number
  keepaliveMs: number
  onWarn: (msg: string) => void
}

const MAX_JUMP_DEPTH = 8

/** Hops to pass through before the host: the first hop's own ProxyJump applies (recursively), as in OpenSSH. */
export async function jumpChain(
  resolve: (node: string) => Promise<ResolvedHost>,
  host: ResolvedHost,
  target: string,
  depth = 0,
): Promise<ResolvedHost[]> {
  if (!host.proxyJump.length) return []
  if (depth >= MAX_JUMP_DEPTH)
    throw new ExecError(
      'invalid',
      { target },
      `ProxyJump chain of ${host.name} is more than ${MAX_JUMP_DEPTH} hops deep (a loop?)`,
      'check ProxyJump in the ssh config',
    )
  const [first, ...rest] = await Promise.all(host.proxyJump.map((j) => hop(resolve, j)))
  return [...(await jumpChain(resolve, first, target, depth + 1)), first, ...rest]
}

async function hop(resolve: (node: string) => Promise<ResolvedHost>, j: JumpHost): Promise<ResolvedHost> {
  const r = await resolve(j.host)
  return { ...r, user: j.user ?? r.user, port: j.port ?? r.port }
}

// ssh2's parseKey behind one memory for the process (see memoParseKey).
let parseKey: ReturnType<typeof memoParseKey> | undefined

/** Connects one hop (over sock when it is reached through a jump host): host key checked, authenticated, or ExecError. */
export function connectHop(
  ssh2: Ssh2,
  hop: ResolvedHost,
  sock: ConnectConfig['sock'],
  target: string,
  abandon: AbortSignal,
  settings: HopSettings,
): Promise<Client> {
  const known = loadKnownHosts(hop, target) // throws (fail closed) before any network traffic
  const plan = planAuth(hop, (parseKey ??= memoParseKey(ssh2.utils.parseKey as never)), settings.env)
  if (!plan.methods.length) throw authError(plan, hop, target)
  const timeoutMs = hop.connectTimeoutMs ?? settings.connectTimeoutMs
  const hostKeyAlgs = preferredHostKeyAlgorithms(known, hop)
  if (!hostKeyAlgs.length) {
    throw new ExecError(
      'invalid',
      { target },
      `HostKeyAlgorithms for ${hop.name} allows only ${hop.hostKeyAlgorithms.join(', ')}; kinspect's SSH library supports none of them`,
      'allow ssh-ed25519, ecdsa-sha2-nistp256/384/521, rsa-sha2-512/256 or ssh-rsa in HostKeyAlgorithms',
    )
  }
  return new Promise((resolve, reject) => {
    const client = new ssh2.Client()
    client.once('close', () => closedClients.add(client))
    let refused: ExecError | undefined
    let settled = false
    const onAbandon = () =>
      fail(
        new ExecError(
          'aborted',
          { target },
          `connecting to ${hop.name} (${hop.hostName}:${hop.port}) was abandoned: no command waits for it any more`,
        ),
      )
    const fail = (e: ExecError) => {
      if (settled) return
      settled = true
      abandon.removeEventListener('abort', onAbandon)
      destroyClient(client) // a half-open handshake is not ended politely: its socket and timers go now
      reject(e)
    }
    if (abandon.aborted) return onAbandon()
    abandon.addEventListener('abort', onAbandon, { once: true })
    client.on('error', (err: Error & { level?: string }) =>
      fail(refused ?? classify(err, hop, target, plan, timeoutMs)),
    )
    client.once('close', () =>
      fail(
        refused ??
          new ExecError(
            'connect',
            { target },
            `connection to ${hop.name} (${hop.hostName}:${hop.port}) closed during setup`,
          ),
      ),
    )
    client.once('ready', () => {
      settled = true
      abandon.removeEventListener('abort', onAbandon)
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
        keepaliveInterval: settings.keepaliveMs,
        keepaliveCountMax: 3,
        algorithms: { serverHostKey: hostKeyAlgs as never },
        hostVerifier: (key: Buffer) => {
          const d = decideHostKey(known, hop, key, target)
          if (!d.ok) refused = d.error
          else if (d.warning) settings.onWarn(d.warning)
          return d.ok
        },
        authHandler: authHandler(plan),
      })
      ignoreHostKeyAnnouncements(client)
    } catch (e) {
      fail(
        new ExecError(
          'connect',
          { target },
          `cannot start an SSH connection to ${hop.name}: ${(e as Error).message}`,
          undefined,
          e,
        ),
      )
    }
  })
}

// Maps an ssh2 connection error to an ExecError with a hint.
function classify(
  err: Error & { level?: string; code?: string },
  hop: ResolvedHost,
  target: string,
  plan: AuthPlan,
  timeoutMs: number,
): ExecError {
  const at = `${hop.name} (${hop.hostName}:${hop.port})`
  if (err.level === 'client-authentication' || err.level === 'agent') return authError(plan, hop, target, err)
  if (err.level === 'client-timeout') {
    return new ExecError(
      'connect',
      { target },
      `timed out after ${timeoutMs} ms connecting to ${at}`,
      `is the node up and sshd listening on ${hop.hostName}:${hop.port}? (ConnectTimeout in the ssh config raises the limit)`,
      err,
    )
  }
  const hints: Record<string, string> = {
    ECONNREFUSED: `nothing listens on ${hop.hostName}:${hop.port}: is sshd running there, and is Port right in the ssh config?`,
    ENOTFOUND: `cannot resolve ${hop.hostName}: check HostName for Host ${hop.name} in the ssh config`,
    EHOSTUNREACH: `no route to ${hop.hostName}: check the address and the network`,
    ETIMEDOUT: `${hop.hostName} does not answer: check the address, the network and firewalls`,
  }
  return new ExecError(
    'connect',
    { target },
    `cannot connect to ${at}: ${err.message}`,
    (err.code && hints[err.code]) || undefined,
    err,
  )
}

/** Opens a direct-tcpip channel through a jump host to the next hop. */
export function forward(via: Client, viaHop: ResolvedHost, to: ResolvedHost, target: string): Promise<ClientChannel> {
  return new Promise((resolve, reject) => {
    via.forwardOut('127.0.0.1', 0, to.hostName, to.port, (err, stream) => {
      if (!err) return resolve(stream)
      reject(
        new ExecError(
          'connect',
          { target },
          `jump host ${viaHop.name} cannot reach ${to.name} (${to.hostName}:${to.port}): ${err.message}`,
          `check that ${viaHop.name} can reach that address and allows TCP forwarding (AllowTcpForwarding)`,
          err,
        ),
      )
    })
  })
}
