// The value rules OpenSSH applies after parsing: %-tokens and ${ENV}, ~ and ~user, time and port syntax, address forms.
import { createHash } from 'node:crypto'
import fs from 'node:fs'
import net from 'node:net'
import { HintedError } from '../../errors.ts'

/** Thrown by the expanders; the caller adds the file and line. */
export class ExpandError extends HintedError<'invalid'> {
  override name = 'ExpandError'
  constructor(message: string) {
    super('invalid', message)
  }
}

/**
 * OpenSSH's percent_dollar_expand(): %x tokens from `tokens` (%% is a percent sign; null leaves % alone) and, when
 * `env` is given, ${NAME} from it, in one left-to-right pass. An unknown token or an unset variable is an ExpandError.
 */
export function percentExpand(
  s: string,
  tokens: Readonly<Record<string, string>> | null,
  env?: Readonly<Record<string, string | undefined>>,
): string {
  let out = ''
  for (let i = 0; i < s.length; i++) {
    const c = s[i]
    if (env && c === '$' && s[i + 1] === '{') {
      const end = s.indexOf('}', i + 2)
      if (end < 0) throw new ExpandError(`environment variable '${s.slice(i + 2)}' missing closing '}'`)
      const name = s.slice(i + 2, end)
      if (!name) throw new ExpandError('zero-length environment variable')
      const v = env[name]
      if (v === undefined) throw new ExpandError(`env var \${${name}} has no value`)
      out += v
      i = end
      continue
    }
    if (c !== '%' || !tokens) {
      out += c
      continue
    }
    const k = s[++i]
    if (k === '%') out += '%'
    else if (k === undefined) throw new ExpandError(`invalid format: a lone % at the end of ${JSON.stringify(s)}`)
    else if (Object.hasOwn(tokens, k)) out += tokens[k]
    else throw new ExpandError(`unknown key %${k} in ${JSON.stringify(s)}`)
  }
  return out
}

/** Home directories by user name, from /etc/passwd (what getpwnam() reads on a machine without a directory service). */
export function passwdHome(user: string, passwd = '/etc/passwd'): string | undefined {
  try {
    for (const line of fs.readFileSync(passwd, 'utf8').split('\n')) {
      const f = line.split(':')
      if (f.length >= 7 && f[0] === user) return f[5]
    }
  } catch {
    /* no passwd file: no such user */
  }
  return undefined
}

/** OpenSSH's tilde_expand(): ~, ~/path, ~user and ~user/path (the home gets a trailing slash, as in ssh). */
export function tildeExpand(
  p: string,
  home: string,
  homeOf: (user: string) => string | undefined = passwdHome,
): string {
  if (!p.startsWith('~')) return p
  const rest = p.slice(1)
  let user: string | undefined
  let tail = ''
  if (rest.startsWith('/') || rest === '') {
    tail = rest.replace(/^\/+/, '')
  } else {
    const slash = rest.indexOf('/')
    user = slash < 0 ? rest : rest.slice(0, slash)
    tail = slash < 0 ? '' : rest.slice(slash + 1).replace(/^\/+/, '')
  }
  const dir = user === undefined ? home : homeOf(user)
  if (dir === undefined) throw new ExpandError(`No such user ${user} (in ${JSON.stringify(p)})`)
  return `${dir}${dir.endsWith('/') ? '' : '/'}${tail}`
}

/** OpenSSH's convtime(): 90, 90s, 1m30s, 2h, 1d, 1w (case-insensitive units); null when malformed. */
export function convtime(s: string): number | null {
  if (!s) return null
  const units: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 }
  let total = 0
  const re = /^\s*[+]?(\d+)([smhdwSMHDW]?)/
  let rest = s
  while (rest) {
    const m = rest.match(re)
    if (!m) return null
    total += Number(m[1]) * units[(m[2] || 's').toLowerCase()]
    if (total > 2147483647) return null
    rest = rest.slice(m[0].length)
    if (!m[2] && rest) return null
  }
  return total
}

