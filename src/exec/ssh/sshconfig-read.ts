// The built-in reader: walks config files the way OpenSSH's readconf.c does and returns what `ssh -G` would print.
import path from 'node:path'
import { isLine, lexConfig, type LexedLine } from './sshconfig-lex.ts'
import { expandHostName, matchLine } from './sshconfig-match.ts'
import {
  assembleHostKeyAlgs,
  canonicalHost,
  connectionTokens,
  ExpandError,
  percentExpand,
  tildeExpand,
} from './sshconfig-expand.ts'
import { matchGlob } from './pattern.ts'
import { isNoneJump, optionLine, type Options } from './sshconfig-options.ts'
import type { ConfigText, ReadContext, SshOptions } from './sshconfig-types.ts'

export type { ReadContext } from './sshconfig-types.ts'
import { SshConfigError } from './sshconfig-error.ts'

interface Flags {
  /** The name Host lines match: the name asked for, then (final pass) the host as ssh canonicalised it. */
  hostMatch: string
  user: boolean
  neverMatch: boolean
  final: boolean
}

/** One read pass: the flags of the file being read, whether its lines apply, the options gathered so far. */
interface Walk {
  flags: Flags
  /** Whether the lines being read apply (the last Host or Match line matched); shared with included files. */
  active: { v: boolean }
  depth: number
  o: Options
  ctx: ReadContext
  /** Set by the first pass when a Match asks for a final pass; undefined in the final pass. */
  want?: { final: boolean }
}

const MAX_DEPTH = 16
/** The identity files ssh tries when none is configured, as `ssh -G` prints them. */
export const DEFAULT_IDENTITY_FILES = [
  'id_rsa',
  'id_ecdsa',
  'id_ecdsa_sk',
  'id_ed25519',
  'id_ed25519_sk',
  'id_xmss',
  'id_dsa',
].map((f) => `~/.ssh/${f}`)

/** Reads the config texts (user files first, then system) for ctx.name, like `ssh -G NAME`; throws SshConfigError. */
export function readOptions(texts: readonly ConfigText[], ctx: ReadContext): SshOptions {
  const o: Options = { identityfile: [], userknownhostsfile: [], globalknownhostsfile: [] }
  const want = { final: false }
  const pass = (final: boolean, hostMatch: string) => {
    for (const t of texts)
      readFile(t, {
        flags: { hostMatch, user: (t.kind ?? 'user') === 'user', neverMatch: false, final },
        active: { v: true },
        depth: 0,
        o,
        ctx,
        want: final ? undefined : want,
      })
  }
  pass(false, ctx.name)
  const host0 = o.hostname !== undefined ? expandHostName(o.hostname, ctx.name) : ctx.name
  const host = canonicalHost(host0)
  const canon = o.canonicalizehostname
  if (want.final || (canon !== undefined && !['no', 'false'].includes(canon))) {
    o.hostname = host
    pass(true, host)
  }
  const user = o.user ?? ctx.localUser
  const port = o.port ?? 22
  const alias = o.hostkeyalias?.toLowerCase()
  const tokens = connectionTokens(ctx, { host, port, user, alias })
  const files = (list: string[], def: string[]) => {
    const l = list.length ? list : def
    return l.length === 1 && l[0].toLowerCase() === 'none' ? [] : l
  }
  const known = files(o.userknownhostsfile, ['~/.ssh/known_hosts', '~/.ssh/known_hosts2']).map((f) =>
    expandPath(f, 'UserKnownHostsFile', ctx, tokens),
  )
  const jump = o.jump && !isNoneJump(o.jump) ? o.jump : undefined
  if (jump && jump.host === host && port === (jump.port > 0 ? jump.port : 22) && user === (jump.user ?? user)) {
    throw new SshConfigError(
      `jumphost loop via ${jump.host}`,
      `ProxyJump for ${ctx.name} names the host itself: limit the ProxyJump block so it does not match the jump host`,
    )
  }
  return {
    user,
    hostname: host,
    port,
    identityfile: o.identityfile.length ? o.identityfile.map((f) => f.raw) : [...DEFAULT_IDENTITY_FILES],
    identitiesonly: o.identitiesonly ?? false,
    identityagent:
      o.identityagent === undefined ? undefined : expandPath(o.identityagent, 'IdentityAgent', ctx, tokens),
    userknownhostsfile: known,
    globalknownhostsfile: files(o.globalknownhostsfile, ['/etc/ssh/ssh_known_hosts', '/etc/ssh/ssh_known_hosts2']),
    stricthostkeychecking: o.stricthostkeychecking ?? 'ask',
    hostkeyalias: alias,
    connecttimeout: o.connecttimeout,
    proxyjump: jump ? formatJump(jump) : undefined,
    proxycommand: !jump && o.proxycommand && o.proxycommand.toLowerCase() !== 'none' ? o.proxycommand : undefined,
    hostkeyalgorithms: assembleHostKeyAlgs(o.hostkeyalgorithms).join(','),
  }
}

