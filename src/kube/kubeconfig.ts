// Kubeconfig loading with kubectl's semantics (first file wins per key, missing files skipped), no client-node.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import * as yamlLib from 'yaml'
import { KubeError } from './errors.ts'
import { received } from '../errors.ts'
import { lineAt, MAX_YAML_DEPTH, withoutStacks, yamlDepth } from '../yaml-depth.ts'

// `yaml` is imported at start-up anyway (src/config.ts reads .recipes with it): a static import, one copy in the bundle.
const yaml = () => yamlLib

/** A cluster entry as written in a kubeconfig (paths already made absolute). */
export interface RawCluster {
  server?: string
  'certificate-authority'?: string
  'certificate-authority-data'?: string
  'insecure-skip-tls-verify'?: boolean
  'tls-server-name'?: string
  'proxy-url'?: string
  [k: string]: unknown
}
/** A user entry as written in a kubeconfig (paths already made absolute). */
export interface RawUser {
  token?: string
  tokenFile?: string
  'client-certificate'?: string
  'client-certificate-data'?: string
  'client-key'?: string
  'client-key-data'?: string
  username?: string
  password?: string
  as?: string
  exec?: {
    command?: string
    args?: string[]
    env?: { name: string; value: string }[]
    apiVersion?: string
    [k: string]: unknown
  }
  'auth-provider'?: { name?: string; config?: Record<string, string> }
  [k: string]: unknown
}
/** A context entry as written in a kubeconfig. */
export interface RawContext {
  cluster?: string
  user?: string
  namespace?: string
  [k: string]: unknown
}

/** One parsed kubeconfig file. */
export interface KubeconfigDoc {
  file: string
  clusters: { name: string; cluster: RawCluster }[]
  users: { name: string; user: RawUser }[]
  contexts: { name: string; context: RawContext }[]
  currentContext?: string
}

/** An entry of the merged config with the file that defined it. */
export interface Sourced<T> {
  value: T
  source: string
}

/** Several kubeconfig files merged the kubectl way. */
export interface MergedKubeconfig {
  clusters: Map<string, Sourced<RawCluster>>
  users: Map<string, Sourced<RawUser>>
  contexts: Map<string, Sourced<RawContext>>
  currentContext?: string
  currentContextSource?: string
  /** Files that were read, in precedence order. */
  sources: string[]
}

/** One context, as listed by `kubectl config get-contexts`. */
export interface ContextInfo {
  name: string
  cluster: string
  user: string
  namespace?: string
  source: string
}

/** How the selected user authenticates (for display; secrets are not copied here). */
export type AuthKind = 'token' | 'tokenFile' | 'client-certificate' | 'exec' | 'auth-provider' | 'basic' | 'none'

/** Everything kinspect needs from the kubeconfig: the selected context, its cluster and namespace. */
export interface KubeconfigInfo {
  /** All contexts, sorted by name. */
  contexts: ContextInfo[]
  /** The selected context (the --context override or the file's current-context). */
  currentContext: string
  context: ContextInfo
  cluster: {
    name: string
    server: string
    source: string
    caFile?: string
    insecure: boolean
    tlsServerName?: string
    proxyUrl?: string
  }
  /** API server URL of the selected cluster. */
  server: string
  user: { name: string; source?: string; auth: AuthKind }
  /** Namespace: --namespace, else the context's, else "default". */
  namespace: string
  namespaceFrom: 'override' | 'context' | 'default'
  /** Kubeconfig files read, in precedence order. */
  sources: string[]
  /** The merged entries (with absolute paths), used to build client-node's KubeConfig; non-enumerable (secrets). */
  merged: MergedKubeconfig
}

/** Options mirroring kubectl's flags; env/home are injectable for tests. */
export interface LoadOptions {
  /** --kubeconfig: one file, used alone (not merged), must exist. */
  kubeconfig?: string
  /** --context override. */
  context?: string
  /** --namespace override. */
  namespace?: string
  env?: Record<string, string | undefined>
  home?: string
}

function isMap(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v)
}

function resolveIn(dir: string, p: unknown): string | undefined {
  if (typeof p !== 'string' || p === '') return undefined
  return path.isAbsolute(p) ? p : path.join(dir, p)
}

