// The option keywords of an ssh config (all but Host, Match and Include): each line checked as readconf.c does, and
// its value taken when the line is active and nothing set that option yet (first value wins).
import { KNOWN_KEYWORDS, type LexedLine } from './sshconfig-lex.ts'
import { a2port, convtime, percentExpand, validHostKeyAlgs } from './sshconfig-expand.ts'
import { matchPatternList } from './pattern.ts'
import { parseJumpHop } from './sshconfig-jump.ts'
import type { ReadContext, SshOptions } from './sshconfig-types.ts'

/** The options read so far, as written (resolved into SshOptions once every file was read). */
export interface Options {
  user?: string
  hostname?: string
  port?: number
  identityfile: { raw: string; user: boolean }[]
  identitiesonly?: boolean
  identityagent?: string
  userknownhostsfile: string[]
  globalknownhostsfile: string[]
  stricthostkeychecking?: SshOptions['stricthostkeychecking']
  hostkeyalias?: string
  connecttimeout?: number
  proxycommand?: string
  jump?: { user?: string; host: string; port: number; extra?: string }
  hostkeyalgorithms?: string
  canonicalizehostname?: string
  ignoreunknown?: string
}

const MAX_IDENTITY_FILES = 100
const STRICT: Record<string, SshOptions['stricthostkeychecking']> = {
  true: 'true',
  yes: 'true',
  false: 'false',
  no: 'false',
  off: 'false',
  ask: 'ask',
  'accept-new': 'accept-new',
}
const FLAG: Record<string, boolean> = { true: true, yes: true, false: false, no: false }
const CANON = new Set(['true', 'false', 'yes', 'no', 'always'])

/** True for `ProxyJump none` as read. */
export const isNoneJump = (j: NonNullable<Options['jump']>) => j.host === 'none' && j.port === 0 && !j.user

/**
 * process_config_line_depth() for one option line: returns an error or undefined; sets the option when `on` (the
 * line is active). `user` says whether the line is from a user file (IdentityFile remembers it).
 */
