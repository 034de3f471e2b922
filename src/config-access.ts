// The `nodeAccess` section of `.recipes`: how each node is reached (SSH, a node pod), per node-name pattern, and
// the settings of the node pods. Parsed strictly (file/key/line errors through the config's validator); resolved per
// node with ssh's rule: for each setting, the first rule whose `match` fits the node and sets it wins.
import { isDnsLabel, isDnsSubdomain } from './names.ts'
import { matchGlob } from './exec/ssh/pattern.ts'

/** A way to reach a node. */
export type Transport = 'ssh' | 'pod'
/** Whether kinspect may create node pods: ask once per session, always, or never. */
export type PodPolicy = 'ask' | 'always' | 'never'

/** One rule of nodeAccess (every field but match optional). */
export interface NodeAccessRule {
  /** Pattern on the node name, as in ssh_config Host lines (* and ?); "*" when nodeAccess is a single mapping. */
  match: string
  /** The transports to try, in order (default [ssh, pod]). */
  transports?: Transport[]
  pods?: PodPolicy
  /** The node pod's image (pin it by digest). */
  image?: string
  imagePullSecrets?: string[]
  /** Where node pods are made (default kube-system). */
  namespace?: string
  /** The pod's activeDeadlineSeconds, in seconds (default 3600). */
  deadlineSeconds?: number
  priorityClassName?: string
}

/** The settings for one node, defaults filled in. */
export interface NodeAccessSettings {
  transports: Transport[]
  pods: PodPolicy
  /** undefined: the transport's default image (src/exec/nodepod/spec.ts DEFAULT_IMAGE). */
  image?: string
  imagePullSecrets: string[]
  namespace: string
  deadlineSeconds: number
  priorityClassName?: string
}

/** Defaults of nodeAccess. kube-system: see README "Node access" for why. */
export const NODE_ACCESS_DEFAULTS = {
  transports: ['ssh', 'pod'] as Transport[],
  pods: 'ask' as PodPolicy,
  namespace: 'kube-system',
  deadlineSeconds: 3600,
}
/** The deadline's bounds (those of buildNodePod). */
export const DEADLINE_MIN_SECONDS = 60
export const DEADLINE_MAX_SECONDS = 7 * 24 * 3600

/** What the parser needs from the config's validator (src/config.ts Validator), which names file, key path and line. */
export interface SectionChecks {
  fail(keyPath: string, node: unknown, expected: string, received?: string): never
  pairs(keyPath: string, node: unknown, allowed: readonly string[]): Map<string, { value: unknown }>
  str(keyPath: string, node: unknown): string
  list(keyPath: string, node: unknown): unknown[]
  /** The node is a mapping (else a list is expected). */
  isMapping(node: unknown): boolean
  /** A scalar's value (string, number, boolean, null), or undefined for collections. */
  scalar(node: unknown): unknown
}

const KEYS = [
  'match',
  'transports',
  'pods',
  'image',
  'imagePullSecrets',
  'namespace',
  'deadline',
  'priorityClassName',
] as const
const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 }

/** "90s", "30m", "1h30m", "2d", or a bare number of seconds; NaN when it is none of these. Pure. */
export function parseDeadline(v: unknown): number {
  if (typeof v === 'number') return Number.isInteger(v) ? v : NaN
  if (typeof v !== 'string') return NaN
  const t = v.trim()
  if (/^\d+$/.test(t)) return Number(t)
  if (!/^(\d+[smhd])+$/.test(t)) return NaN
  let total = 0
  for (const m of t.matchAll(/(\d+)([smhd])/g)) total += Number(m[1]) * UNITS[m[2]]
  return total
}

