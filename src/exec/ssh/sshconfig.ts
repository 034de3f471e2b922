// OpenSSH ssh_config: the built-in resolver (readconf.c's rules), the conversion to what the transport uses, file lookup.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fnmatch, hasGlobMagic } from './pattern.ts'
import { parseJumpList } from './sshconfig-jump.ts'
import { expandPath, readOptions, type ReadContext } from './sshconfig-read.ts'
import { runMatchExec } from './sshconfig-match.ts'
import { connectionTokens, passwdHome, tildeExpand } from './sshconfig-expand.ts'
import type { ConfigSource, ConfigText, JumpHost, ResolvedHost, ResolveOptions, SshOptions } from './sshconfig-types.ts'
import { SshConfigError } from './sshconfig-error.ts'
import { isLine, lexConfig, type LexedLine } from './sshconfig-lex.ts'

export type { ConfigSource, ConfigText, JumpHost, ResolvedHost, ResolveOptions, SshOptions } from './sshconfig-types.ts'

export { SshConfigError } from './sshconfig-error.ts'

/** Checks a node name the way both resolvers need it: non-empty, no spaces, not user@host or an option. */
export function checkHostName(name: unknown): string {
  if (
    typeof name !== 'string' ||
    !name ||
    /\s/.test(name) ||
    name.startsWith('-') ||
    name.includes('@') ||
    name.startsWith('ssh://')
  ) {
    throw new SshConfigError(
      `host name: expected a non-empty name without spaces, '@', "ssh://" or a leading '-', received ${JSON.stringify(name)}`,
    )
  }
  return name
}

/** This machine's defaults for a resolution (the passwd home, as ssh uses, not $HOME). */
export function localContext(name: string, opts: ResolveOptions = {}): Omit<ReadContext, 'readInclude' | 'runExec'> {
  const info = safeUserInfo()
  return {
    name,
    home: opts.home ?? info?.homedir ?? os.homedir(),
    localUser: opts.localUser ?? info?.username ?? 'root',
    localHost: opts.localHost ?? os.hostname(),
    uid: opts.uid ?? process.getuid?.() ?? 0,
    env: opts.env ?? process.env,
    homeOf: opts.homeOf ?? passwdHome,
  }
}

// The process's user does not change: looked up once (a passwd lookup per node showed in a fleet's profile).
let userInfo: { v: os.UserInfo<string> | undefined } | undefined
function safeUserInfo(): os.UserInfo<string> | undefined {
  if (userInfo) return userInfo.v
  try {
    userInfo = { v: os.userInfo() }
  } catch {
    userInfo = { v: undefined }
  }
  return userInfo.v
}

/** What the built-in reader makes of NAME: the settings `ssh -G NAME` would print (see SshOptions). */
export function resolveOptions(
  name: string,
  configs: string | ConfigText | readonly (string | ConfigText)[],
  opts: ResolveOptions = {},
): SshOptions {
  checkHostName(name)
  const texts = (Array.isArray(configs) ? configs : [configs]).map((c: string | ConfigText) =>
    typeof c === 'string' ? { text: c, kind: 'user' as const } : c,
  )
  const base = localContext(name, opts)
  return readOptions(texts, {
    ...base,
    readInclude: opts.readInclude ?? readIncludeFromDisk,
    runExec: opts.runExec ?? ((cmd) => runMatchExec(cmd, base.env)),
  })
}

/** Resolves NAME through config texts (user files first, then system) with the built-in reader, like `ssh -G NAME`. */
export function resolveHost(
  name: string,
  configs: string | ConfigText | readonly (string | ConfigText)[],
  opts: ResolveOptions = {},
): ResolvedHost {
  return toResolvedHost(resolveOptions(name, configs, opts), localContext(name, opts), 'built-in')
}

const DEFAULT_ID = /^~\/\.ssh\/id_(rsa|ecdsa|ecdsa_sk|ed25519|ed25519_sk|xmss|dsa)$/
const STRICT = { true: 'yes', false: 'no', ask: 'ask', 'accept-new': 'accept-new' } as const

/** What the transport needs from ssh's settings: paths expanded as ssh expands them when it connects. */
export function toResolvedHost(
  o: SshOptions,
  ctx: Omit<ReadContext, 'readInclude' | 'runExec'>,
  source: ConfigSource,
): ResolvedHost {
  const tokens = connectionTokens(ctx, { host: o.hostname, port: o.port, user: o.user, alias: o.hostkeyalias })
  const identityFiles = o.identityfile
    .filter((f) => f.toLowerCase() !== 'none')
    .map((f) => expandPath(f, 'IdentityFile', ctx, tokens))
  const agent = o.identityagent
  const envKnown = ctx.env.KINSPECT_KNOWN_HOSTS
  const proxyJump = o.proxyjump ? parseJumpList(o.proxyjump) : []
  if (!proxyJump) throw new SshConfigError(`ProxyJump ${o.proxyjump}: not a list of [user@]host[:port] hops`)
  const strictHostKeyChecking = STRICT[o.stricthostkeychecking]
  return {
    name: ctx.name,
    source,
    hostName: o.hostname,
    user: o.user,
    port: o.port,
    identityFiles,
    identityFilesExplicit: !o.identityfile.every((f) => DEFAULT_ID.test(f)),
    identitiesOnly: o.identitiesonly,
    identityAgent:
      agent === undefined || agent === 'SSH_AUTH_SOCK'
        ? undefined
        : agent === 'none'
          ? null
          : agent.startsWith('$') && agent[1] !== '{'
            ? (ctx.env[agent.slice(1)] ?? null)
            : agent,
    proxyJump,
    proxyCommand: o.proxycommand,
    knownHostsFiles: envKnown
      ? [envKnown, ...o.userknownhostsfile.filter((f) => f !== envKnown)]
      : [...o.userknownhostsfile],
    globalKnownHostsFiles: o.globalknownhostsfile.map((f) => tildeExpand(f, ctx.home, ctx.homeOf)),
    strict: strictHostKeyChecking !== 'no',
    strictHostKeyChecking,
    hostKeyAlias: o.hostkeyalias,
    connectTimeoutMs: o.connecttimeout ? o.connecttimeout * 1000 : undefined,
    hostKeyAlgorithms: o.hostkeyalgorithms.split(',').filter(Boolean),
  }
}

