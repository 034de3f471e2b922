// The `.recipes` YAML config: where it is looked up, and strict validation with file:line errors.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { LineCounter, isScalar } from 'yaml'
import { ConfigError, HINT, Validator } from './config-validate.ts'
import { isDnsLabel } from './names.ts'
import { matchGlob } from './exec/ssh/pattern.ts'
import { lineAt, MAX_YAML_DEPTH, parseYaml } from './yaml-depth.ts'
import { parseNodeAccess, type NodeAccessRule } from './config-access.ts'

export type { NodeAccessRule, Transport, PodPolicy } from './config-access.ts'
export { ConfigError, describeYamlNode } from './config-validate.ts'

/** SSH access for nodes whose name matches `match` (an ssh-style pattern: * and ?). */
export interface NodeRule {
  match: string
  user?: string
  port?: number
  identityFile?: string
  proxyJump?: string
  sudo?: boolean
  hostName?: string
}

/** The validated configuration; paths are absolute. */
export interface KinspectConfig {
  /** The file it came from; undefined when none was found (defaults). */
  file?: string
  recipeDirs: string[]
  context?: string
  namespace?: string
  nodes: NodeRule[]
  ssh: { configFile?: string; knownHostsFile?: string }
  /** kinspect triage: `nodes: true` reads the nodes (conntrack, kube-proxy rules) without --nodes. */
  triage?: { nodes?: boolean }
  /** How nodes are reached (SSH, a node pod), per node-name pattern; see src/config-access.ts. */
  nodeAccess: NodeAccessRule[]
  /** Fleet defaults (kinspect fleet, fleet()): nodes at once, per-node timeout, SSH connection attempts per host. */
  fleet: FleetConfig
}

/** The `fleet` key: fanout (nodes in flight, default 64), timeout (per node, default 30 s), connectsPerHost (default 8), daemonSetAbove (default 10). */
export interface FleetConfig {
  fanout?: number
  timeoutMs?: number
  connectsPerHost?: number
  /** A fleet reaching more than this many nodes through pods uses one DaemonSet instead of a node pod each. */
  daemonSetAbove?: number
}

/** Defaults used when no config file exists. */
export function defaultConfig(): KinspectConfig {
  return { recipeDirs: [], nodes: [], ssh: {}, nodeAccess: [], fleet: {} }
}

/** Where to look, in order; KINSPECT_CONFIG alone when set. Pure. */
export function configCandidates(
  opts: { cwd?: string; env?: Record<string, string | undefined>; home?: string } = {},
): { files: string[]; explicit: boolean } {
  const env = opts.env ?? process.env
  if (env.KINSPECT_CONFIG)
    return { files: [path.resolve(opts.cwd ?? process.cwd(), env.KINSPECT_CONFIG)], explicit: true }
  const home = opts.home ?? env.HOME ?? os.homedir()
  const xdg = env.XDG_CONFIG_HOME || path.join(home, '.config')
  return {
    files: [path.join(opts.cwd ?? process.cwd(), '.recipes'), path.join(xdg, 'kinspect', '.recipes')],
    explicit: false,
  }
}

/** Finds and loads the config; defaults when no file exists, ConfigError when one is wrong. */
export function loadConfig(
  opts: { cwd?: string; env?: Record<string, string | undefined>; home?: string } = {},
): KinspectConfig {
  const { files, explicit } = configCandidates(opts)
  for (const file of files) {
    let text: string
    try {
      if (!fs.statSync(file).isFile()) {
        if (explicit)
          throw new ConfigError(
            'missing',
            file,
            `KINSPECT_CONFIG names ${file}, which is not a file`,
            'point KINSPECT_CONFIG at a .recipes YAML file or unset it',
          )
        continue
      }
      text = fs.readFileSync(file, 'utf8')
    } catch (e) {
      if (e instanceof ConfigError) throw e
      const code = (e as NodeJS.ErrnoException).code
      if (!explicit && (code === 'ENOENT' || code === 'ENOTDIR')) continue
      const why =
        code === 'ENOENT'
          ? 'does not exist'
          : code === 'EACCES'
            ? 'is not readable (permission denied)'
            : (e as Error).message
      throw new ConfigError(
        'missing',
        file,
        `${explicit ? 'KINSPECT_CONFIG names ' : 'config '}${file}, which ${why}`,
        explicit ? 'point KINSPECT_CONFIG at an existing file or unset it' : 'fix the file permissions',
        undefined,
        undefined,
        e,
      )
    }
    return parseConfig(text, file, opts.home ?? opts.env?.HOME)
  }
  return defaultConfig()
}

const TOP = ['recipeDirs', 'context', 'namespace', 'nodes', 'ssh', 'triage', 'nodeAccess', 'fleet'] as const
const TRIAGE_KEYS = ['nodes'] as const
const NODE_KEYS = ['match', 'user', 'port', 'identityFile', 'proxyJump', 'sudo', 'hostName'] as const
const SSH_KEYS = ['configFile', 'knownHostsFile'] as const
const FLEET_KEYS = ['fanout', 'timeout', 'connectsPerHost', 'daemonSetAbove'] as const

