// One kubeconfig file parsed: its clusters, users and contexts, fields checked as client-go decodes them. No client-node.
import path from 'node:path'
import { KubeError } from './errors.ts'
import { received } from '../errors.ts'
import { lineAt, MAX_YAML_DEPTH, parseYaml } from '../yaml-depth.ts'
import * as yamlLib from 'yaml'

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
    const parsed = parseYaml(text, { uniqueKeys: false, lineCounter: lc })
    if ('tooDeep' in parsed)
      throw bad(
        new Error(`collections nested ${parsed.tooDeep.depth} levels deep (at most ${MAX_YAML_DEPTH})`),
        lineAt(text, parsed.tooDeep.offset),
      )
    const d = parsed.doc
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
  // An empty path is an unset one, as client-go reads it (Go's zero value), not a file named "" in the kubeconfig's folder.
  for (const c of clusters) {
    const ca = resolveIn(dir, c.cluster['certificate-authority'])
    if (ca) c.cluster['certificate-authority'] = ca
    else if (c.cluster['certificate-authority'] === '') delete c.cluster['certificate-authority']
  }
  const users = namedList(doc, 'users', 'user', file) as KubeconfigDoc['users']
  for (const u of users) {
    for (const k of ['client-certificate', 'client-key', 'tokenFile'] as const) {
      const p = resolveIn(dir, u.user[k])
      if (p) u.user[k] = p
      else if (u.user[k] === '') delete u.user[k]
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
