// Recipe parameters: the types, parsing one value, and validating what the user passed before anything runs.
import { HintedError } from '../errors.ts'
import { isDnsLabel, isNodeName, parsePodRef, parseServiceRef } from '../names.ts'

/** The types a recipe parameter can have. */
export type ParamType = 'string' | 'int' | 'bool' | 'duration' | 'pod' | 'node' | 'service' | 'deployment'

/** One parameter as the front matter declares it (default already parsed to its type). */
export interface ParamDef {
  name: string
  type: ParamType
  description: string
  required: boolean
  /** Parsed default (number for int/duration, boolean for bool, string otherwise). */
  default?: string | number | boolean
  /** An example value as the user would type it. */
  example?: string
  /** Line of the parameter in the recipe file. */
  line?: number
}

/** What a parsed parameter value can be. */
export type ParamValue = string | number | boolean | undefined

const UNITS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400 }

interface TypeInfo {
  /** What a value must look like, e.g. "a whole number". */
  expected: string
  example: string
  parse(text: string): ParamValue | Error
}

/** The parameter types that name a namespaced object ("name" or "namespace/name"). */
export const NAMESPACED_TYPES = ['pod', 'service', 'deployment'] as const

function namespacedName(kind: (typeof NAMESPACED_TYPES)[number], text: string): string | Error {
  // Pod and Deployment names are DNS subdomains, Service names DNS labels.
  if ((kind === 'service' ? parseServiceRef : parsePodRef)(text)) return text
  const parts = text.split('/')
  if (parts.length > 2) return new Error(`more than one "/"`)
  const [ns, name] = parts.length === 2 ? parts : [undefined, parts[0]]
  if (ns !== undefined && !isDnsLabel(ns)) return new Error(`namespace ${JSON.stringify(ns)} is not a namespace name`)
  return new Error(
    `${JSON.stringify(name)} is not a ${kind} name (lowercase letters, digits, "-"${kind === 'service' ? '' : ' and "."'})`,
  )
}

/** Seconds in a duration like "90s", "5m", "1h30m", "500ms", or a bare number of seconds. */
export function parseDuration(text: string): number | Error {
  const t = text.trim()
  if (/^\d+(\.\d+)?$/.test(t)) return Number(t)
  if (!/^(\d+(\.\d+)?(ms|s|m|h|d))+$/.test(t)) return new Error('not a duration')
  let total = 0
  for (const m of t.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)) total += Number(m[1]) * UNITS[m[2]]
  return Math.round(total * 1000) / 1000
}

/** Every parameter type: what it expects, an example, and its parser (text -> value or Error). */
export const PARAM_TYPES: Record<ParamType, TypeInfo> = {
  string: { expected: 'a non-empty string', example: 'web', parse: (t) => (t === '' ? new Error('empty') : t) },
  int: {
    expected: 'a whole number',
    example: '20',
    parse: (t) =>
      /^[-+]?\d+$/.test(t.trim()) && Number.isSafeInteger(Number(t)) ? Number(t) : new Error('not a whole number'),
  },
  bool: {
    expected: 'true or false (also yes/no, 1/0, on/off)',
    example: 'true',
    parse: (t) => {
      const v = t.trim().toLowerCase()
      if (['true', 'yes', '1', 'on'].includes(v)) return true
      if (['false', 'no', '0', 'off'].includes(v)) return false
      return new Error('not a boolean')
    },
  },
  duration: {
    expected: 'a duration like 90s, 5m, 1h30m or 500ms (a bare number is seconds)',
    example: '5m',
    parse: parseDuration,
  },
  pod: {
    expected: 'a pod name, or namespace/name',
    example: 'web-7d4b9c6f5-x2x7p',
    parse: (t) => namespacedName('pod', t),
  },
  node: {
    expected: 'a node name',
    example: 'lab-1',
    parse: (t) =>
      isNodeName(t) ? t : new Error(`${JSON.stringify(t)} is not a node name (lowercase letters, digits, "-" and ".")`),
  },
  service: {
    expected: 'a service name, or namespace/name',
    example: 'web',
    parse: (t) => namespacedName('service', t),
  },
  deployment: {
    expected: 'a Deployment name, or namespace/name',
    example: 'web',
    parse: (t) => namespacedName('deployment', t),
  },
}

