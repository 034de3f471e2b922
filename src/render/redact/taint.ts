// Taint: a secret seen once is hidden wherever it turns up again, in every form it is likely to take. Pure.
import { inspect } from 'node:util'
import { REDACTED } from './names.ts'
import type { Span } from './spans.ts'

/** Secrets shorter than this (after trimming) are hidden by structure only; matching them as text would hide every "1234". */
export const TAINT_MIN = 6

/** Forms shorter than this match only as whole words (not inside a longer run of letters and digits). */
export const TAINT_WORD = 12

const B64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{2,3})?$/
const B64URL = /^[A-Za-z0-9_-]+$/
const utf8 = new TextDecoder('utf-8', { fatal: true })

/** The text a base64 value decodes to, when it is base64 and decodes to printable UTF-8. */
function decoded(v: string): { text?: string; bytes?: Buffer } {
  if (v.length < 8 || !(B64.test(v) || (B64URL.test(v) && /[-_]/.test(v)))) return {}
  const bytes = Buffer.from(v, B64.test(v) ? 'base64' : 'base64url')
  if (bytes.length === 0) return {}
  try {
    const text = utf8.decode(bytes)
    return /^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$/.test(text) ? { text, bytes } : { bytes }
  } catch {
    return { bytes }
  }
}

// How a string shows when printed: JSON-escaped, inspect-escaped, shell-quoted, URL-encoded.
function printed(v: string, add: (f: string) => void): void {
  add(v)
  add(JSON.stringify(v).slice(1, -1))
  add(inspect(v, { maxStringLength: Infinity, breakLength: Infinity }).slice(1, -1))
  add(v.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n'))
  add(v.replace(/'/g, `'\\''`))
  add(encodeURIComponent(v))
}

/**
 * The forms a secret is looked for in: raw, JSON/inspect/shell-escaped and URL-encoded; its base64 (padded, unpadded,
 * url-safe, with a trailing newline as `echo x | base64` makes it); when it is base64, what it decodes to (and that
 * as hex, as a Buffer prints); the long lines of a multi-line value. Forms shorter than TAINT_MIN are dropped.
 */
export function taintForms(value: string): string[] {
  const v = value.trim()
  if (v.length < TAINT_MIN || v.includes(REDACTED)) return []
  const forms = new Set<string>()
  const add = (f: string) => {
    if (f.length >= TAINT_MIN && !f.includes(REDACTED)) forms.add(f)
  }
  printed(v, add)
  for (const line of v.split('\n')) if (line.trim().length >= 16 && !/\s/.test(line.trim())) add(line.trim())
  for (const raw of [v, `${v}\n`]) {
    const b = Buffer.from(raw).toString('base64')
    add(b)
    add(b.replace(/=+$/, ''))
    add(Buffer.from(raw).toString('base64url'))
  }
  const d = decoded(v)
  if (d.text !== undefined && d.text.trim().length >= TAINT_MIN) {
    printed(d.text.trim(), add)
    for (const line of d.text.split('\n')) if (line.trim().length >= 16 && !/\s/.test(line.trim())) add(line.trim())
  }
  if (d.bytes && d.bytes.length >= 4) {
    add(d.bytes.toString('hex'))
    add([...d.bytes.subarray(0, 50)].map((x) => x.toString(16).padStart(2, '0')).join(' '))
  }
  return [...forms]
}

/** Finds occurrences of tainted forms in text. */
export interface TaintMatcher {
  readonly forms: readonly string[]
  find(text: string): { span: Span; form: string }[]
}

const WORD = /[A-Za-z0-9]/

/** A matcher over the forms of the given secret values (longest form first). */
export function taintMatcher(values: Iterable<string>): TaintMatcher {
  const set = new Set<string>()
  for (const v of values) for (const f of taintForms(v)) set.add(f)
  const forms = [...set].sort((a, b) => b.length - a.length)
  return {
    forms,
    find(text) {
      const out: { span: Span; form: string }[] = []
      for (const f of forms) {
        const whole = f.length < TAINT_WORD
        for (let i = text.indexOf(f); i >= 0; i = text.indexOf(f, i + 1)) {
          if (
            whole &&
            ((i > 0 && WORD.test(text[i - 1]) && WORD.test(f[0])) ||
              (WORD.test(text[i + f.length] ?? '') && WORD.test(f[f.length - 1])))
          )
            continue
          out.push({ span: [i, i + f.length], form: f })
        }
      }
      return out
    },
  }
}

/** A matcher that finds nothing. */
export const NO_TAINT: TaintMatcher = { forms: [], find: () => [] }