type FieldType = 'string' | 'boolean' | 'map' | 'strings' | 'stringMap' | 'envs'
/** The type of each known field, as client-go decodes it (a field of another type makes kubectl refuse the file too). */
const FIELDS: Record<string, Record<string, FieldType>> = {
  cluster: {
    server: 'string',
    'certificate-authority': 'string',
    'certificate-authority-data': 'string',
    'insecure-skip-tls-verify': 'boolean',
    'tls-server-name': 'string',
    'proxy-url': 'string',
  },
  user: {
    token: 'string',
    tokenFile: 'string',
    'client-certificate': 'string',
    'client-certificate-data': 'string',
    'client-key': 'string',
    'client-key-data': 'string',
    username: 'string',
    password: 'string',
    as: 'string',
    exec: 'map',
    'auth-provider': 'map',
  },
  context: { cluster: 'string', user: 'string', namespace: 'string' },
  exec: { command: 'string', apiVersion: 'string', args: 'strings', env: 'envs' },
  'auth-provider': { name: 'string', config: 'stringMap' },
}
const isType: Record<FieldType, (v: unknown) => boolean> = {
  string: (v) => typeof v === 'string',
  boolean: (v) => typeof v === 'boolean',
  map: isMap,
  strings: (v) => Array.isArray(v) && v.every((x) => typeof x === 'string'),
  stringMap: (v) => isMap(v) && Object.values(v).every((x) => typeof x === 'string'),
  envs: (v) =>
    Array.isArray(v) && v.every((x) => isMap(x) && typeof x.name === 'string' && typeof x.value === 'string'),
}
const WANT: Record<FieldType, string> = {
  string: 'a string',
  boolean: 'true or false',
  map: 'a mapping',
  strings: 'a list of strings',
  stringMap: 'a mapping of strings',
  envs: 'a list of {name, value} strings',
}
const described = (v: unknown) =>
  Array.isArray(v) ? 'a list' : isMap(v) ? 'a mapping' : `the ${typeof v} ${JSON.stringify(v)?.slice(0, 40)}`

/** Checks the known fields of one entry (recursively for exec and auth-provider); null means unset, as in kubectl. */
function checkFields(entry: Record<string, unknown>, kind: string, where: string, file: string): void {
  for (const [k, t] of Object.entries(FIELDS[kind])) {
    const v = entry[k]
    if (v === null) delete entry[k]
    else if (v !== undefined && !isType[t](v))
      throw new KubeError(
        'yaml',
        `${file}: ${where}.${k}: expected ${WANT[t]}, received ${described(v)}`,
        'fix the kubeconfig file (kubectl refuses it too)',
        undefined,
        { file },
      )
    else if (v !== undefined && FIELDS[k]) checkFields(v as Record<string, unknown>, k, `${where}.${k}`, file)
  }
}

function namedList<T>(
  doc: Record<string, unknown>,
  key: string,
  inner: string,
  file: string,
): { name: string; [k: string]: any }[] {
  const v = doc[key]
  if (v === undefined || v === null) return []
  if (!Array.isArray(v))
    throw new KubeError(
      'yaml',
      `${file}: "${key}" must be a list, received ${received(v)}`,
      'fix the kubeconfig file (see kubectl config view)',
      undefined,
      { file },
    )
  const out: { name: string; [k: string]: any }[] = []
  for (const e of v) {
    if (!isMap(e) || typeof e.name !== 'string' || e.name === '') continue
    const value = isMap(e[inner]) ? structuredClone(e[inner] as Record<string, unknown>) : {}
    checkFields(value, inner, `${key}[${e.name}].${inner}`, file)
    out.push({ name: e.name, [inner]: value })
  }
  return out
}

/** Parses one kubeconfig file's text; relative paths are resolved against the file's directory. */
export function parseKubeconfig(text: string, file: string): KubeconfigDoc {
  let doc: unknown
  const Y = yaml()
  const lc = new Y.LineCounter()
  const bad = (e: unknown, line?: number) =>
    new KubeError(
      'yaml',
      `${file}${line ? `:${line}` : ''}: invalid YAML: ${(e as Error).message.split('\n')[0]}`,
      'fix the kubeconfig file, or point KUBECONFIG/--kubeconfig at another one',
      e,
      { file, line },
    )
  try {
    // Not yaml.parse: it pretty-prints every error (seconds on a large broken file, found by fuzzing) and prints
    // warnings to stderr. The first error is enough, with its line from the line counter.
    const deep = yamlDepth(text, Y.Parser)
    if (deep.depth > MAX_YAML_DEPTH)
      throw bad(
        new Error(`collections nested ${deep.depth} levels deep (at most ${MAX_YAML_DEPTH})`),
        lineAt(text, deep.offset),
      )
    const d = withoutStacks(() => Y.parseDocument(text, { uniqueKeys: false, prettyErrors: false, lineCounter: lc }))
    if (d.errors.length) throw bad(d.errors[0], lc.linePos(d.errors[0].pos[0]).line)
    doc = d.toJS()
  } catch (e) {
    throw e instanceof KubeError ? e : bad(e)
  }
  if (doc === null || doc === undefined) doc = {}
  if (!isMap(doc))
    throw new KubeError(
      'yaml',
      `${file}: a kubeconfig must be a YAML mapping, received ${Array.isArray(doc) ? 'a list' : typeof doc}`,
      'fix the kubeconfig file',
      undefined,
      { file },
    )
  const dir = path.dirname(path.resolve(file))
  const clusters = namedList(doc, 'clusters', 'cluster', file) as KubeconfigDoc['clusters']
  for (const c of clusters) {
    const ca = resolveIn(dir, c.cluster['certificate-authority'])
    if (ca) c.cluster['certificate-authority'] = ca
  }
  const users = namedList(doc, 'users', 'user', file) as KubeconfigDoc['users']
  for (const u of users) {
    for (const k of ['client-certificate', 'client-key', 'tokenFile'] as const) {
      const p = resolveIn(dir, u.user[k])
      if (p) u.user[k] = p
    }
    // kubectl resolves an exec command only when it is a path (contains a separator), not a PATH lookup.
    if (isMap(u.user.exec) && typeof u.user.exec.command === 'string' && u.user.exec.command.includes('/')) {
      u.user.exec = { ...u.user.exec, command: resolveIn(dir, u.user.exec.command) }
    }
  }
  const contexts = namedList(doc, 'contexts', 'context', file) as KubeconfigDoc['contexts']
  const cc = doc['current-context']
  if (cc !== undefined && cc !== null && typeof cc !== 'string')
    throw new KubeError(
      'yaml',
      `${file}: current-context: expected a context name, received ${described(cc)}`,
      'fix the kubeconfig file (kubectl refuses it too)',
      undefined,
      { file },
    )
  return { file, clusters, users, contexts, currentContext: typeof cc === 'string' && cc !== '' ? cc : undefined }
}