export function optionLine(
  l: LexedLine,
  on: boolean,
  user: boolean,
  o: Options,
  ctx: Pick<ReadContext, 'env'>,
): string | undefined {
  const { keyword: kw, args } = l
  const one = (): string | { err: string } => {
    if (!args.length || args[0] === '') return { err: 'Missing argument.' }
    if (args.length > 1) return { err: `keyword ${kw} extra arguments at end of line` }
    return args[0]
  }
  const raw = () => l.rest.replace(/^[ \t\r\n=]+/, '')
  switch (kw) {
    case 'user':
    case 'hostname':
    case 'hostkeyalias':
    case 'ignoreunknown': {
      const v = one()
      if (typeof v !== 'string') return v.err
      const key = kw as 'user' | 'hostname' | 'hostkeyalias' | 'ignoreunknown'
      if (on && o[key] === undefined) o[key] = v
      return
    }
    case 'port': {
      const v = one()
      if (typeof v !== 'string') return v.err
      const p = a2port(v)
      if (p === null || p <= 0) return `Bad port '${v}'.`
      if (on && o.port === undefined) o.port = p
      return
    }
    case 'identityfile':
    case 'identityfile2': {
      if (!args.length || !args[0]) return 'Missing argument.'
      if (args.length > 1) return `keyword ${kw} extra arguments at end of line`
      if (!on) return
      if (o.identityfile.length >= MAX_IDENTITY_FILES)
        return `Too many identity files specified (max ${MAX_IDENTITY_FILES}).`
      if (!o.identityfile.some((f) => f.raw === args[0] && f.user === user)) o.identityfile.push({ raw: args[0], user })
      return
    }
    case 'identitiesonly': {
      const v = args[0]?.toLowerCase()
      if (v === undefined || !Object.hasOwn(FLAG, v)) return `unsupported option "${args[0] ?? ''}".`
      if (args.length > 1) return `keyword ${kw} extra arguments at end of line`
      if (on && o.identitiesonly === undefined) o.identitiesonly = FLAG[v]
      return
    }
    case 'stricthostkeychecking': {
      const v = args[0]?.toLowerCase()
      if (v === undefined || !Object.hasOwn(STRICT, v)) return `unsupported option "${args[0] ?? ''}".`
      if (args.length > 1) return `keyword ${kw} extra arguments at end of line`
      if (on && o.stricthostkeychecking === undefined) o.stricthostkeychecking = STRICT[v]
      return
    }
    case 'canonicalizehostname': {
      const v = args[0]?.toLowerCase()
      if (v === undefined || !CANON.has(v)) return `unsupported option "${args[0] ?? ''}".`
      if (on && o.canonicalizehostname === undefined) o.canonicalizehostname = v
      return
    }
    case 'connecttimeout': {
      const v = one()
      if (typeof v !== 'string') return v.err
      const s = v === 'none' ? -1 : convtime(v)
      if (s === null) return 'invalid time value.'
      if (on && o.connecttimeout === undefined && s >= 0) o.connecttimeout = s
      return
    }
    case 'userknownhostsfile':
    case 'globalknownhostsfile': {
      const list = kw === 'userknownhostsfile' ? o.userknownhostsfile : o.globalknownhostsfile
      const empty = list.length === 0
      for (let i = 0; i < args.length; i++) {
        if (args[i] === '') return `keyword ${kw} empty argument`
        if (args[i].toLowerCase() === 'none' && (i > 0 || args.length > 1))
          return `keyword ${kw} "none" argument must appear alone.`
        if (on && empty) list.push(args[i])
      }
      return
    }
    case 'identityagent': {
      const v = one()
      if (typeof v !== 'string') return v.err
      try {
        percentExpand(v, null, ctx.env) // only ${ENV} is checked here, as ssh does
      } catch {
        return `Invalid environment expansion ${v}.`
      }
      if (v[0] === '$' && v[1] !== '{' && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(v.slice(1)))
        return `Invalid environment name ${v}.`
      if (on && o.identityagent === undefined) o.identityagent = v
      return
    }
    case 'proxycommand':
      // After `ProxyJump none` a ProxyCommand still applies (ssh 9.2 behaves so, checked against ssh -G).
      if (on && o.proxycommand === undefined && (!o.jump || isNoneJump(o.jump))) o.proxycommand = raw()
      return
    case 'proxyjump':
      return proxyJump(raw(), on, o)
    case 'hostkeyalgorithms': {
      const v = one()
      if (typeof v !== 'string') return v.err
      if (!validHostKeyAlgs(v)) return `Bad key types '${v}'.`
      if (on && o.hostkeyalgorithms === undefined) o.hostkeyalgorithms = v
      return
    }
    default:
      if (KNOWN_KEYWORDS.has(kw)) return
      if (o.ignoreunknown !== undefined && matchPatternList(o.ignoreunknown.split(','), kw, true) === 'match') return
      return `Bad configuration option: ${kw}`
  }
}

// parse_jump(): every hop is checked; only an active line with nothing set yet takes effect.
function proxyJump(value: string, on: boolean, o: Options): string | undefined {
  const stripped = value.replace(/#.*$/, '').replace(/[ \t\r\n]+$/, '')
  const bad = `Invalid ProxyJump "${value}"`
  if (value.toLowerCase() !== 'none') {
    const hops = stripped.split(',')
    for (let i = hops.length - 1; i >= 0; i--) if (!parseJumpHop(hops[i])) return bad
  }
  if (!on || o.proxycommand !== undefined || o.jump) return
  if (value.toLowerCase() === 'none') {
    o.jump = { host: 'none', port: 0 }
    return
  }
  const hops = stripped.split(',')
  const last = parseJumpHop(hops[hops.length - 1])!
  const comma = value.lastIndexOf(',')
  o.jump = {
    user: last.user,
    host: last.host,
    port: last.port ?? -1,
    extra: comma > 0 ? value.slice(0, comma) : undefined,
  }
  o.proxycommand = 'none'
}
