// nftables JSON: `nft -j list table …` parsed into sets, verdict maps and chains; expressions in nft syntax. Pure.
import { SvcRulesError } from './errors.ts'
import type { Counters } from './types.ts'

/** One rule: its JSON expressions, a text rendering in nft syntax, and its counter when it has one. */
export interface NftRule {
  chain: string
  handle?: number
  comment?: string
  expr: any[]
  text: string
  counters?: Counters
}

/** One element of a verdict map: key parts, optional comment, and the verdict (goto/jump target or drop/accept…). */
export interface NftMapElement {
  key: (string | number)[]
  comment?: string
  verdict: string
  target?: string
}

/** A named set. */
export interface NftSet {
  type: string | string[]
  elements: string[]
  /** Element timeout in seconds (affinity sets). */
  timeout?: number
}

/** One nft table. */
export interface NftTable {
  family: string
  name: string
  sets: Map<string, NftSet>
  maps: Map<string, NftMapElement[]>
  chains: Map<string, NftRule[]>
  /** The hook of each base chain (input, forward, output, prerouting, postrouting). */
  hooks?: Map<string, string>
}

/** Parses the JSON of `nft -j list table FAMILY NAME` (text or already parsed); pieces of an unexpected shape are skipped. */
export function parseNftJson(input: string | object): NftTable {
  let doc: any
  try {
    doc = typeof input === 'string' ? JSON.parse(input) : input
  } catch (e) {
    throw new SvcRulesError(
      'parse',
      'nft -j: the output is not JSON',
      'run `nft -j list table ip kube-proxy` on the node to see what it prints',
      e,
    )
  }
  const items: unknown[] = doc?.nftables
  if (!Array.isArray(items))
    throw new SvcRulesError(
      'parse',
      'nft -j: expected an object with an "nftables" array',
      'is nft older than 0.9 (no JSON output)?',
    )
  const t: NftTable = { family: '', name: '', sets: new Map(), maps: new Map(), chains: new Map(), hooks: new Map() }
  for (const it of items) {
    if (!isObj(it)) continue
    if (isObj(it.table)) Object.assign(t, { family: str(it.table.family) ?? '', name: str(it.table.name) ?? '' })
    else if (isObj(it.set) && str(it.set.name) !== undefined) {
      const type =
        typeof it.set.type === 'string' ||
        (Array.isArray(it.set.type) && it.set.type.every((x) => typeof x === 'string'))
          ? it.set.type
          : ''
      const timeout = typeof it.set.timeout === 'number' && it.set.timeout >= 0 ? it.set.timeout : undefined
      t.sets.set(it.set.name, { type, elements: list(it.set.elem).map((e) => exprText(unwrapElem(e).val)), timeout })
    } else if (isObj(it.map) && str(it.map.name) !== undefined)
      t.maps.set(it.map.name, list(it.map.elem).map(mapElement))
    else if (isObj(it.chain) && str(it.chain.name) !== undefined) {
      t.chains.set(it.chain.name, t.chains.get(it.chain.name) ?? [])
      if (typeof it.chain.hook === 'string') t.hooks!.set(it.chain.name, it.chain.hook)
    } else if (isObj(it.rule) && str(it.rule.chain) !== undefined) {
      const r = it.rule
      const expr = list(r.expr)
      const comment = str(r.comment)
      const c = expr.find((e) => isObj(e) && 'counter' in e)?.counter
      const rule: NftRule = {
        chain: r.chain,
        handle: typeof r.handle === 'number' ? r.handle : undefined,
        comment,
        expr,
        text: expr.map((e) => exprText(e)).join(' ') + (comment ? ` comment "${comment}"` : ''),
      }
      if (isObj(c) && count(c.packets ?? 0) !== undefined && count(c.bytes ?? 0) !== undefined)
        rule.counters = { packets: c.packets ?? 0, bytes: c.bytes ?? 0 }
      const rules = t.chains.get(r.chain) ?? []
      rules.push(rule)
      t.chains.set(r.chain, rules)
    }
  }
  return t
}

/** x is a plain object (not null, not an array). */
export const isObj = (x: unknown): x is Record<string, any> => x !== null && typeof x === 'object' && !Array.isArray(x)
/** x when it is a string, else undefined. */
export const str = (x: unknown): string | undefined => (typeof x === 'string' ? x : undefined)
/** x when it is an array, else []. */
export const list = (x: unknown): any[] => (Array.isArray(x) ? x : [])
/** Text of any JSON value: objects as JSON (String() throws on one with a "toString" key that is no function). */
export const txt = (x: unknown): string => (x !== null && typeof x === 'object' ? JSON.stringify(x) : String(x))
/** A counter value (a safe integer >= 0), else undefined. */
export const count = (x: unknown): number | undefined =>
  Number.isSafeInteger(x) && (x as number) >= 0 ? (x as number) : undefined