/** Parses a ProxyJump value: comma-separated [user@]host[:port] or ssh://[user@]host[:port]; "none" is empty. */
export function parseProxyJump(value: string, what = 'ProxyJump'): JumpHost[] {
  const hops = parseJumpList(value)
  if (!hops)
    throw new SshConfigError(
      `${what}: ${JSON.stringify(value)} is not a list of [user@]host[:port] hops (IPv6 addresses go in [brackets])`,
    )
  return hops
}

/**
 * Include from disk, as glob(3) expands it: `*`, `?` and `[...]` in any path component, sorted, dot files only
 * when asked for; missing files are skipped. Files ssh would refuse (not owned by root or the user, or writable by
 * group or others) are refused here too.
 */
export function readIncludeFromDisk(absPattern: string): ConfigText[] {
  const parts = path.resolve(absPattern).split('/').filter(Boolean)
  let paths = ['/']
  for (const part of parts) {
    if (!hasGlobMagic(part)) {
      paths = paths.map((p) => path.join(p, part.replace(/\\(.)/g, '$1')))
      continue
    }
    paths = paths.flatMap((dir) => {
      try {
        return fs
          .readdirSync(dir)
          .filter((n) => fnmatch(part, n))
          .sort()
          .map((n) => path.join(dir, n))
      } catch {
        return []
      }
    })
  }
  const out: ConfigText[] = []
  for (const p of paths) {
    let st: fs.Stats
    try {
      st = fs.statSync(p)
    } catch {
      continue // missing include: OpenSSH skips it too
    }
    if (!safeOwner(st)) {
      throw new SshConfigError(
        `Bad owner or permissions on ${p}`,
        `ssh refuses included config files that others can change: chown it to you or root and chmod go-w ${p}`,
      )
    }
    try {
      out.push({ text: st.isDirectory() ? '' : fs.readFileSync(p, 'utf8'), path: p })
    } catch (e) {
      throw new SshConfigError(
        `Can't open user config file ${p}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      )
    }
  }
  return out
}

/** ssh's check on config files it must trust: owned by root or the user, not writable by group or others. */
export function safeOwner(st: fs.Stats): boolean {
  const uid = process.getuid?.() ?? 0
  return (st.uid === 0 || st.uid === uid) && (st.mode & 0o022) === 0
}

/** Paths of the config files in effect: KINSPECT_SSH_CONFIG (or ~/.ssh/config), then /etc/ssh/ssh_config. */
export function configPaths(
  env: Record<string, string | undefined> = process.env,
  home = os.homedir(),
): { user: string; system: string; fromEnv: boolean } {
  const fromEnv = !!env.KINSPECT_SSH_CONFIG
  return { user: env.KINSPECT_SSH_CONFIG || path.join(home, '.ssh', 'config'), system: '/etc/ssh/ssh_config', fromEnv }
}

/** Reads the config files in effect; a missing default file is skipped, a missing KINSPECT_SSH_CONFIG is an error. */
export function loadConfigTexts(
  opts: { env?: Record<string, string | undefined>; home?: string; systemConfig?: string | null } = {},
): ConfigText[] {
  const p = configPaths(opts.env ?? process.env, opts.home)
  const out: ConfigText[] = []
  const read = (file: string, kind: 'user' | 'system', required: boolean) => {
    try {
      const text = fs.readFileSync(file, 'utf8')
      // ssh refuses ~/.ssh/config when others can change it (a file named with -F, like KINSPECT_SSH_CONFIG, it reads).
      if (kind === 'user' && !p.fromEnv && !safeOwner(fs.statSync(file)))
        throw new SshConfigError(
          `Bad owner or permissions on ${file}`,
          `ssh refuses it too: chmod go-w ${file} (and own it yourself)`,
        )
      out.push({ text, path: file, kind })
    } catch (e) {
      if (e instanceof SshConfigError) throw e
      const code = (e as NodeJS.ErrnoException).code
      if (required || code !== 'ENOENT') {
        throw new SshConfigError(
          `cannot read ssh config ${file}${required ? ' (from KINSPECT_SSH_CONFIG)' : ''}: ${code ?? (e as Error).message}`,
          required
            ? 'point KINSPECT_SSH_CONFIG at an existing ssh_config, or unset it to use ~/.ssh/config'
            : undefined,
        )
      }
    }
  }
  read(p.user, 'user', p.fromEnv)
  const system = opts.systemConfig === undefined ? p.system : opts.systemConfig
  if (system) read(system, 'system', false)
  return out
}

/** Keyword/argument lines of a config text, lexed as OpenSSH lexes them; throws SshConfigError on a line ssh would reject. */
export function parseConfigLines(text: string, file = '<config>'): LexedLine[] {
  return lexConfig(text).map((l) => {
    if (!isLine(l)) throw new SshConfigError(`${file}:${l.line}: ${l.message}`)
    return l
  })
}
