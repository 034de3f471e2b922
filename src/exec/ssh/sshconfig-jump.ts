// ProxyJump hops parsed as OpenSSH parses them: ssh://[user@]host[:port] or [user@]host[:port] with [v6] in brackets.
import { a2port } from './sshconfig-expand.ts'
import type { JumpHost } from './sshconfig-types.ts'

// hpdelim2(): the host field up to ':' or '/', [bracketed] addresses whole; null when malformed.
function hpdelim(s: string): { host: string; rest?: string; delim?: string } | null {
  let end: number
  if (s.startsWith('[')) {
    end = s.indexOf(']')
    if (end < 0) return null
    end++
  } else {
    const m = s.search(/[:/]/)
    end = m < 0 ? s.length : m
  }
  if (end === s.length) return { host: s }
  if (s[end] !== ':' && s[end] !== '/') return null
  return { host: s.slice(0, end), rest: s.slice(end + 1), delim: s[end] }
}

const clean = (h: string) => (h.startsWith('[') && h.endsWith(']') ? h.slice(1, -1) : h)

// valid_domain(name, 0): letters, digits, '-', '_', '.'; no leading symbol, no "..". A trailing dot is dropped.
function validDomain(name: string): string | null {
  if (!name || !/^[A-Za-z0-9]/.test(name) || name.includes('..') || !/^[A-Za-z0-9._-]+$/.test(name)) return null
  return name.endsWith('.') ? name.slice(0, -1) : name
}

function urldecode(s: string): string | null {
  let out = ''
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '+') out += ' '
    else if (s[i] === '%') {
      if (!/^[0-9a-fA-F]{2}$/.test(s.slice(i + 1, i + 3)) || s.slice(i + 1, i + 3) === '00') return null
      out += String.fromCharCode(parseInt(s.slice(i + 1, i + 3), 16))
      i += 2
    } else out += s[i]
  }
  return out
}

/** One ProxyJump hop as ssh reads it; null when ssh would reject it. A port of -1 means none was given. */
export function parseJumpHop(hop: string): (JumpHost & { port?: number }) | null {
  if (hop.startsWith('ssh://')) {
    let s = hop.slice(6)
    let user: string | undefined
    const at = s.indexOf('@')
    if (at >= 0) {
      const u = s.slice(0, at).split(';')[0]
      if (!u) return null
      const d = urldecode(u)
      if (d === null) return null
      user = d
      s = s.slice(at + 1)
    }
    const h = hpdelim(s)
    if (!h || !h.host) return null
    const host = validDomain(clean(h.host))
    if (!host) return null
    let port: number | undefined
    let rest = h.rest
    if (rest && h.delim === ':') {
      const slash = rest.indexOf('/')
      const p = a2port(slash < 0 ? rest : rest.slice(0, slash))
      if (p === null || p <= 0) return null
      port = p
      rest = slash < 0 ? undefined : rest.slice(slash + 1)
    }
    if (rest) return null // a path is not allowed
    return { ...(user !== undefined && { user }), host, ...(port !== undefined && { port }) }
  }
  let s = hop
  let user: string | undefined
  const at = s.lastIndexOf('@')
  if (at >= 0) {
    if (at === 0) return null
    user = s.slice(0, at)
    s = s.slice(at + 1)
  }
  const h = hpdelim(s)
  if (!h || !h.host) return null
  let port: number | undefined
  if (h.rest) {
    const p = a2port(h.rest)
    if (p === null || p <= 0) return null
    port = p
  }
  return { ...(user !== undefined && { user }), host: clean(h.host), ...(port !== undefined && { port }) }
}

/** Parses a ProxyJump value: comma-separated hops as ssh reads them; "none" is empty; null when ssh rejects it. */
export function parseJumpList(value: string): JumpHost[] | null {
  if (value.toLowerCase() === 'none') return []
  const out: JumpHost[] = []
  for (const hop of value.split(',')) {
    const j = parseJumpHop(hop)
    if (!j) return null
    out.push(j)
  }
  return out
}
