// The shape structural redaction reads: mappings of keys to scalars (with the spans of their characters). Pure.
import type { Span } from './spans.ts'

/** A scalar value: decoded text, and the spans of its characters (inside the quotes when quoted). */
export interface Scalar {
  t: 'scalar'
  value: string
  spans: Span[]
  quoted: boolean
}

/** A mapping (JSON/inspect object, YAML block mapping); `prefix` is an inspect class name such as V1Secret. */
export interface MapNode {
  t: 'map'
  entries: Entry[]
  prefix?: string
  /** Where an outermost flow object stands in its text. */
  range?: Span
}

/** A list of values. */
export interface ListNode {
  t: 'list'
  items: Value[]
}

/** Any value; `other` is something not read (a function, `[Object]`, a nested flow value in YAML). */
export type Value = Scalar | MapNode | ListNode | { t: 'other' }

/** One key of a mapping. */
export interface Entry {
  key: string
  value: Value
}

/** The value of `key` in a mapping. */
export function get(m: MapNode, key: string): Value | undefined {
  for (let i = m.entries.length - 1; i >= 0; i--) if (m.entries[i].key === key) return m.entries[i].value
  return undefined
}

/** Every scalar under a value (depth first). */
export function scalarsOf(v: Value | undefined, out: Scalar[] = []): Scalar[] {
  if (!v) return out
  if (v.t === 'scalar') out.push(v)
  else if (v.t === 'map') for (const e of v.entries) scalarsOf(e.value, out)
  else if (v.t === 'list') for (const it of v.items) scalarsOf(it, out)
  return out
}