/** Merges parsed files: the first file to define a cluster/user/context name wins, and so does current-context. */
export function mergeKubeconfigs(docs: KubeconfigDoc[]): MergedKubeconfig {
  const m: MergedKubeconfig = {
    clusters: new Map(),
    users: new Map(),
    contexts: new Map(),
    sources: docs.map((d) => d.file),
  }
  for (const d of docs) {
    for (const c of d.clusters)
      if (!m.clusters.has(c.name)) m.clusters.set(c.name, { value: c.cluster, source: d.file })
    for (const u of d.users) if (!m.users.has(u.name)) m.users.set(u.name, { value: u.user, source: d.file })
    for (const c of d.contexts)
      if (!m.contexts.has(c.name)) m.contexts.set(c.name, { value: c.context, source: d.file })
    if (m.currentContext === undefined && d.currentContext) {
      m.currentContext = d.currentContext
      m.currentContextSource = d.file
    }
  }
  return m
}

/** Which files kubectl would read, in precedence order, and whether they came from --kubeconfig. */
export function kubeconfigPaths(opts: LoadOptions = {}): {
  files: string[]
  from: '--kubeconfig' | 'KUBECONFIG' | 'home'
} {
  if (opts.kubeconfig !== undefined) {
    if (typeof opts.kubeconfig !== 'string' || opts.kubeconfig === '')
      throw new KubeError('invalid', `kubeconfig: expected a file path, received ${received(opts.kubeconfig)}`)
    return { files: [path.resolve(opts.kubeconfig)], from: '--kubeconfig' }
  }
  const env = opts.env ?? process.env
  const list = env.KUBECONFIG
  if (list) {
    const files: string[] = []
    for (const f of list.split(path.delimiter)) if (f && !files.includes(path.resolve(f))) files.push(path.resolve(f))
    return { files, from: 'KUBECONFIG' }
  }
  const home = opts.home ?? env.HOME ?? os.homedir()
  return { files: [path.join(home, '.kube', 'config')], from: 'home' }
}

function readDocs(opts: LoadOptions): { docs: KubeconfigDoc[]; tried: string[]; from: string } {
  const { files, from } = kubeconfigPaths(opts)
  const docs: KubeconfigDoc[] = []
  for (const f of files) {
    let text: string
    try {
      text = fs.readFileSync(f, 'utf8')
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code
      if ((code === 'ENOENT' || code === 'ENOTDIR') && from !== '--kubeconfig') continue // kubectl skips missing files
      const why =
        code === 'ENOENT'
          ? 'does not exist'
          : code === 'EACCES'
            ? 'is not readable (permission denied)'
            : code === 'EISDIR'
              ? 'is a directory'
              : (e as Error).message
      throw new KubeError(
        'noconfig',
        `kubeconfig ${f} (${from}) ${why}`,
        from === '--kubeconfig'
          ? 'pass an existing file to --kubeconfig'
          : 'fix the file permissions or drop it from KUBECONFIG',
        e,
        { file: f },
      )
    }
    docs.push(parseKubeconfig(text, f))
  }
  return { docs, tried: files, from }
}

