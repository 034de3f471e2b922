// OpenSSH ssh_config: parse the files and resolve one host the way `ssh NAME` would (first value wins).
import { createHash } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { matchGlob, matchPatternList } from './pattern.ts'

/** One config file's text; `kind` decides where relative Include paths point (~/.ssh or /etc/ssh). */
export interface ConfigText {
  text: string
  path?: string
  kind?: 'user' | 'system'
}

/** One ProxyJump hop as written: [user@]host[:port]. */
export interface JumpHost {
  user?: string
  host: string
  port?: number
}

/** What `ssh NAME` would use to connect. */
export interface ResolvedHost {
  /** The name asked for (the Host alias). */
  name: string
  hostName: string
  user: string
  port: number
  /** Identity files to try, in order (~ and %-tokens expanded). */
  identityFiles: string[]
  /** False when identityFiles are OpenSSH's defaults (a missing default is not an error). */
  identityFilesExplicit: boolean
  identitiesOnly: boolean
  /** Agent socket: undefined means SSH_AUTH_SOCK, null means none. */
  identityAgent?: string | null
  proxyJump: JumpHost[]
  proxyCommand?: string
  /** User known_hosts files, KINSPECT_KNOWN_HOSTS first when set. */
  knownHostsFiles: string[]
  globalKnownHostsFiles: string[]
  /** False only for StrictHostKeyChecking no/off: unknown keys are then accepted with a warning. */
  strict: boolean
  strictHostKeyChecking: 'yes' | 'no' | 'ask' | 'accept-new'
  hostKeyAlias?: string
  connectTimeoutMs?: number
}

/** Environment of a resolution; everything has a default from this machine. */
export interface ResolveOptions {
  home?: string
  localUser?: string
  localHost?: string
  uid?: number
  env?: Record<string, string | undefined>
  /** Reads the files an Include names (absolute glob). Default: the file system. */
  readInclude?: (absPattern: string) => ConfigText[]
}

/** A config file that cannot be used; names the file and line. */
export class SshConfigError extends Error {
  override name = 'SshConfigError'
  constructor(message: string, public hint?: string) {
    super(message)
  }
}

interface Line {
  keyword: string
  args: string[]
  where: string
}

const MAX_INCLUDE_DEPTH = 16
const MULTI = new Set(['identityfile', 'certificatefile'])

/** Splits config text into keyword/argument lines (comments dropped, quotes honoured). */
export function parseConfigLines(text: string, file = '<config>'): Line[] {
  const out: Line[] = []
  text.split(/\r?\n/).forEach((raw, i) => {
    const where = `${file}:${i + 1}`
    // (?=(…))\2 makes the separator atomic: with plain backtracking a long run of blanks before a stray \r was O(n²)
    const m = raw.match(/^\s*([A-Za-z][A-Za-z0-9]*)(?=(\s*=\s*|\s+|$))\2(.*)$/)
    if (!m) {
      if (raw.trim() && !raw.trim().startsWith('#')) throw new SshConfigError(`${where}: cannot parse line: ${raw.trim()}`)
      return
    }
    out.push({ keyword: m[1].toLowerCase(), args: splitArgs(m[3], where), where })
  })
  return out
}

function splitArgs(s: string, where: string): string[] {
  const args: string[] = []
  let cur = ''
  let has = false
  let quote = ''
  for (let i = 0; i < s.length; i++) {
    const c = s[i]
    if (quote) {
      if (c === quote) quote = ''
      else if (c === '\\' && (s[i + 1] === quote || s[i + 1] === '\\')) cur += s[++i]
      else cur += c
    } else if (c === ' ' || c === '\t') {
      if (has) args.push(cur)
      cur = ''
      has = false
    } else if (c === '"' || c === "'") {
      quote = c
      has = true
    } else if (c === '#' && !has) {
      break
    } else {
      if (c === '\\' && i + 1 < s.length && `\\"' `.includes(s[i + 1])) cur += s[++i]
      else cur += c
      has = true
    }
  }
  if (quote) throw new SshConfigError(`${where}: unterminated quote`)
  if (has) args.push(cur)
  return args
}

