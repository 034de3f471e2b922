// The shapes shared by the two ssh_config resolvers (`ssh -G` and the built-in reader) and the transport.

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

/** Which resolver produced a ResolvedHost. */
export type ConfigSource = 'ssh -G' | 'built-in'

/** The settings `ssh -G NAME` prints that the transport uses, in ssh's own spelling (paths not yet expanded where ssh does not expand them). */
export interface SshOptions {
  user: string
  hostname: string
  port: number
  /** As configured: ~ and %-tokens not expanded yet; `none` entries kept. */
  identityfile: string[]
  identitiesonly: boolean
  /** ~, %-tokens and ${ENV} expanded. */
  identityagent?: string
  /** ~, %-tokens and ${ENV} expanded; [] for `none`. */
  userknownhostsfile: string[]
  /** As configured; [] for `none`. */
  globalknownhostsfile: string[]
  stricthostkeychecking: 'true' | 'false' | 'ask' | 'accept-new'
  /** Lowercased. */
  hostkeyalias?: string
  /** Seconds; undefined for none. */
  connecttimeout?: number
  /** Earlier hops verbatim, the last one as ssh rebuilds it. */
  proxyjump?: string
  proxycommand?: string
  /** Comma-separated, defaults and +/-/^ already applied. */
  hostkeyalgorithms: string
}

/** What `ssh NAME` would use to connect. */
export interface ResolvedHost {
  /** The name asked for (the Host alias). */
  name: string
  /** Who resolved it: OpenSSH's own `ssh -G`, or kinspect's built-in reader (no ssh client installed). */
  source: ConfigSource
  hostName: string
  user: string
  port: number
  /** Identity files to try, in order (~, %-tokens and ${ENV} expanded; `IdentityFile none` entries dropped). */
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
  /** False only for StrictHostKeyChecking no/off/false: unknown keys are then accepted with a warning. */
  strict: boolean
  strictHostKeyChecking: 'yes' | 'no' | 'ask' | 'accept-new'
  hostKeyAlias?: string
  connectTimeoutMs?: number
  /** Host key algorithms ssh would accept, in its order. */
  hostKeyAlgorithms: string[]
}

/** Environment of a resolution; everything has a default from this machine. */
export interface ResolveOptions {
  /** The local user's home (default: the passwd entry's, as ssh uses). */
  home?: string
  localUser?: string
  localHost?: string
  uid?: number
  env?: Record<string, string | undefined>
  /** Reads the files an Include names (absolute glob). Default: the file system. */
  readInclude?: (absPattern: string) => ConfigText[]
  /** Home directory of another user, for ~user/ (default: /etc/passwd). */
  homeOf?: (user: string) => string | undefined
  /** Runs a Match exec command; its exit status or null (default: $SHELL -c with a 5 s deadline). */
  runExec?: (command: string) => number | null
}

/** What a resolution knows of this machine and how it reads Include files and runs Match exec. */
export interface ReadContext {
  /** The name asked for (ssh's host_arg). */
  name: string
  localUser: string
  /** gethostname(). */
  localHost: string
  /** The local user's home directory (getpwuid, not $HOME). */
  home: string
  uid: number
  env: Readonly<Record<string, string | undefined>>
  homeOf: (user: string) => string | undefined
  /** Reads the files an Include names (an absolute glob), sorted. */
  readInclude: (absPattern: string) => ConfigText[]
  /** Runs a Match exec command; its exit status, or null when it did not exit normally. */
  runExec: (command: string) => number | null
}
