// Spans of secret characters, and segments: a text or a decoded string literal inside it, mapped back to the source. Pure.

/** [start, end) of characters in a text. */
export type Span = readonly [number, number]

/** A secret found in a segment: the spans of its characters (segment coordinates) and its value. */
export interface Finding {
  spans: Span[]
  value: string
  /** structure: found by what the object is; pattern: by a flag/header/assignment; taint: a value seen before. */
  by: 'structure' | 'pattern' | 'taint'
}

/** Text to search, with the source range of each of its characters. */
export interface Segment {
  text: string
  /** The source spans covering text[a, b) (several when the text was joined from pieces). */
  toSource(a: number, b: number): Span[]
}

/** The whole text (or text[offset…]) as a segment of itself. */
export function identity(text: string, offset = 0): Segment {
  return { text, toSource: (a, b) => (b > a ? [[a + offset, b + offset]] : []) }
}

/** A segment decoded from source pieces: from[i]/to[i] are the source range of decoded character i. */
export function mapped(text: string, from: number[], to: number[]): Segment {
  return {
    text,
    toSource(a, b) {
      const out: [number, number][] = []
      for (let i = a; i < b; i++) {
        const last = out[out.length - 1]
        if (last && last[1] === from[i]) last[1] = to[i]
        else out.push([from[i], to[i]])
      }
      return out
    },
  }
}

const SIMPLE: Record<string, string> = { n: '\n', t: '\t', r: '\r', b: '\b', f: '\f', v: '\v', 0: '\0' }

/** Decodes the escapes of a JS/JSON/YAML double-quoted body src[s, e) into chars with their source ranges. */
export function decodeEscapes(
  src: string,
  s: number,
  e: number,
  text: string[] = [],
  from: number[] = [],
  to: number[] = [],
): { text: string[]; from: number[]; to: number[] } {
  let i = s
  const push = (ch: string, a: number, b: number) => {
    for (let k = 0; k < ch.length; k++) {
      text.push(ch[k])
      from.push(a)
      to.push(b)
    }
  }
  while (i < e) {
    const c = src[i]
    if (c !== '\\' || i + 1 >= e) {
      text.push(c)
      from.push(i)
      to.push(i + 1)
      i++
      continue
    }
    const n = src[i + 1]
    let m: RegExpExecArray | null
    if (n === '\n')
      i += 2 // line continuation: no character
    else if (n === 'x' && (m = /^[0-9a-fA-F]{2}/.exec(src.slice(i + 2, Math.min(e, i + 4))))) {
      push(String.fromCharCode(parseInt(m[0], 16)), i, i + 4)
      i += 4
    } else if (
      n === 'u' &&
      (m = /^(?:[0-9a-fA-F]{4}|\{[0-9a-fA-F]{1,6}\})/.exec(src.slice(i + 2, Math.min(e, i + 10))))
    ) {
      const cp = parseInt(m[0].replace(/[{}]/g, ''), 16)
      push(cp <= 0x10ffff ? String.fromCodePoint(cp) : '\ufffd', i, i + 2 + m[0].length)
      i += 2 + m[0].length
    } else {
      push(SIMPLE[n] ?? n, i, i + 2)
      i += 2
    }
  }
  return { text, from, to }
}

/** The end (index of the closing quote) of a one-line quoted string starting at src[i], or -1. */
export function stringEnd(src: string, i: number): number {
  const q = src[i]
  for (let j = i + 1; j < src.length; j++) {
    const c = src[j]
    if (c === '\\') j++
    else if (c === q) return j
    else if (c === '\n') return -1
  }
  return -1
}