function unwrapElem(e: any): { val: any; comment?: string } {
  if (isObj(e) && 'elem' in e)
    return isObj(e.elem) ? { val: e.elem.val, comment: str(e.elem.comment) } : { val: undefined }
  return { val: e }
}

function mapElement(pair: any): NftMapElement {
  const [k, v] = Array.isArray(pair) ? pair : [pair, undefined]
  const { val: key, comment } = unwrapElem(k)
  const part = (x: unknown) => (typeof x === 'number' ? x : exprText(x))
  const parts: (string | number)[] = isObj(key) && 'concat' in key ? list(key.concat).map(part) : [part(key)]
  const verdict = isObj(v) ? (Object.keys(v)[0] ?? '') : txt(v)
  return { key: parts, comment, verdict, target: isObj(v) && isObj(v[verdict]) ? str(v[verdict].target) : undefined }
}

const OBJ_EXPR = new Set([
  'payload',
  'meta',
  'ct',
  'fib',
  'prefix',
  'elem',
  'match',
  'jump',
  'goto',
  'vmap',
  'numgen',
  'dnat',
  'snat',
  'mangle',
  'update',
  'add',
])
const LIST_EXPR = new Set(['range', 'concat', '|', '&', '^'])

/** nft syntax for one JSON expression (the common kube-proxy ones; anything else, or anything of an unexpected shape, as JSON). */
export function exprText(e: any, depth = 0): string {
  if (e === null || e === undefined) return ''
  if (typeof e !== 'object') return String(e) // a JSON primitive
  if (depth > 32) return '…'
  const x = (y: unknown) => exprText(y, depth + 1)
  if (Array.isArray(e)) return e.map(x).join(' . ')
  const [k] = Object.keys(e)
  const v = e[k]
  if ((OBJ_EXPR.has(k) && !isObj(v)) || (LIST_EXPR.has(k) && !Array.isArray(v))) return JSON.stringify(e)
  const o: Record<string, any> = isObj(v) ? v : {}
  const pair = Array.isArray(v) ? v : []
  switch (k) {
    case 'payload':
      return `${txt(o.protocol)} ${txt(o.field)}`
    case 'meta':
      return `meta ${txt(o.key)}`
    case 'ct':
      return `ct ${txt(o.key)}`
    case 'fib':
      return `fib ${([] as unknown[])
        .concat(o.flags ?? [])
        .map(txt)
        .join(' . ')} type`
    case 'prefix':
      return `${txt(o.addr)}/${txt(o.len)}`
    case 'range':
      return `${x(pair[0])}-${x(pair[1])}`
    case 'concat':
      return pair.map(x).join(' . ')
    case 'set':
      return Array.isArray(v)
        ? `{ ${v.map((y: any) => (Array.isArray(y) ? `${x(y[0])} : ${x(y[1])}` : x(y))).join(', ')} }`
        : txt(v)
    case 'elem':
      return x(o.val)
    case 'match': {
      const op = o.op === '==' || o.op === 'in' ? '' : ` ${txt(o.op)}`
      return `${x(o.left)}${op} ${x(o.right)}`
    }
    case 'counter':
      return `counter packets ${txt(o.packets ?? 0)} bytes ${txt(o.bytes ?? 0)}`
    case 'jump':
    case 'goto':
      return `${k} ${txt(o.target)}`
    case 'vmap':
      return `${x(o.key)} vmap ${x(o.data)}`
    case 'numgen':
      return `numgen ${txt(o.mode)} mod ${txt(o.mod)}${o.offset ? ` offset ${txt(o.offset)}` : ''}`
    case 'dnat':
    case 'snat':
      return `${k} to ${txt(o.addr)}${o.port !== undefined ? `:${txt(o.port)}` : ''}`
    case 'mangle':
      return `${x(o.key)} set ${x(o.value)}`
    case '|':
    case '&':
    case '^':
      return `${x(pair[0])} ${k} ${x(pair[1])}`
    case 'masquerade':
      return `masquerade${o.flags ? ` ${([] as unknown[]).concat(o.flags).map(txt).join(',')}` : ''}`
    case 'reject':
      return 'reject'
    case 'drop':
    case 'accept':
    case 'return':
    case 'continue':
      return k
    case 'update':
    case 'add':
      return `${k} ${txt(o.set)} { ${x(o.elem)} }`
    default:
      return JSON.stringify(e)
  }
}
