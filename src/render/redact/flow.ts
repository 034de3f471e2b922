// A lenient reader of `{…}` objects in text: JSON (compact or indented), util.inspect output, JS object literals. Pure.
import { piecesSegment, stringEnd, type Span } from './spans.ts'
import type { Entry, ListNode, MapNode, Scalar, Value } from './tree.ts'
import { HintedError } from '../../errors.ts'

/** Thrown to abandon a text that is not an object literal after all (caught within this module). */
class NoParse extends HintedError<'parse'> {
  constructor(message = 'not an object literal') {
    super('parse', message)
  }
}

const INSPECT_TAG =
  /\[(?:Object|Array|Getter|Setter|Getter\/Setter|Circular \*\d+|Function[^\]\n]*|class [^\]\n]*|AsyncFunction[^\]\n]*)\]/y
const PREFIX = /(?:<ref \*\d+> )?(?:[A-Za-z_$][\w$.]*(?:\(\d+\))? )?(?:\[[\w :]+\] )?(?=[{[])/y
const CONTINUED = /[ \t]*\+[ \t]*\r?\n?[ \t]*(?=['"`])/y
const KEY = /\[[^\]\n]*\]|[^\s:,{}[\]'"()]+/y

/** Runs a sticky regex at pos: the match or undefined. */
function at(re: RegExp, s: string, pos: number): string | undefined {
  re.lastIndex = pos
  return re.exec(s)?.[0]
}

class Reader {
  pos = 0
  steps = 0
  constructor(
    readonly src: string,
    readonly budget: number,
  ) {}

  private tick(): void {
    if (++this.steps > this.budget) throw new NoParse()
  }

  private ws(): void {
    const s = this.src
    for (;;) {
      this.tick()
      const c = s[this.pos]
      if (c === ' ' || c === '\t' || c === '\n' || c === '\r') this.pos++
      else if (c === '/' && s[this.pos + 1] === '/') {
        const e = s.indexOf('\n', this.pos)
        this.pos = e < 0 ? s.length : e
      } else if (c === '/' && s[this.pos + 1] === '*') {
        const e = s.indexOf('*/', this.pos + 2)
        if (e < 0) throw new NoParse()
        this.pos = e + 2
      } else return
    }
  }

  /** A quoted string with `'…' +` continuations at pos. */
  private string(): Scalar {
    const s = this.src
    const spans: Span[] = []
    for (;;) {
      const end = stringEnd(s, this.pos)
      if (end < 0) throw new NoParse()
      spans.push([this.pos + 1, end])
      this.pos = end + 1
      const cont = at(CONTINUED, s, this.pos)
      if (cont === undefined) break
      this.pos += cont.length
    }
    return { t: 'scalar', value: piecesSegment(s, spans).text, spans: spans.filter(([a, b]) => b > a), quoted: true }
  }

  /** An unquoted value up to , } ] or the line end, skipping balanced brackets and strings. */
  private bare(): Value {
    const s = this.src
    const start = this.pos
    let nest = 0
    while (this.pos < s.length) {
      this.tick()
      const c = s[this.pos]
      if (c === "'" || c === '"' || c === '`') {
        const e = stringEnd(s, this.pos)
        this.pos = e < 0 ? this.pos + 1 : e + 1
        continue
      }
      if (c === '(' || c === '[' || c === '{') nest++
      else if (c === ')' || c === ']' || c === '}') {
        if (nest === 0) break
        nest--
      } else if ((c === ',' || c === '\n') && nest === 0) break
      this.pos++
    }
    let end = this.pos
    while (end > start && /\s/.test(s[end - 1])) end--
    if (end === start) throw new NoParse()
    return { t: 'scalar', value: s.slice(start, end), spans: [[start, end]], quoted: false }
  }

  value(depth: number): Value {
    if (depth > 64) throw new NoParse()
    this.ws()
    const s = this.src
    const c = s[this.pos]
    if (c === "'" || c === '"' || c === '`') return this.string()
    const tag = at(INSPECT_TAG, s, this.pos)
    if (tag) {
      this.pos += tag.length
      if (s[this.pos] === ' ' && s[this.pos + 1] === '{') {
        this.pos++
        return this.object(depth + 1, tag)
      }
      return { t: 'other' }
    }
    const pre = c === '{' || c === '[' ? '' : at(PREFIX, s, this.pos)
    if (pre !== undefined) {
      this.pos += pre.length
      return s[this.pos] === '{' ? this.object(depth + 1, pre.trim() || undefined) : this.list(depth + 1)
    }
    return this.bare()
  }

  object(depth: number, prefix?: string): MapNode {
    const s = this.src
    if (s[this.pos] !== '{') throw new NoParse()
    this.pos++
    const entries: Entry[] = []
    for (;;) {
      this.ws()
      if (s[this.pos] === '}') {
        this.pos++
        return { t: 'map', entries, prefix }
      }
      let key: string
      const c = s[this.pos]
      if (c === "'" || c === '"') key = this.string().value
      else if (s.startsWith('...', this.pos)) {
        this.bare()
        key = ''
      } else {
        const m = at(KEY, s, this.pos)
        if (!m) throw new NoParse()
        key = m
        this.pos += m.length
      }
      this.ws()
      let value: Value = { t: 'other' }
      if (s[this.pos] === ':' || s.startsWith('=>', this.pos)) {
        this.pos += s[this.pos] === ':' ? 1 : 2
        value = this.value(depth)
        this.ws()
      } else if (s[this.pos] !== ',' && s[this.pos] !== '}') throw new NoParse()
      if (key !== '') entries.push({ key, value })
      if (s[this.pos] === ',') this.pos++
      else if (s[this.pos] !== '}') throw new NoParse()
    }
  }

  list(depth: number): ListNode {
    const s = this.src
    if (s[this.pos] !== '[') throw new NoParse()
    this.pos++
    const items: Value[] = []
    for (;;) {
      this.ws()
      if (s[this.pos] === ']') {
        this.pos++
        return { t: 'list', items }
      }
      items.push(this.value(depth + 1))
      this.ws()
      if (s[this.pos] === ',') this.pos++
      else if (s[this.pos] !== ']') throw new NoParse()
    }
  }
}

/** Every outermost `{…}` object that reads as JSON/inspect/JS-literal syntax, in order (work bounded by the text length). */
export function parseFlow(text: string): MapNode[] {
  const out: MapNode[] = []
  let budget = 40 * text.length + 10_000
  for (let i = text.indexOf('{'); i >= 0 && budget > 0; i = text.indexOf('{', i + 1)) {
    const r = new Reader(text, budget)
    r.pos = i
    try {
      const m = r.object(0)
      m.range = [i, r.pos]
      out.push(m)
      i = r.pos - 1
    } catch (e) {
      if (!(e instanceof NoParse)) throw e
    }
    budget -= r.steps
  }
  return out
}
