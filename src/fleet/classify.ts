// The error class of a transport failure, read from the error's name and kind (ExecError from SSH, NodePodError and
// KubeError from the node pod), so the fleet needs no transport module.
import type { FleetErrorClass, FleetFailure } from './types.ts'

interface ErrorLike {
  name?: unknown
  kind?: unknown
  message?: unknown
  hint?: unknown
  stderr?: unknown
  cause?: unknown
}

const SUDO_REFUSED =
  /sudo: (a password is required|a terminal is required|sorry, you must have a tty)|is not in the sudoers file|may not run sudo/

const BY_NAME: Record<string, Record<string, FleetErrorClass>> = {
  ExecError: {
    exit: 'exit',
    timeout: 'timeout',
    connect: 'unreachable',
    auth: 'auth',
    hostkey: 'hostkey',
    aborted: 'aborted',
    invalid: 'error',
    spawn: 'error',
    parse: 'error',
  },
  NodePodError: {
    rbac: 'forbidden',
    podsecurity: 'forbidden',
    quota: 'forbidden',
    limitrange: 'forbidden',
    timeout: 'timeout',
    image: 'unreachable',
    unschedulable: 'unreachable',
    node: 'unreachable',
    failed: 'unreachable',
    closed: 'aborted',
    'image-tools': 'error',
    invalid: 'error',
    api: 'error',
  },
  KubeError: {
    forbidden: 'forbidden',
    unauthorized: 'auth',
    connection: 'unreachable',
    tls: 'unreachable',
    notfound: 'unreachable',
  },
  NodeAccessError: { aborted: 'aborted' },
}

function firstLine(s: unknown): string {
  return String(s ?? '').split('\n')[0]
}

/** The class, message and hint of a failed run, for every transport kinspect has. */
export function classifyError(error: unknown): FleetFailure {
  const e = (error ?? {}) as ErrorLike & { attempts?: unknown }
  // No transport reached the node: the transports' reasons in one line, the class of the last one that was tried.
  if (e.name === 'NodeAccessError' && e.kind !== 'aborted' && Array.isArray(e.attempts) && e.attempts.length) {
    const attempts = e.attempts as { transport: string; outcome: string; reason: string; cause?: unknown }[]
    const tried = [...attempts].reverse().find((a) => a.outcome === 'failed' && a.cause)
    const inner = tried ? classifyError(tried.cause) : undefined
    const hint = typeof e.hint === 'string' ? e.hint : undefined
    return {
      class: inner && inner.class !== 'error' ? inner.class : 'unreachable',
      message: attempts.map((a) => `${a.transport}: ${a.reason}`).join('; '),
      ...(hint ? { hint } : {}),
    }
  }
  const name = typeof e.name === 'string' ? e.name : ''
  const kind = typeof e.kind === 'string' ? e.kind : ''
  const message = firstLine(e.message ?? error) || `${name || 'error'} ${kind}`.trim()
  // A fleet returns every node's result and never throws on an exit code: the single call's `{nothrow: true}` hint
  // does not apply to it.
  const hint = typeof e.hint === 'string' && !/\bnothrow\b/.test(e.hint) ? e.hint : undefined
  let cls: FleetErrorClass =
    BY_NAME[name]?.[kind] ?? (name === 'AbortError' ? 'aborted' : name === 'NodeAccessError' ? 'unreachable' : 'error')
  if (name === 'ExecError' && kind === 'exit' && typeof e.stderr === 'string' && SUDO_REFUSED.test(e.stderr))
    cls = 'forbidden'
  // A host that accepts TCP and never speaks SSH (ssh's ConnectTimeout) is a timeout, not an unreachable host.
  if (
    name === 'ExecError' &&
    kind === 'connect' &&
    ((e.cause as { level?: unknown } | undefined)?.level === 'client-timeout' || /\btimed out\b/.test(message))
  )
    cls = 'timeout'
  return { class: cls, message, ...(hint ? { hint } : {}) }
}