let services: Map<string, number> | undefined
/** OpenSSH's a2port(): 1-65535, or a TCP service name from /etc/services; null otherwise (0 is returned as 0). */
export function a2port(s: string, servicesFile = '/etc/services'): number | null {
  if (/^\s*\+?\d+$/.test(s)) {
    const n = Number(s.trim())
    return n <= 65535 ? n : null
  }
  if (!services) {
    services = new Map()
    try {
      for (const line of fs.readFileSync(servicesFile, 'utf8').split('\n')) {
        const f = line.replace(/#.*/, '').trim().split(/\s+/)
        const m = f[1]?.match(/^(\d+)\/tcp$/)
        if (m) for (const name of [f[0], ...f.slice(2)]) if (!services.has(name)) services.set(name, Number(m[1]))
      }
    } catch {
      /* no services file: names do not resolve */
    }
  }
  return services.get(s) ?? null
}

// inet_aton() forms as glibc's getaddrinfo(AI_NUMERICHOST) accepts them: a, a.b, a.b.c, a.b.c.d; hex, octal, decimal.
function inetAton(s: string): string | null {
  const parts = s.split('.')
  if (parts.length > 4) return null
  const nums: number[] = []
  for (const p of parts) {
    let n: number
    if (/^0[xX][0-9a-fA-F]+$/.test(p)) n = parseInt(p.slice(2), 16)
    else if (/^0[0-7]*$/.test(p)) n = parseInt(p, 8)
    else if (/^[1-9]\d*$/.test(p)) n = Number(p)
    else return null
    nums.push(n)
  }
  const last = nums.pop()!
  if (nums.some((n) => n > 255) || last >= 2 ** (8 * (4 - nums.length))) return null
  let v = last
  nums.forEach((n, i) => (v += n * 2 ** (8 * (3 - i))))
  return [24, 16, 8, 0].map((b) => Math.floor(v / 2 ** b) % 256).join('.')
}

// inet_ntop() for IPv6 as glibc prints it: the longest run of 2+ zero words compressed, IPv4 tail for mapped forms.
function ipv6Canonical(s: string): string | null {
  if (!net.isIPv6(s)) return null
  let text = s
  const v4 = text.match(/(\d+\.\d+\.\d+\.\d+)$/)
  if (v4) {
    const o = v4[1].split('.').map(Number)
    text = `${text.slice(0, -v4[1].length)}${((o[0] << 8) | o[1]).toString(16)}:${((o[2] << 8) | o[3]).toString(16)}`
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined]
  const hw = head ? head.split(':') : []
  const tw = tail ? tail.split(':') : []
  const words = [...hw, ...Array(8 - hw.length - tw.length).fill('0'), ...tw].map((w) => parseInt(w, 16))
  let best = { base: -1, len: 0 }
  for (let i = 0; i < 8;) {
    if (words[i] !== 0) {
      i++
      continue
    }
    let j = i
    while (j < 8 && words[j] === 0) j++
    if (j - i > best.len) best = { base: i, len: j - i }
    i = j
  }
  if (best.len < 2) best = { base: -1, len: 0 }
  let out = ''
  for (let i = 0; i < 8; i++) {
    if (i === best.base) {
      out += i === 0 ? '::' : ':'
      i += best.len - 1
      continue
    }
    if (
      i === 6 &&
      best.base === 0 &&
      (best.len === 6 || (best.len === 7 && words[7] !== 1) || (best.len === 5 && words[5] === 0xffff))
    ) {
      out += `${words[6] >> 8}.${words[6] & 255}.${words[7] >> 8}.${words[7] & 255}`
      break
    }
    out += `${words[i].toString(16)}${i < 7 ? ':' : ''}`
  }
  return out
}

/**
 * The host name ssh connects to, from HostName after %h: names are lowercased; addresses (only digits and dots,
 * or any ':' or '%') keep their case and are rewritten in the canonical numeric form when they parse as one.
 */
export function canonicalHost(host: string): string {
  const numeric = inetAton(host) ?? ipv6Canonical(host)
  const isAddr = /[%:]/.test(host) || /^[\d.]*$/.test(host) || numeric !== null
  if (!isAddr) return host.toLowerCase()
  return numeric !== null && numeric.toLowerCase() !== host.toLowerCase() ? numeric : host
}

/** Every host key algorithm OpenSSH 9.2 knows (`ssh -Q HostKeyAlgorithms`), in its order. */
export const ALL_HOST_KEY_ALGS =
  `ssh-ed25519 ssh-ed25519-cert-v01@openssh.com sk-ssh-ed25519@openssh.com sk-ssh-ed25519-cert-v01@openssh.com
ecdsa-sha2-nistp256 ecdsa-sha2-nistp256-cert-v01@openssh.com ecdsa-sha2-nistp384 ecdsa-sha2-nistp384-cert-v01@openssh.com
ecdsa-sha2-nistp521 ecdsa-sha2-nistp521-cert-v01@openssh.com sk-ecdsa-sha2-nistp256@openssh.com
sk-ecdsa-sha2-nistp256-cert-v01@openssh.com webauthn-sk-ecdsa-sha2-nistp256@openssh.com ssh-dss ssh-dss-cert-v01@openssh.com
ssh-rsa ssh-rsa-cert-v01@openssh.com rsa-sha2-256 rsa-sha2-256-cert-v01@openssh.com rsa-sha2-512
rsa-sha2-512-cert-v01@openssh.com`.split(/\s+/)

/** OpenSSH 9.2's default HostKeyAlgorithms (what `ssh -G` prints when none is configured). */
export const DEFAULT_HOST_KEY_ALGS = `ssh-ed25519-cert-v01@openssh.com ecdsa-sha2-nistp256-cert-v01@openssh.com
ecdsa-sha2-nistp384-cert-v01@openssh.com ecdsa-sha2-nistp521-cert-v01@openssh.com sk-ssh-ed25519-cert-v01@openssh.com
sk-ecdsa-sha2-nistp256-cert-v01@openssh.com rsa-sha2-512-cert-v01@openssh.com rsa-sha2-256-cert-v01@openssh.com ssh-ed25519
ecdsa-sha2-nistp256 ecdsa-sha2-nistp384 ecdsa-sha2-nistp521 sk-ssh-ed25519@openssh.com sk-ecdsa-sha2-nistp256@openssh.com
rsa-sha2-512 rsa-sha2-256`.split(/\s+/)

/** True when a HostKeyAlgorithms value is one ssh accepts: every entry a known name or a pattern matching one. */
export function validHostKeyAlgs(value: string): boolean {
  const list = value[0] === '+' || value[0] === '^' ? value.slice(1) : value
  if (value[0] === '-') return true
  if (!list) return false
  for (const p of list.split(',')) {
    if (!p) break
    if (!ALL_HOST_KEY_ALGS.includes(p) && !ALL_HOST_KEY_ALGS.some((a) => matchList(a, p) !== 0)) return false
  }
  return true
}

// match_pattern_list(s, patterns, 0): -1 when a !pattern matches, 1 when a pattern matches, else 0.
function matchList(s: string, patterns: string): number {
  let pos = 0
  for (const raw of patterns.split(',')) {
    const neg = raw.startsWith('!')
    if (globMatch(neg ? raw.slice(1) : raw, s)) {
      if (neg) return -1
      pos = 1
    }
  }
  return pos
}

function globMatch(p: string, s: string): boolean {
  const re = new RegExp(
    `^${p
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
    's',
  )
  return re.test(s)
}

// kex_names_cat(): a, then each name of b not already in the result.
function namesCat(a: string[], b: string[]): string[] {
  const out = [...a]
  for (const n of b) {
    if (!n) break
    if (!out.includes(n)) out.push(n)
  }
  return out
}

/** kex_assemble_names() for HostKeyAlgorithms: an explicit list, or +append, -remove, ^prepend against the default. */
export function assembleHostKeyAlgs(
  value: string | undefined,
  def: readonly string[] = DEFAULT_HOST_KEY_ALGS,
  all: readonly string[] = ALL_HOST_KEY_ALGS,
): string[] {
  if (!value) return [...def]
  if (value[0] === '-') return def.filter((n) => matchList(n, value.slice(1)) !== 1)
  const list =
    value[0] === '+'
      ? namesCat([...def], value.slice(1).split(','))
      : value[0] === '^'
        ? namesCat(value.slice(1).split(','), [...def])
        : value.split(',')
  let out: string[] = []
  for (const p of list)
    out = namesCat(
      out,
      all.filter((a) => matchList(a, p) === 1),
    )
  return out
}

/** The %-tokens ssh expands in IdentityFile, UserKnownHostsFile and IdentityAgent once the host is known. */
export function connectionTokens(
  ctx: { name: string; localUser: string; localHost: string; home: string; uid: number },
  c: { host: string; port: number; user: string; alias?: string },
): Record<string, string> {
  return {
    C: createHash('sha1').update(`${ctx.localHost}${c.host}${c.port}${c.user}`).digest('hex'),
    L: ctx.localHost.split('.')[0],
    i: String(ctx.uid),
    k: c.alias ?? ctx.name,
    l: ctx.localHost,
    n: ctx.name,
    p: String(c.port),
    d: ctx.home,
    h: c.host,
    r: c.user,
    u: ctx.localUser,
  }
}