function rule(v: SectionChecks, kp: string, node: unknown, single: boolean): NodeAccessRule {
  const m = v.pairs(kp, node, KEYS)
  if (!single && !m.has('match'))
    v.fail(
      `${kp}.match`,
      node,
      'a pattern on the node name (match is required in a list of rules)',
      'a rule without match',
    )
  const r: NodeAccessRule = { match: '*' }
  for (const [k, { value }] of m) {
    const at = `${kp}.${k}`
    switch (k) {
      case 'match':
        r.match = v.str(at, value)
        if (!/^[^\s,!#"]+$/.test(r.match))
          v.fail(at, value, 'a pattern on the node name without spaces, commas, ! or quotes (* and ? are wildcards)')
        break
      case 'transports': {
        const items = v.list(at, value)
        if (!items.length) v.fail(at, value, 'a non-empty list of transports: ssh, pod', 'an empty list')
        r.transports = items.map((n, i) => {
          const t = v.scalar(n)
          if (t !== 'ssh' && t !== 'pod') v.fail(`${at}[${i}]`, n, '"ssh" or "pod"')
          return t
        })
        if (new Set(r.transports).size !== r.transports.length)
          v.fail(at, value, 'each transport at most once', `[${r.transports.join(', ')}]`)
        break
      }
      case 'pods': {
        const p = v.scalar(value)
        if (p !== 'ask' && p !== 'always' && p !== 'never') v.fail(at, value, '"ask", "always" or "never"')
        r.pods = p
        break
      }
      case 'image':
        r.image = v.str(at, value)
        if (/\s/.test(r.image))
          v.fail(at, value, 'an image reference without spaces (e.g. registry.example.org/tools/nodepod@sha256:…)')
        break
      case 'imagePullSecrets':
        r.imagePullSecrets = v.list(at, value).map((n, i) => {
          const s = v.str(`${at}[${i}]`, n)
          if (!isDnsSubdomain(s)) v.fail(`${at}[${i}]`, n, 'the name of a Secret (a DNS subdomain)')
          return s
        })
        break
      case 'namespace':
        r.namespace = v.str(at, value)
        if (!isDnsLabel(r.namespace)) v.fail(at, value, 'a namespace name (lowercase letters, digits and -)')
        break
      case 'deadline': {
        const secs = parseDeadline(v.scalar(value))
        if (!Number.isFinite(secs)) v.fail(at, value, 'a duration such as 30m, 1h or 2h30m (a bare number is seconds)')
        if (secs < DEADLINE_MIN_SECONDS || secs > DEADLINE_MAX_SECONDS)
          v.fail(at, value, 'a duration from 1m to 7d (the pod’s activeDeadlineSeconds)', `${secs} s`)
        r.deadlineSeconds = secs
        break
      }
      case 'priorityClassName':
        r.priorityClassName = v.str(at, value)
        if (!isDnsSubdomain(r.priorityClassName)) v.fail(at, value, 'a PriorityClass name (a DNS subdomain)')
        break
    }
  }
  return r
}

/** Parses nodeAccess: one mapping (a rule for every node) or a list of rules with `match`. */
export function parseNodeAccess(v: SectionChecks, node: unknown): NodeAccessRule[] {
  if (v.isMapping(node)) return [rule(v, 'nodeAccess', node, true)]
  return v.list('nodeAccess', node).map((n, i) => rule(v, `nodeAccess[${i}]`, n, false))
}

/** True when a node name fits a pattern (ssh's Host rules: * any text, ? one character; case-sensitive). Pure. */
export function patternMatches(pattern: string, node: string): boolean {
  return matchGlob(pattern, node, false)
}

/** The settings for a node: per setting, the first rule that fits and sets it; then the defaults. Pure. */
export function nodeAccessFor(rules: readonly NodeAccessRule[], node: string): NodeAccessSettings {
  const fits = rules.filter((r) => patternMatches(r.match, node))
  const first = <K extends keyof NodeAccessRule>(k: K): NodeAccessRule[K] | undefined =>
    fits.find((r) => r[k] !== undefined)?.[k]
  return {
    transports: [...(first('transports') ?? NODE_ACCESS_DEFAULTS.transports)],
    pods: first('pods') ?? NODE_ACCESS_DEFAULTS.pods,
    image: first('image'),
    imagePullSecrets: [...(first('imagePullSecrets') ?? [])],
    namespace: first('namespace') ?? NODE_ACCESS_DEFAULTS.namespace,
    deadlineSeconds: first('deadlineSeconds') ?? NODE_ACCESS_DEFAULTS.deadlineSeconds,
    priorityClassName: first('priorityClassName'),
  }
}