/** Resolves NAME through config texts (user file first, then system), like `ssh -G NAME`. */
export function resolveHost(name: string, configs: string | ConfigText | readonly (string | ConfigText)[], opts: ResolveOptions = {}): ResolvedHost {
  if (typeof name !== 'string' || !name || /\s/.test(name)) throw new SshConfigError(`host name: expected a non-empty name without spaces, received ${JSON.stringify(name)}`)
  const home = opts.home ?? os.homedir()
  const localUser = opts.localUser ?? os.userInfo().username
  const texts = (Array.isArray(configs) ? configs : [configs]).map((c: string | ConfigText) => (typeof c === 'string' ? { text: c, kind: 'user' as const } : c))
  const readInclude = opts.readInclude ?? readIncludeFromDisk
  const values = new Map<string, { args: string[]; where: string; seq: number }>()
  const multi = new Map<string, string[]>()

  const current = (k: string) => values.get(k)?.args[0]
  const evalMatch = (args: string[], where: string): boolean => {
    let ok = true
    for (let i = 0; i < args.length; i++) {
      const neg = args[i].startsWith('!')
      const crit = args[i].replace(/^!/, '').toLowerCase()
      if (crit === 'all') continue
      const arg = args[++i]
      if (arg === undefined) throw new SshConfigError(`${where}: Match ${crit} needs an argument`)
      const subjects: Record<string, string> = { host: current('hostname') ?? name, originalhost: name, user: current('user') ?? localUser, localuser: localUser }
      const subject = Object.hasOwn(subjects, crit) ? subjects[crit] : undefined
      // Unsupported criteria (exec, canonical, final, …) never match: safer than guessing.
      const hit = subject !== undefined && matchPatternList(arg.split(','), subject) === 'match'
      ok &&= neg ? !hit : hit
    }
    return ok
  }

  const apply = (lines: Line[], kind: 'user' | 'system', depth: number) => {
    let active = true
    for (const l of lines) {
      if (l.keyword === 'host') {
        if (!l.args.length) throw new SshConfigError(`${l.where}: Host needs at least one pattern`)
        active = matchPatternList(l.args, name) === 'match'
      } else if (l.keyword === 'match') {
        active = evalMatch(l.args, l.where)
      } else if (!active) {
        continue
      } else if (l.keyword === 'include') {
        if (depth >= MAX_INCLUDE_DEPTH) throw new SshConfigError(`${l.where}: Include nested more than ${MAX_INCLUDE_DEPTH} deep (a loop?)`)
        for (const arg of l.args) {
          const p = expandTilde(arg, home)
          const abs = path.isAbsolute(p) ? p : path.join(kind === 'user' ? path.join(home, '.ssh') : '/etc/ssh', p)
          for (const inc of readInclude(abs)) apply(parseConfigLines(inc.text, inc.path ?? abs), kind, depth + 1)
        }
      } else if (MULTI.has(l.keyword)) {
        multi.set(l.keyword, [...(multi.get(l.keyword) ?? []), ...l.args.slice(0, 1)])
      } else if (!values.has(l.keyword) && l.args.length) {
        values.set(l.keyword, { args: l.args, where: l.where, seq: values.size })
      }
    }
  }
  for (const t of texts) apply(parseConfigLines(t.text, t.path), t.kind ?? 'user', 0)

  const hostName = expandTokens(current('hostname') ?? name, { h: name, '%': '%' }, 'HostName')
  const portRaw = values.get('port')
  const port = portRaw ? parsePort(portRaw.args[0], `${portRaw.where}: Port`) : 22
  const user = current('user') ?? localUser
  const localHost = opts.localHost ?? os.hostname()
  const tokens: Record<string, string> = {
    '%': '%', d: home, u: localUser, l: localHost, L: localHost.split('.')[0], h: hostName, n: name, p: String(port), r: user,
    i: String(opts.uid ?? process.getuid?.() ?? 0),
    C: createHash('sha1').update(`${localHost}${hostName}${port}${user}`).digest('hex'),
  }
  const file = (s: string, kw: string) => expandTilde(expandTokens(s, tokens, kw), home)

  const explicitIds = multi.get('identityfile') ?? []
  const identityFiles = explicitIds.length
    ? explicitIds.map((f) => file(f, 'IdentityFile'))
    : ['id_rsa', 'id_ecdsa', 'id_ed25519'].map((f) => path.join(home, '.ssh', f))

  const ukh = values.get('userknownhostsfile')?.args
  const userKnown = ukh ? (ukh[0] === 'none' ? [] : ukh.map((f) => file(f, 'UserKnownHostsFile'))) : [path.join(home, '.ssh', 'known_hosts'), path.join(home, '.ssh', 'known_hosts2')]
  const envKnown = opts.env?.KINSPECT_KNOWN_HOSTS
  const knownHostsFiles = envKnown ? [envKnown, ...userKnown.filter((f) => f !== envKnown)] : userKnown
  const gkh = values.get('globalknownhostsfile')?.args
  const globalKnownHostsFiles = gkh ? (gkh[0] === 'none' ? [] : gkh.map((f) => file(f, 'GlobalKnownHostsFile'))) : ['/etc/ssh/ssh_known_hosts', '/etc/ssh/ssh_known_hosts2']

  const shkRaw = (current('stricthostkeychecking') ?? 'ask').toLowerCase()
  const shkMap: Record<string, ResolvedHost['strictHostKeyChecking']> = { yes: 'yes', ask: 'ask', no: 'no', off: 'no', 'accept-new': 'accept-new' }
  const strictHostKeyChecking = Object.hasOwn(shkMap, shkRaw) ? shkMap[shkRaw] : undefined
  if (!strictHostKeyChecking) throw new SshConfigError(`${values.get('stricthostkeychecking')!.where}: StrictHostKeyChecking: expected yes, no, ask or accept-new, received ${shkRaw}`)

  // ProxyJump and ProxyCommand exclude each other: the one seen first wins.
  const pj = values.get('proxyjump')
  const pc = values.get('proxycommand')
  const jumpFirst = pj && (!pc || pj.seq < pc.seq)
  const proxyJump = jumpFirst ? parseProxyJump(pj.args[0], `${pj.where}: ProxyJump`) : []
  const proxyCommand = !jumpFirst && pc && pc.args[0] !== 'none' ? pc.args.join(' ') : undefined

  const agent = current('identityagent')
  const timeout = values.get('connecttimeout')
  const connectTimeoutMs = timeout ? parsePositiveInt(timeout.args[0], `${timeout.where}: ConnectTimeout`) * 1000 : undefined
  return {
    name,
    hostName,
    user,
    port,
    identityFiles,
    identityFilesExplicit: explicitIds.length > 0,
    identitiesOnly: (current('identitiesonly') ?? 'no').toLowerCase() === 'yes',
    identityAgent: agent === undefined || agent === 'SSH_AUTH_SOCK' ? undefined : agent === 'none' ? null : agent.startsWith('$') ? (opts.env?.[agent.slice(1)] ?? null) : file(agent, 'IdentityAgent'),
    proxyJump,
    proxyCommand,
    knownHostsFiles,
    globalKnownHostsFiles,
    strict: strictHostKeyChecking !== 'no',
    strictHostKeyChecking,
    hostKeyAlias: current('hostkeyalias'),
    connectTimeoutMs,
  }
}

