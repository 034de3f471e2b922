// The life and death of ssh2 clients: closing them politely with a bounded grace, destroying them when that is not
// enough, and racing a wait against an AbortSignal.
import type { Client } from 'ssh2'

/** Clients whose 'close' has fired, so ending them again need not wait. */
export const closedClients = new WeakSet<Client>()

/** Ends clients from the node back to the first jump host: a clean disconnect each, at most graceMs, then destroy. */
export async function endChain(chain: Client[], graceMs = 1000): Promise<void> {
  for (const c of [...chain].reverse()) {
    if (closedClients.has(c)) continue
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        destroyClient(c)
        resolve()
      }, graceMs)
      t.unref()
      c.once('close', () => {
        clearTimeout(t)
        resolve()
      })
      try {
        c.end()
      } catch {
        destroyClient(c)
        resolve()
      }
    })
  }
}

/**
 * Destroys a client's socket now. ssh2's destroy() does nothing once end() was called (the socket is no longer
 * writable), and a half-closed socket to a host that never answers lives until its handshake timer fires.
 */
export function destroyClient(c: Client): void {
  try {
    c.destroy()
    ;(c as unknown as { _sock?: { destroy?: () => void } })._sock?.destroy?.()
  } catch {
    /* already gone */
  }
}

/** p, or the signal's reason as soon as it aborts. */
export function raceAbort<T>(p: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return p
  if (signal.aborted) return Promise.reject(signal.reason)
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason)
    signal.addEventListener('abort', onAbort, { once: true })
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort))
  })
}