/** Parses and validates a config file's text (pure apart from path resolution against the file). */
export function parseConfig(text: string, file: string, home: string = os.homedir()): KinspectConfig {
  const lc = new LineCounter()
  const parsed = parseYaml(text, { lineCounter: lc })
  if ('tooDeep' in parsed) {
    const deep = parsed.tooDeep
    const line = lineAt(text, deep.offset)
    throw new ConfigError(
      'parse',
      file,
      `${file}:${line}: invalid YAML: collections nested ${deep.depth} levels deep (at most ${MAX_YAML_DEPTH})`,
      HINT,
      undefined,
      line,
    )
  }
  const { doc } = parsed
  if (doc.errors.length) {
    const e = doc.errors[0]
    const line = e.linePos?.[0]?.line ?? (e.pos ? lc.linePos(e.pos[0]).line : undefined)
    throw new ConfigError(
      'parse',
      file,
      `${file}${line ? `:${line}` : ''}: invalid YAML: ${e.message.split('\n')[0]}`,
      HINT,
      undefined,
      line,
      e,
    )
  }
  const cfg = defaultConfig()
  cfg.file = file
  if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) return cfg
  const v = new Validator(file, lc, path.dirname(file), home)
  const top = v.pairs('', doc.contents, TOP)
  for (const [key, { value }] of top) {
    switch (key) {
      case 'recipeDirs':
        cfg.recipeDirs = v.list('recipeDirs', value).map((n, i) => v.filePath(`recipeDirs[${i}]`, n))
        break
      case 'context':
        cfg.context = v.str('context', value)
        break
      case 'namespace': {
        const ns = v.str('namespace', value)
        if (!isDnsLabel(ns)) v.fail('namespace', value, 'a namespace name (lowercase letters, digits and -)')
        cfg.namespace = ns
        break
      }
      case 'nodes':
        cfg.nodes = v.list('nodes', value).map((n, i) => {
          const kp = `nodes[${i}]`
          const m = v.pairs(kp, n, NODE_KEYS)
          if (!m.has('match'))
            v.fail(`${kp}.match`, n, 'a glob on the node name (match is required)', 'a rule without match')
          const rule: NodeRule = { match: '' }
          for (const [k, { value: nv }] of m) {
            if (k === 'port') rule.port = v.port(`${kp}.port`, nv)
            else if (k === 'sudo') rule.sudo = v.bool(`${kp}.sudo`, nv)
            else if (k === 'identityFile') rule.identityFile = v.filePath(`${kp}.identityFile`, nv)
            else if (k === 'match') {
              rule.match = v.str(`${kp}.match`, nv)
              if (!/^[^\s,!#"'\\]+$/.test(rule.match))
                v.fail(
                  `${kp}.match`,
                  nv,
                  'a pattern on the node name without spaces, commas, !, quotes or backslashes (* and ? are wildcards)',
                )
            } else (rule as unknown as Record<string, string>)[k] = v.str(`${kp}.${k}`, nv)
            // these become ssh_config lines (nodesToSshConfig): a line break or control character would split or corrupt them
            if (
              k !== 'port' &&
              k !== 'sudo' &&
              /[\x00-\x1f\x7f\x85\u2028\u2029]/.test(String((rule as unknown as Record<string, unknown>)[k]))
            )
              v.fail(`${kp}.${k}`, nv, 'a value on one line without control characters')
          }
          return rule
        })
        break
      case 'triage': {
        const m = v.pairs('triage', value, TRIAGE_KEYS)
        cfg.triage = {}
        for (const [k, { value: tv }] of m) cfg.triage[k as (typeof TRIAGE_KEYS)[number]] = v.bool(`triage.${k}`, tv)
        break
      }
      case 'ssh': {
        const m = v.pairs('ssh', value, SSH_KEYS)
        for (const [k, { value: sv }] of m) cfg.ssh[k as (typeof SSH_KEYS)[number]] = v.filePath(`ssh.${k}`, sv)
        break
      }
      case 'nodeAccess':
        cfg.nodeAccess = parseNodeAccess(v, value)
        break
      case 'fleet': {
        const m = v.pairs('fleet', value, FLEET_KEYS)
        for (const [k, { value: fv }] of m) {
          if (k === 'fanout') cfg.fleet.fanout = v.count('fleet.fanout', fv, 10_000)
          else if (k === 'connectsPerHost') cfg.fleet.connectsPerHost = v.count('fleet.connectsPerHost', fv, 1000)
          else if (k === 'daemonSetAbove') cfg.fleet.daemonSetAbove = v.count('fleet.daemonSetAbove', fv, 1_000_000)
          else cfg.fleet.timeoutMs = v.duration('fleet.timeout', fv)
        }
        break
      }
    }
  }
  return cfg
}

/** True when a node name fits a rule's `match` (ssh-style pattern: * any text, ? one character), as ssh matches its Host line. */
export function ruleMatches(rule: Pick<NodeRule, 'match'>, node: string): boolean {
  // ssh's own matcher: the regex this replaces (each * as .*) backtracked exponentially on "*a*a*a*a*a*a*c" (found by fuzzing)
  return matchGlob(rule.match, node, true)
}

/** A value as one ssh_config argument: quoted when it holds a blank, a quote, a backslash, '#' or '=' (which ssh would read as syntax). */
function sshValue(v: string): string {
  return /[\s"'\\#=]/.test(v) ? `"${v.replace(/[\\"]/g, '\\$&')}"` : v
}

/** The `nodes` rules as ssh_config text (Host blocks), read before the user's ssh config so they win. Pure. */
export function nodesToSshConfig(rules: readonly NodeRule[], source = '.recipes'): string {
  const out = [`# from ${source} (nodes)`]
  for (const r of rules) {
    const lines = [
      r.hostName && `HostName ${sshValue(r.hostName)}`,
      r.user && `User ${sshValue(r.user)}`,
      r.port && `Port ${r.port}`,
      r.identityFile && `IdentityFile ${sshValue(r.identityFile)}`,
      r.proxyJump && `ProxyJump ${sshValue(r.proxyJump)}`,
    ].filter(Boolean)
    if (lines.length) out.push(`Host ${r.match}`, ...lines.map((l) => `  ${l}`))
  }
  return `${out.join('\n')}\n`
}
