// The three places kinspect reads ssh2's private state, in one module, each checked against ssh2 1.17.0
// (lib/client.js, lib/Channel.js) and tested on a real sshd (test/exec/ssh/ssh2private.test.ts, which also fails
// when the installed ssh2 is another version, so these are re-checked on every upgrade).
import type { ClientChannel } from 'ssh2'

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