/** Parses a ProxyJump value: comma-separated [user@]host[:port] or ssh://[user@]host[:port]; "none" is empty. */
export function parseProxyJump(value: string, what = 'ProxyJump'): JumpHost[] {
  if (value.toLowerCase() === 'none') return []
  return value.split(',').map((hop) => {
    let s = hop.trim().replace(/^ssh:\/\//, '').replace(/\/$/, '')
    if (!s) throw new SshConfigError(`${what}: empty hop in ${JSON.stringify(value)}`)
    const out: JumpHost = { host: '' }
    const at = s.lastIndexOf('@')
    if (at >= 0) {
      out.user = s.slice(0, at)
      s = s.slice(at + 1)
    }
    let m: RegExpMatchArray | null
    if ((m = s.match(/^\[([^\]]+)\](?::(\d+))?$/))) {
      out.host = m[1]
      if (m[2]) out.port = parsePort(m[2], what)
    } else if ((m = s.match(/^([^:]+):(\d*)$/))) {
      out.host = m[1]
      if (m[2]) out.port = parsePort(m[2], what)
    } else {
      out.host = s // a bare name or an unbracketed IPv6 address
    }
    if (!out.host) throw new SshConfigError(`${what}: hop ${JSON.stringify(hop)} has no host`)
    return out
  })
}

