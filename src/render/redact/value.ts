// Structure on live values: the secrets an evaluated result holds, and a printable copy with them hidden. Pure.
import { inspect } from 'node:util'
import { isHarmless, isKeyPath, isSecretEnvName, isSecretField, REDACTED, SECRET_TYPE } from './names.ts'

type Obj = Record<string, unknown>

/** True for a Secret object: kind Secret, class V1Secret, stringData, or a Secret type with data (list items have no kind). */
export function isSecretObject(o: Obj): boolean {
  if (o.kind === 'Secret' || o.constructor?.name === 'V1Secret') return true
  if (o.stringData && typeof o.stringData === 'object') return true
  return Boolean(o.data && typeof o.data === 'object' && typeof o.type === 'string' && SECRET_TYPE.test(o.type))
}

const scalar = (v: unknown): v is string | number | bigint =>
  typeof v === 'string' || typeof v === 'number' || typeof v === 'bigint'

/** An own data property (accessors are never called: a getter may have effects). */
function own(o: object, k: string): unknown {
  const d = Object.getOwnPropertyDescriptor(o, k)
  return d && 'value' in d ? d.value : undefined
}

function isEnvEntry(o: Obj): boolean {
  const name = own(o, 'name')
  return typeof name === 'string' && scalar(own(o, 'value')) && isSecretEnvName(name)
}

/** Options of secretsOf. */
export interface SecretsOfOptions {
  /** Secrets in strings held by the value (an ExecOutput's stdout, a YAML text); the caller's text reader. */
  inText?: (text: string) => string[]
  /** How many objects to visit at most. */
  maxNodes?: number
  /** How many characters of strings to read at most. */
  maxChars?: number
}

/**
 * The secret values a live value holds: every value of a Secret's data and stringData (whatever the key), secret-named
 * env entries' values, secret-named fields (token, password, client-key-data…), and what `inText` finds in its strings.
 * Objects that print themselves (tables) are walked too; getters are not called.
 */
export function secretsOf(value: unknown, opts: SecretsOfOptions = {}): string[] {
  const out: string[] = []
  const seen = new WeakSet<object>()
  let nodes = opts.maxNodes ?? 50_000
  let chars = opts.maxChars ?? 256 * 1024
  const text = (s: string) => {
    if (!opts.inText || s.length < 8 || chars <= 0 || !/\n|=|:\s|":|eyJ|\s-|BEGIN|@/.test(s)) return
    chars -= s.length
    out.push(...opts.inText(s))
  }
  const visit = (v: unknown, depth: number): void => {
    if (typeof v === 'string') return text(v)
    if (v === null || typeof v !== 'object' || depth > 16 || seen.has(v) || --nodes < 0) return
    seen.add(v)
    try {
      if (
        ArrayBuffer.isView(v) ||
        v instanceof ArrayBuffer ||
        v instanceof Date ||
        v instanceof RegExp ||
        v instanceof Promise ||
        v instanceof WeakMap ||
        v instanceof WeakSet
      )
        return
      if (v instanceof Map) {
        for (const [k, x] of v) {
          if (typeof k === 'string' && isSecretField(k) && scalar(x) && !isHarmless(String(x), typeof x === 'string'))
            out.push(String(x))
          else visit(x, depth + 1)
        }
        return
      }
      if (v instanceof Set || Array.isArray(v)) {
        for (const x of v) visit(x, depth + 1)
        return
      }
      const o = v as Obj
      if (o instanceof Error || (typeof own(o, 'message') === 'string' && typeof own(o, 'stack') === 'string')) {
        text(String(own(o, 'message') ?? ''))
        visit(own(o, 'cause'), depth + 1)
      }
      const secret = isSecretObject(o)
      const env = isEnvEntry(o)
      for (const k of Object.keys(o)) {
        const x = own(o, k)
        if (secret && (k === 'data' || k === 'stringData') && x && typeof x === 'object') {
          for (const kk of Object.keys(x)) {
            const d = own(x, kk)
            if (scalar(d) && String(d).trim() !== '') out.push(String(d))
          }
        } else if (env && k === 'value') out.push(String(x))
        else if (
          scalar(x) &&
          isSecretField(k) &&
          !isHarmless(String(x), typeof x === 'string') &&
          !isKeyPath(k, String(x))
        )
          out.push(String(x))
        else visit(x, depth + 1)
      }
    } catch {
      // a Proxy or exotic object that throws on inspection: nothing to read
    }
  }
  visit(value, 0)
  return out
}

/** A copy of a value with Secret data, secret env values and secret-named fields replaced; objects with their own inspect are kept. */
export function redactValue(value: unknown, depth = 0, seen = new WeakMap<object, unknown>()): unknown {
  if (value === null || typeof value !== 'object' || depth > 12) return value
  if (seen.has(value)) return seen.get(value)
  if (
    value instanceof Map ||
    value instanceof Set ||
    value instanceof Date ||
    value instanceof RegExp ||
    ArrayBuffer.isView(value) ||
    value instanceof Promise
  )
    return value
  if (typeof (value as Record<symbol, unknown>)[inspect.custom] === 'function') return value
  if (Array.isArray(value)) {
    const arr: unknown[] = []
    seen.set(value, arr)
    for (const v of value) arr.push(redactValue(v, depth + 1, seen))
    return arr
  }
  const src = value as Obj
  const copy = Object.create(Object.getPrototypeOf(src)) as Obj
  seen.set(value, copy)
  const secret = isSecretObject(src)
  const env = isEnvEntry(src)
  for (const k of Object.keys(src)) {
    const d = Object.getOwnPropertyDescriptor(src, k)
    if (d && !('value' in d)) {
      Object.defineProperty(copy, k, d) // an accessor stays one (inspect prints [Getter] without calling it)
      continue
    }
    const v = d?.value
    if (secret && (k === 'data' || k === 'stringData') && v && typeof v === 'object') {
      copy[k] = Object.fromEntries(Object.keys(v).map((kk) => [kk, REDACTED]))
    } else if (
      (env && k === 'value') ||
      (scalar(v) && isSecretField(k) && !isHarmless(String(v), typeof v === 'string') && !isKeyPath(k, String(v)))
    ) {
      copy[k] = REDACTED
    } else {
      copy[k] = redactValue(v, depth + 1, seen)
    }
  }
  return copy
}