/** ~ then %-tokens and ${ENV}, as ssh expands a path option; errors name the keyword. */
export function expandPath(
  p: string,
  keyword: string,
  ctx: Pick<ReadContext, 'home' | 'homeOf' | 'env'>,
  tokens: Record<string, string>,
): string {
  try {
    return percentExpand(tildeExpand(p, ctx.home, ctx.homeOf), tokens, ctx.env)
  } catch (e) {
    if (e instanceof ExpandError)
      throw new SshConfigError(
        `${keyword} ${p}: ${e.message}`,
        `${keyword} accepts the tokens ${Object.keys(tokens)
          .map((t) => `%${t}`)
          .join(' ')}, %% and \${VARIABLE}`,
      )
    throw e
  }
}

// proxyjump as ssh -G prints it: earlier hops verbatim, the last one rebuilt, numeric hosts in brackets.
function formatJump(j: NonNullable<Options['jump']>): string {
  const numeric = j.host.includes(':') || /^[\d.]*$/.test(j.host)
  return `${j.extra ? `${j.extra},` : ''}${j.user ? `${j.user}@` : ''}${numeric ? `[${j.host}]` : j.host}${j.port > 0 ? `:${j.port}` : ''}`
}

// read_config_file_depth(): every line is checked, active or not; bad lines end the read with all of them named.
function readFile(t: ConfigText, w: Walk): void {
  const file = t.path ?? '<config>'
  if (w.depth > MAX_DEPTH)
    throw new SshConfigError(
      `${file}: Too many recursive configuration includes (more than ${MAX_DEPTH} deep; a loop?)`,
      'check the Include lines of the ssh config',
    )
  const bad: string[] = []
  for (const l of lexConfig(t.text)) {
    if (!isLine(l)) {
      bad.push(`${file}:${l.line}: ${l.message}`)
      continue
    }
    const err = processLine(l, file, w)
    if (err) bad.push(`${file}:${l.line}: ${err}`)
  }
  if (bad.length)
    throw new SshConfigError(
      bad.length === 1
        ? bad[0]
        : `${bad[0]} (and ${bad.length - 1} more bad line${bad.length > 2 ? 's' : ''} in ${file}: ${bad.slice(1).join('; ')})`,
      'ssh rejects this config too: fix the line(s) named (`ssh -G NAME` shows what ssh makes of it)',
    )
}

// process_config_line_depth(): Host, Match and Include here, the options in sshconfig-options.ts; returns an error or undefined.
function processLine(l: LexedLine, file: string, w: Walk): string | undefined {
  const { flags, active, o, ctx } = w
  const { keyword: kw, args } = l
  const on = active.v
  switch (kw) {
    case 'host': {
      active.v = false
      for (const a of args) {
        if (a === '') return `keyword ${kw} empty argument`
        if (flags.neverMatch) break
        const neg = a.startsWith('!')
        if (matchGlob(neg ? a.slice(1) : a, flags.hostMatch, false)) {
          if (neg) {
            active.v = false
            break
          }
          active.v = true
        }
      }
      return
    }
    case 'match': {
      const r = matchLine(
        l.rest,
        {
          final: flags.final,
          port: o.port ?? 22,
          user: o.user ?? ctx.localUser,
          hostname: o.hostname,
          alias: o.hostkeyalias,
        },
        ctx,
        w.want,
        `${file}:${l.line}`,
      )
      if (typeof r === 'string') return r
      active.v = flags.neverMatch ? false : r
      return
    }
    case 'include':
      return include(args, file, w)
    default:
      return optionLine(l, on, flags.user, o, ctx)
  }
}

// Include: relative paths live in ~/.ssh (user files) or /etc/ssh (system files); a missing file is skipped.
function include(args: string[], file: string, w: Walk): string | undefined {
  const { flags, active, ctx } = w
  for (const arg of args) {
    if (arg === '') return 'keyword include empty argument'
    if (arg.startsWith('~') && !flags.user) return `bad include path ${arg}.`
    let p = arg.startsWith('/') || arg.startsWith('~') ? arg : `${flags.user ? '~/.ssh' : '/etc/ssh'}/${arg}`
    if (p.startsWith('~')) {
      const slash = p.indexOf('/')
      const user = p.slice(1, slash < 0 ? undefined : slash)
      const home = user ? ctx.homeOf(user) : (ctx.env.HOME ?? ctx.home)
      if (home !== undefined) p = path.join(home, slash < 0 ? '' : p.slice(slash))
    }
    const was = active.v
    for (const inc of ctx.readInclude(p)) {
      readFile(
        { ...inc, kind: flags.user ? 'user' : 'system' },
        { ...w, flags: { ...flags, neverMatch: flags.neverMatch || !was }, depth: w.depth + 1 },
      )
      active.v = was // an included file's Host and Match lines do not leak into the file that includes it
    }
  }
  return undefined
}