function parsePort(s: string, what: string): number {
  const n = parsePositiveInt(s, what)
  if (n > 65535) throw new SshConfigError(`${what}: expected a port 1-65535, received ${s}`)
  return n
}
function parsePositiveInt(s: string, what: string): number {
  if (!/^\d{1,10}$/.test(s ?? '') || Number(s) < 1 || Number(s) > 2 ** 31 - 1) throw new SshConfigError(`${what}: expected a positive integer, received ${JSON.stringify(s)}`)
  return Number(s)
}

/** Replaces %-tokens (%h, %d, %u, …); an unknown token is an error naming the keyword. */
export function expandTokens(s: string, tokens: Record<string, string>, keyword: string): string {
  return s.replace(/%(.)?/g, (_, k: string | undefined) => {
    if (k === undefined || !(k in tokens)) throw new SshConfigError(`${keyword}: unknown token %${k ?? ''} in ${JSON.stringify(s)}`, `known tokens: ${Object.keys(tokens).map((t) => `%${t}`).join(' ')}`)
    return tokens[k]
  })
}

/** Expands a leading ~ or ~/ to home. */
export function expandTilde(p: string, home: string): string {
  return p === '~' ? home : p.startsWith('~/') ? path.join(home, p.slice(2)) : p
}

/** Include from disk: expands * and ? in any path component, sorted; missing files are skipped. */
export function readIncludeFromDisk(absPattern: string): ConfigText[] {
  const parts = absPattern.split('/').filter(Boolean)
  let paths = ['/']
  for (const part of parts) {
    if (!/[*?]/.test(part)) {
      paths = paths.map((p) => path.join(p, part))
      continue
    }
    paths = paths.flatMap((dir) => {
      try {
        return fs.readdirSync(dir).filter((n) => matchGlob(part, n, false) && (!n.startsWith('.') || part.startsWith('.'))).sort().map((n) => path.join(dir, n))
      } catch {
        return []
      }
    })
  }
  const out: ConfigText[] = []
  for (const p of paths) {
    try {
      if (fs.statSync(p).isFile()) out.push({ text: fs.readFileSync(p, 'utf8'), path: p })
    } catch {
      /* missing include: OpenSSH skips it too */
    }
  }
  return out
}

/** Paths of the config files in effect: KINSPECT_SSH_CONFIG (or ~/.ssh/config), then /etc/ssh/ssh_config. */
export function configPaths(env: Record<string, string | undefined> = process.env, home = os.homedir()): { user: string; system: string; fromEnv: boolean } {
  const fromEnv = !!env.KINSPECT_SSH_CONFIG
  return { user: env.KINSPECT_SSH_CONFIG || path.join(home, '.ssh', 'config'), system: '/etc/ssh/ssh_config', fromEnv }
}

/** Reads the config files in effect; a missing default file is skipped, a missing KINSPECT_SSH_CONFIG is an error. */
export function loadConfigTexts(opts: { env?: Record<string, string | undefined>; home?: string; systemConfig?: string | null } = {}): ConfigText[] {
  const p = configPaths(opts.env ?? process.env, opts.home)
  const out: ConfigText[] = []
  const read = (file: string, kind: 'user' | 'system', required: boolean) => {
    try {
      out.push({ text: fs.readFileSync(file, 'utf8'), path: file, kind })
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code
      if (required || code !== 'ENOENT') {
        throw new SshConfigError(`cannot read ssh config ${file}${required ? ' (from KINSPECT_SSH_CONFIG)' : ''}: ${code ?? (e as Error).message}`, required ? 'point KINSPECT_SSH_CONFIG at an existing ssh_config, or unset it to use ~/.ssh/config' : undefined)
      }
    }
  }
  read(p.user, 'user', p.fromEnv)
  const system = opts.systemConfig === undefined ? p.system : opts.systemConfig
  if (system) read(system, 'system', false)
  return out
}