// After a closing quote: inspect's ` +` continuation (the next piece may be on the next line).
const CONTINUED = /[ \t]*\+[ \t]*\r?\n?[ \t]*(?=['"`])/y

// A quoted string at src[i] with inspect's `'…' +` continuations: the decoded segment and where it ends.
function quotedAt(src: string, i: number): { segment: Segment; end: number } | undefined {
  let j = stringEnd(src, i)
  if (j < 0) return undefined
  const pieces: Span[] = []
  for (;;) {
    pieces.push([i + 1, j])
    CONTINUED.lastIndex = j + 1
    if (!CONTINUED.test(src)) break
    const k = CONTINUED.lastIndex
    const end = stringEnd(src, k)
    if (end < 0) break
    i = k
    j = end
  }
  return { segment: piecesSegment(src, pieces), end: j + 1 }
}

/** The decoded text of string pieces as one segment (the identity of the source when nothing is escaped). */
export function piecesSegment(src: string, pieces: readonly Span[]): Segment {
  if (pieces.length === 1) {
    const [a, b] = pieces[0]
    const body = src.slice(a, b)
    if (!body.includes('\\')) return identity(body, a)
  }
  const acc = { text: [] as string[], from: [] as number[], to: [] as number[] }
  for (const [a, b] of pieces) decodeEscapes(src, a, b, acc.text, acc.from, acc.to)
  return mapped(acc.text.join(''), acc.from, acc.to)
}

/** Every quoted string of an output text (inspect's '…' + '…' pieces joined), decoded, as segments; `want` filters on the raw text first. */
export function stringSegments(text: string, want: (raw: string) => boolean = () => true): Segment[] {
  const out: Segment[] = []
  const quote = /['"`]/g
  for (let m = quote.exec(text); m; m = quote.exec(text)) {
    const i = m.index
    let j = stringEnd(text, i)
    if (j < 0) continue
    // Cheap look first: most strings are short names that no rule could fire on.
    CONTINUED.lastIndex = j + 1
    const multi = CONTINUED.test(text)
    if (!multi && !want(text.slice(i + 1, j))) {
      quote.lastIndex = j + 1
      continue
    }
    const q = quotedAt(text, i)!
    if (q.segment.text.length > 0) out.push(q.segment)
    j = q.end
    quote.lastIndex = j
  }
  return out
}

// `\'` then the line's end: in YAML's single-quoted scalars a backslash escapes nothing, so this quote closes the value
// (in JS or JSON, a quote escaped at a line's end would leave the string open: that text is not code).
function closesSingleQuotedLine(text: string, backslash: number): boolean {
  return text[backslash + 1] === "'" && /^[ \t]*(?:\r?\n|$)/.test(text.slice(backslash + 2, backslash + 64))
}

// Moves span edges so no escape sequence is cut: a kept backslash must never escape a kept quote.
function snap(text: string, [s, e]: Span): Span {
  const runBefore = (at: number) => {
    let k = 0
    while (at - 1 - k >= 0 && text[at - 1 - k] === '\\') k++
    return k
  }
  // The escape sequence (start, length) that covers position `at` without starting there, if any.
  const escapeAround = (at: number): [number, number] | undefined => {
    for (let p = at - 1; p >= Math.max(0, at - 10); p--) {
      if (text[p] !== '\\' || runBefore(p) % 2 === 1) continue
      const n = text[p + 1]
      if (n === '\n' || n === '\r' || n === undefined) return undefined // a backslash at a line end escapes nothing here
      const hex = /^(?:x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|u\{[0-9a-fA-F]{1,6}\})/.exec(text.slice(p + 1, p + 10))
      const len = hex ? hex[0].length + 1 : 2
      return p + len > at ? [p, len] : undefined
    }
    return undefined
  }
  let start = s
  let end = e
  const a = escapeAround(start)
  if (a) start = a[0]
  const b = end < text.length ? escapeAround(end) : undefined
  if (b && !closesSingleQuotedLine(text, b[0])) end = b[0] + b[1]
  return [start, Math.min(end, text.length)]
}

/** Sorted, merged spans (overlapping or touching); with `escapes`, edges never split an escape sequence. */
export function mergeSpans(text: string, spans: readonly Span[], escapes = true): Span[] {
  const sorted = spans
    .filter(([a, b]) => b > a)
    .map((sp) => (escapes ? snap(text, sp) : sp))
    .sort((x, y) => x[0] - y[0] || y[1] - x[1])
  const out: [number, number][] = []
  for (const [a, b] of sorted) {
    const last = out[out.length - 1]
    if (last && a <= last[1]) last[1] = Math.max(last[1], b)
    else out.push([a, b])
  }
  return out
}

/** The text with each span replaced by `replacement(span)`. */
export function replaceSpans(
  text: string,
  spans: readonly Span[],
  replacement: (sp: Span, i: number) => string,
): string {
  let out = ''
  let at = 0
  spans.forEach((sp, i) => {
    out += text.slice(at, sp[0]) + replacement(sp, i)
    at = sp[1]
  })
  return out + text.slice(at)
}
