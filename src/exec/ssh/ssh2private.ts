// The four places kinspect reads ssh2's private state, in one module, each checked against ssh2 1.17.0
// (lib/client.js, lib/Channel.js, lib/protocol/Protocol.js) and tested on a real sshd (test/exec/ssh/ssh2private.test.ts, which also fails
// when the installed ssh2 is another version, so these are re-checked on every upgrade).
import type { Client, ClientChannel } from 'ssh2'

/** The ssh2 version these reads were checked against. */
export const SSH2_CHECKED = '1.17.0'

interface ChannelInternals {
  /** Set by ssh2 when exit-status/exit-signal arrives, even before an 'exit' listener exists. */
  _exit?: { code?: number | null; signal?: string }
  /** ssh2's view of the remote side: 'closed' once CHANNEL_CLOSE arrived. */
  incoming?: { state?: string }
  /** Our side: its channel id and state ('open', 'eof', 'closed'). */
  outgoing?: { id: number; state: string }
  /** The connection's protocol object, which can send a signal request on any open channel. */
  _client?: { _protocol?: { signal(id: number, sig: string): void } }
}

const inner = (ch: ClientChannel) => ch as unknown as ChannelInternals

/**
 * A fast command's exit-status can arrive in the same TCP read as the exec reply, before listeners exist; ssh2 keeps
 * it on the channel (`_exit`). Undefined when none arrived yet.
 */
export function earlyExit(ch: ClientChannel): { code: number | null; signal: string | null } | undefined {
  const e = inner(ch)._exit
  if (!e || e.code === undefined) return undefined
  return { code: typeof e.code === 'number' ? e.code : null, signal: e.signal ? `SIG${e.signal}` : null }
}

/** Whether the remote side already closed the channel (CHANNEL_CLOSE arrived before our listeners). */
export function closedByPeer(ch: ClientChannel): boolean {
  return inner(ch).incoming?.state === 'closed'
}

/**
 * Sends a signal request even after stdin was closed (ssh2's channel.signal() skips channels that are not writable).
 * Returns false when the internals are not there (then the public signal() was used).
 */
export function signalChannel(ch: ClientChannel, name: string): boolean {
  const c = inner(ch)
  const state = c.outgoing?.state
  if ((state === 'open' || state === 'eof') && typeof c._client?._protocol?.signal === 'function') {
    c._client._protocol.signal(c.outgoing!.id, name)
    return true
  }
  ch.signal(name)
  return false
}

/** A GLOBAL_REQUEST handler as ssh2's Protocol calls it (handlers.misc.js: handler(self, name, wantReply, data)). */
type GlobalRequestHandler = (proto: { requestSuccess(): void }, name: string, wantReply: boolean, data: unknown) => void

interface ClientInternals {
  /** Created by connect(); its `_handlers` is the very object of handlers the client passed it. */
  _protocol?: { _handlers?: { GLOBAL_REQUEST?: GlobalRequestHandler } }
}

/**
 * Ignores sshd's announcement of its host keys (hostkeys-00@openssh.com), as OpenSSH's ssh does when UpdateHostKeys is
 * off and kinspect always is: it never writes known_hosts. ssh2 answers every announcement with a hostkeys-prove request,
 * which makes sshd sign once per host key (RSA included) on every new connection, for a result no one reads. Call it
 * right after client.connect(); other global requests go to ssh2's handler. False when the internals are not there
 * (then ssh2 proves the keys, as before).
 */
export function ignoreHostKeyAnnouncements(client: Client): boolean {
  const handlers = (client as unknown as ClientInternals)._protocol?._handlers
  const ssh2s = handlers?.GLOBAL_REQUEST
  if (!handlers || typeof ssh2s !== 'function') return false
  handlers.GLOBAL_REQUEST = (proto, name, wantReply, data) => {
    if (name !== 'hostkeys-00@openssh.com') return ssh2s(proto, name, wantReply, data)
    if (wantReply) proto.requestSuccess()
  }
  return true
}