function authKind(u: RawUser | undefined): AuthKind {
  if (!u) return 'none'
  if (u.exec) return 'exec'
  if (u['auth-provider']) return 'auth-provider'
  if (u.token) return 'token'
  if (u.tokenFile) return 'tokenFile'
  if (u['client-certificate'] || u['client-certificate-data']) return 'client-certificate'
  if (u.username) return 'basic'
  return 'none'
}

function contextInfos(m: MergedKubeconfig): ContextInfo[] {
  return [...m.contexts.entries()]
    .map(([name, c]) => ({
      name,
      cluster: c.value.cluster ?? '',
      user: c.value.user ?? '',
      namespace: c.value.namespace || undefined,
      source: c.source,
    }))
    .sort((a, b) => a.name.localeCompare(b.name))
}

/** Picks the context/cluster/user/namespace from a merged config (pure). */
export function selectContext(
  m: MergedKubeconfig,
  opts: Pick<LoadOptions, 'context' | 'namespace'> = {},
): KubeconfigInfo {
  const contexts = contextInfos(m)
  const names = contexts.map((c) => c.name)
  const listed = names.length ? `contexts: ${names.join(', ')}` : 'the kubeconfig defines no contexts'
  const where = m.sources.join(', ')
  if (opts.context !== undefined && (typeof opts.context !== 'string' || opts.context === ''))
    throw new KubeError('invalid', `context: expected a context name, received ${received(opts.context)}`, listed)
  if (opts.namespace !== undefined && (typeof opts.namespace !== 'string' || opts.namespace === ''))
    throw new KubeError('invalid', `namespace: expected a namespace name, received ${received(opts.namespace)}`)
  const name = opts.context ?? m.currentContext
  if (!name)
    throw new KubeError(
      'context',
      `no current-context is set in ${where}`,
      names.length ? `pick one with --context; ${listed}` : listed,
    )
  const ctx = contexts.find((c) => c.name === name)
  if (!ctx)
    throw new KubeError('context', `context "${name}" does not exist in ${where}`, listed, undefined, {
      file: opts.context ? undefined : m.currentContextSource,
    })
  const cl = m.clusters.get(ctx.cluster)
  if (!cl)
    throw new KubeError(
      'context',
      `context "${name}" refers to cluster "${ctx.cluster}", which no kubeconfig file defines`,
      `clusters: ${[...m.clusters.keys()].join(', ') || 'none'} (in ${where})`,
      undefined,
      { file: ctx.source },
    )
  if (!cl.value.server)
    throw new KubeError(
      'context',
      `cluster "${ctx.cluster}" has no server URL (${cl.source})`,
      'set clusters[].cluster.server in the kubeconfig',
      undefined,
      { file: cl.source },
    )
  const us = ctx.user ? m.users.get(ctx.user) : undefined
  const ns = opts.namespace ?? ctx.namespace
  const info: KubeconfigInfo = {
    contexts,
    currentContext: name,
    context: ctx,
    cluster: {
      name: ctx.cluster,
      server: cl.value.server.replace(/\/+$/, ''),
      source: cl.source,
      caFile: cl.value['certificate-authority'],
      insecure: cl.value['insecure-skip-tls-verify'] === true,
      tlsServerName: cl.value['tls-server-name'],
      proxyUrl: cl.value['proxy-url'],
    },
    server: cl.value.server.replace(/\/+$/, ''),
    user: { name: ctx.user, source: us?.source, auth: authKind(us?.value) },
    namespace: ns ?? 'default',
    namespaceFrom: opts.namespace ? 'override' : ctx.namespace ? 'context' : 'default',
    sources: m.sources,
    merged: m,
  }
  // merged holds credentials (tokens, keys): keep it out of console.log / the REPL's echo
  Object.defineProperty(info, 'merged', { enumerable: false })
  return info
}

/** Loads the kubeconfig as kubectl would (KUBECONFIG merged first-wins, or --kubeconfig alone) and selects the context. */
export function loadKubeconfig(opts: LoadOptions = {}): KubeconfigInfo {
  const { docs, tried, from } = readDocs(opts)
  if (docs.length === 0) {
    throw new KubeError(
      'noconfig',
      `no kubeconfig found (looked at ${tried.join(', ') || 'nothing'} via ${from})`,
      'set KUBECONFIG or pass --kubeconfig FILE (the lab: eval "$(npm run -s lab -- env)")',
      undefined,
      { file: tried[0] },
    )
  }
  return selectContext(mergeKubeconfigs(docs), opts)
}

/** Context names for completion, sorted; never throws (an unreadable config gives []). */
export function listContexts(opts: LoadOptions = {}): string[] {
  try {
    return contextInfos(mergeKubeconfigs(readDocs(opts).docs)).map((c) => c.name)
  } catch {
    return []
  }
}