/** True when `t` names a parameter type. */
export function isParamType(t: unknown): t is ParamType {
  return typeof t === 'string' && Object.prototype.hasOwnProperty.call(PARAM_TYPES, t)
}

/** How the caller spells a parameter: `--tail 50` (kinspect run) or `tail=50` (.run). */
export type ParamStyle = 'flag' | 'word'

/** The parameter as the user types it, e.g. `--tail 50` or `tail=50`. */
export function spell(name: string, value: string, style: ParamStyle = 'flag'): string {
  return style === 'flag'
    ? `--${name} ${/\s/.test(value) ? JSON.stringify(value) : value}`
    : `${name}=${/\s/.test(value) ? JSON.stringify(value) : value}`
}

/** Example value of a parameter: its own example, else its default, else one for its type. */
export function exampleOf(def: ParamDef): string {
  return def.example ?? (def.default !== undefined ? String(def.default) : PARAM_TYPES[def.type].example)
}

/** Why the given parameters cannot be used; names each parameter, its type and an example. */
export class ParamError extends HintedError<'usage'> {
  override name = 'ParamError'
  constructor(
    message: string,
    hint?: string,
    public params: string[] = [],
  ) {
    super('usage', message, hint)
  }
}

/** Parses one value of a parameter; an Error says why (without naming the parameter). */
export function parseParamValue(type: ParamType, text: string): ParamValue | Error {
  return PARAM_TYPES[type].parse(text)
}

/** Validates user parameters (all strings) against the definitions; returns typed values with defaults applied. */
export function validateParams(
  recipe: { name: string; params: readonly ParamDef[] },
  given: Record<string, string>,
  style: ParamStyle = 'flag',
): Record<string, ParamValue> {
  const problems: string[] = []
  const bad: string[] = []
  const given_ = new Map<string, ParamValue>() // not an object: a parameter named toString or constructor is no inherited key
  const byName = new Map(recipe.params.map((p) => [p.name, p]))
  const usage = () =>
    `${style === 'flag' ? 'kinspect run' : '.run'} ${recipe.name}${recipe.params.map((p) => ` ${p.required ? '' : '['}${spell(p.name, exampleOf(p), style)}${p.required ? '' : ']'}`).join('')}`
  for (const [name, text] of Object.entries(given)) {
    const def = byName.get(name)
    if (!def) {
      bad.push(name)
      const known = recipe.params.map((p) => `${p.name} (${p.type})`).join(', ')
      problems.push(
        `unknown parameter ${style === 'flag' ? '--' : ''}${name}: recipe ${recipe.name} ${known ? `takes ${known}` : 'takes no parameters'}`,
      )
      continue
    }
    const v = parseParamValue(def.type, text)
    if (v instanceof Error) {
      bad.push(name)
      problems.push(
        `parameter ${name} (${def.type}): expected ${PARAM_TYPES[def.type].expected}, received ${JSON.stringify(text)}; example: ${spell(name, exampleOf(def), style)}`,
      )
      continue
    }
    given_.set(name, v)
  }
  // In the order the recipe declares them (entries, so that even a parameter named __proto__ is an own key).
  const out: [string, ParamValue][] = []
  for (const def of recipe.params) {
    if (given_.has(def.name)) out.push([def.name, given_.get(def.name)])
    else if (bad.includes(def.name)) continue
    else if (def.default !== undefined) out.push([def.name, def.default])
    else if (def.required) {
      bad.push(def.name)
      problems.push(
        `parameter ${def.name} (${def.type}) is required: ${def.description}; example: ${spell(def.name, exampleOf(def), style)}`,
      )
    } else out.push([def.name, undefined])
  }
  if (problems.length) {
    const head =
      problems.length === 1
        ? problems[0]
        : `${problems.length} problems with the parameters of ${recipe.name}:\n${problems.map((p) => `- ${p}`).join('\n')}`
    throw new ParamError(head, `usage: ${usage()}`, bad)
  }
  return Object.fromEntries(out)
}
