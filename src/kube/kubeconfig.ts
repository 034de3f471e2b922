// Kubeconfig loading with kubectl's semantics (first file wins per key, missing files skipped), no client-node.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { KubeError } from './errors.ts'
import { received } from '../errors.ts'
import {
  parseKubeconfig,
  type KubeconfigDoc,
  type RawCluster,
  type RawContext,
  type RawUser,
} from './kubeconfig-parse.ts'

export * from './kubeconfig-parse.ts'

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
