// A lenient line reader of YAML block mappings (kubectl -o yaml, the yaml package, describe's `Key:  value`). Pure.
import { decodeEscapes, type Span } from './spans.ts'
import type { Entry, MapNode, Scalar } from './tree.ts'

// A key at the start of a line: quoted, or plain (no quotes or backticks in it: then the line is not YAML but a command).
const KEY =
  /^(?:"((?:[^"\\\n]|\\.)*)"|'((?:[^'\n]|'')*)'|([^\s#'"{[\]}>|&*!%@`,-][^:#\n'"`]*?|-[^\s:#'"`][^:#\n'"`]*?))[ \t]*:(?=[ \t]|$)/

interface Open {
  col: number
  map: MapNode & { entries: (Entry & { empty?: boolean })[] }
}

/** Index of the quote closing a quoted scalar continued on this line (src[s, e)), or -1. */
function closeQuote(src: string, s: number, e: number, q: '"' | "'"): number {
  for (let j = s; j < e; j++) {
    if (q === '"' && src[j] === '\\') j++
    else if (src[j] === q) {
      if (q === "'" && src[j + 1] === "'") j++
      else return j
    }
  }
  return -1
}

/** A scalar written after `key:` on one line: text from s to e (quotes and tags handled). */
function inlineScalar(
  src: string,
  s: number,
  e: number,
): { scalar?: Scalar; block?: boolean; open?: '"' | "'" | 'plain' } {
  let i = s
  const tag = /^(?:[!&][^\s]*[ \t]+)+/.exec(src.slice(i, e))
  if (tag) i += tag[0].length
  const c = src[i]
  if (i >= e || c === '#') return {}
  if (c === '|' || c === '>')
    return /^[|>][-+0-9]*[ \t]*(?:#.*)?$/.test(src.slice(i, e)) ? { block: true } : { scalar: plain(src, i, e) }
  if (c === '{' || c === '[' || c === '*') return {}
  if (c === '"') {
    let j = i + 1
    while (j < e && src[j] !== '"') j += src[j] === '\\' ? 2 : 1
    const d = decodeEscapes(src, i + 1, Math.min(j, e))
    const spans: Span[] = Math.min(j, e) > i + 1 ? [[i + 1, Math.min(j, e)]] : []
    return { scalar: { t: 'scalar', value: d.text.join(''), spans, quoted: true }, open: j >= e ? '"' : undefined }
  }
  if (c === "'") {
    let j = i + 1
    while (j < e && !(src[j] === "'" && src[j + 1] !== "'")) j += src[j] === "'" ? 2 : 1
    const end = Math.min(j, e)
    return {
      scalar: {
        t: 'scalar',
        value: src.slice(i + 1, end).replace(/''/g, "'"),
        spans: end > i + 1 ? [[i + 1, end]] : [],
        quoted: true,
      },
      open: j >= e ? "'" : undefined,
    }
  }
  return { scalar: plain(src, i, e), open: 'plain' }
}

// A plain scalar runs to the line end: a ` #` may be a comment in YAML, but in describe output it is part of the value.
function plain(src: string, s: number, e: number): Scalar {
  let end = e
  while (end > s && /\s/.test(src[end - 1])) end--
  return { t: 'scalar', value: src.slice(s, end), spans: end > s ? [[s, end]] : [], quoted: false }
}

/**
 * The top-level mappings of YAML-like text (lines that are not `key: value` close the mappings they outdent). Lines that
 * start inside `skip` ranges (JSON and inspect objects, read by the flow reader) are left out.
 */
export function parseYamlBlocks(text: string, skip: readonly Span[] = []): MapNode[] {
  const roots: MapNode[] = []
  const stack: Open[] = []
  // A scalar that continues on deeper lines (block scalar, folded plain or quoted scalar), owned by the key at `col`.
  let cont: { col: number; scalar: Scalar; open?: '"' | "'" | 'plain'; block: boolean } | undefined
  let pos = 0
  let skipAt = 0
  while (pos <= text.length) {
    const nl = text.indexOf('\n', pos)
    const lineEnd = nl < 0 ? text.length : nl
    const lineStart = pos
    pos = lineEnd + 1
    let end = lineEnd
    if (text[end - 1] === '\r') end--
    const line = text.slice(lineStart, end)
    const indent = line.length - line.trimStart().length
    const first = lineStart + indent
    while (skipAt < skip.length && skip[skipAt][1] <= first) skipAt++
    if (line.trim() === '' || (skipAt < skip.length && skip[skipAt][0] <= first)) {
      if (nl < 0) break
      continue
    }
    if (cont && indent > cont.col) {
      const s = lineStart + indent
      let e = end
      if (cont.open === '"' || cont.open === "'") {
        const close = closeQuote(text, s, end, cont.open)
        if (close >= 0) {
          e = close
          cont.open = undefined
        }
      } else if (!cont.block) e = plain(text, s, e).spans[0]?.[1] ?? s
      if (e > s) {
        cont.scalar.spans.push([s, e])
        cont.scalar.value += (cont.block ? '\n' : ' ') + text.slice(s, e)
      }
      if (nl < 0) break
      continue
    }
    cont = undefined
    let col = indent
    let item = false
    while (line.startsWith('- ', col) || line.slice(col) === '-') {
      item = true
      col += 2
      while (line[col] === ' ') col++
    }
    const m = KEY.exec(line.slice(col))
    if (!m) {
      while (stack.length && stack[stack.length - 1].col >= indent) stack.pop()
      if (nl < 0) break
      continue
    }
    while (stack.length && (stack[stack.length - 1].col > col || (item && stack[stack.length - 1].col === col)))
      stack.pop()
    let top = stack[stack.length - 1]
    if (!top || top.col !== col) {
      const map: MapNode = { t: 'map', entries: [] }
      const parent = top?.map.entries[top.map.entries.length - 1]
      if (parent?.empty && item) {
        if (parent.value.t !== 'list') parent.value = { t: 'list', items: [] }
        parent.value.items.push(map)
      } else if (parent?.empty && parent.value.t === 'other') parent.value = map
      else roots.push(map)
      top = { col, map }
      stack.push(top)
    }
    const key = m[1] !== undefined ? m[1] : m[2] !== undefined ? m[2].replace(/''/g, "'") : m[3].trim()
    const vs = lineStart + col + m[0].length
    const v = inlineScalar(text, vs + (text.slice(vs, end).length - text.slice(vs, end).trimStart().length), end)
    const entry: Entry & { empty?: boolean } = { key, value: v.scalar ?? { t: 'other' } }
    if (!v.scalar && !v.block && text.slice(vs, end).trim() === '') entry.empty = true
    top.map.entries.push(entry)
    if (v.block) {
      const scalar: Scalar = { t: 'scalar', value: '', spans: [], quoted: false }
      entry.value = scalar
      cont = { col, scalar, block: true }
    } else if (v.scalar && v.open) cont = { col, scalar: v.scalar, open: v.open, block: false }
    if (nl < 0) break
  }
  for (const r of roots) trimBlock(r)
  return roots
}

// Block scalar values were joined with a leading newline.
function trimBlock(m: MapNode): void {
  for (const e of m.entries) {
    if (e.value.t === 'scalar' && e.value.value.startsWith('\n')) e.value.value = e.value.value.slice(1)
    else if (e.value.t === 'map') trimBlock(e.value)
    else if (e.value.t === 'list') for (const it of e.value.items) if (it.t === 'map') trimBlock(it)
  }
}
