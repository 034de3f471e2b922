// Fuzz inputs: the lab captures as seeds, their mutations (byte flips, line drops/dups/swaps, truncation, foreign
// lines, huge numbers, unicode, CRLF, repeats, floods, widened blanks), word soup, random text and JSON mutations.
import fc from 'fast-check'
import fs from 'node:fs'
import path from 'node:path'

const LAB = path.join(import.meta.dirname, '../fixtures/lab')
const NET = path.join(import.meta.dirname, '../net/fixtures')

/** A capture of test/fixtures/lab (written by `npm run lab -- capture`). */
export const labCapture = (f: string): string => fs.readFileSync(path.join(LAB, f), 'utf8')
/** A capture of test/net/fixtures (captured on the lab node, see its README). */
export const netCapture = (f: string): string => fs.readFileSync(path.join(NET, f), 'utf8')

/** Every text capture, as a pool of foreign lines to splice into another parser's input. */
export const ALL_CAPTURES: string[] = [
  ...fs
    .readdirSync(LAB)
    .filter((f) => /\.(txt|json)$/.test(f))
    .map(labCapture),
  ...fs
    .readdirSync(NET)
    .filter((f) => f.endsWith('.txt'))
    .map(netCapture),
]
const FOREIGN_LINES = [...new Set(ALL_CAPTURES.flatMap((t) => t.split('\n')).filter((l) => l.trim() && l.length < 400))]

/** Numbers that break naive parsing: huge, negative, fractional, exponent, hex, NaN-ish. */
export const NASTY_NUMBERS = [
  '0',
  '-1',
  '-0',
  '4294967296',
  '18446744073709551616',
  '9'.repeat(400),
  '1e309',
  '1e-400',
  '0.5',
  '0x1f',
  'NaN',
  'Infinity',
  '00000000010',
  '+7',
  '9007199254740993',
]

/** One mutation of a text. */
type Mutation =
  | { k: 'flip'; at: number; bit: number }
  | { k: 'drop' | 'dup'; line: number }
  | { k: 'swap'; a: number; b: number }
  | { k: 'truncate'; at: number }
  | { k: 'splice'; line: number; foreign: number }
  | { k: 'number'; which: number; value: string }
  | { k: 'insert'; at: number; text: string }
  | { k: 'repeat'; at: number; len: number; times: number }
  | { k: 'crlf'; all: boolean; line: number }
  | { k: 'flood'; at: number; frag: number; times: number; sep: string }
  | { k: 'widen'; line: number; times: number; tail: string }

const mutation = (frags: number): fc.Arbitrary<Mutation> =>
  fc.oneof(
    fc.record({ k: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
    fc.record({ k: fc.constantFrom('drop' as const, 'dup' as const), line: fc.nat() }),
    fc.record({ k: fc.constant('swap' as const), a: fc.nat(), b: fc.nat() }),
    fc.record({ k: fc.constant('truncate' as const), at: fc.nat() }),
    fc.record({ k: fc.constant('splice' as const), line: fc.nat(), foreign: fc.nat() }),
    fc.record({
      k: fc.constant('number' as const),
      which: fc.nat(),
      value: fc.oneof(fc.constantFrom(...NASTY_NUMBERS), fc.bigInt().map(String)),
    }),
    fc.record({
      k: fc.constant('insert' as const),
      at: fc.nat(),
      text: fc.oneof(
        fc.string({ unit: 'binary', maxLength: 8 }),
        fc.constantFrom(
          '\u2028',
          '\u202e',
          '\0',
          '\ufeff',
          '\ud800',
          '"',
          '\\',
          '[',
          '%',
          ' # ',
          '=',
          '\t',
          '\r',
          '::',
          '..',
          '-->',
          '{{',
          '```',
          '---',
        ),
      ),
    }),
    fc.record({
      k: fc.constant('repeat' as const),
      at: fc.nat(),
      len: fc.integer({ min: 1, max: 24 }),
      times: fc.integer({ min: 2, max: 20_000 }),
    }),
    fc.record({ k: fc.constant('crlf' as const), all: fc.boolean(), line: fc.nat() }),
    fc.record({
      k: fc.constant('widen' as const),
      line: fc.nat(),
      times: fc.integer({ min: 2, max: 20_000 }),
      tail: fc.constantFrom('', '\r', '\u2028', '\u2029', '\x0b', '\u0085', '#', '=', '"'),
    }),
    ...(frags
      ? [
          fc.record({
            k: fc.constant('flood' as const),
            at: fc.nat(),
            frag: fc.nat({ max: frags - 1 }),
            times: fc.integer({ min: 2, max: 5000 }),
            sep: fc.constantFrom(' ', '', '\n', '\t', ','),
          }),
        ]
      : []),
  )

/** Inputs grow (by repeats, floods, widening) to at most this many characters unless a target asks for less. */
export const MAX_LEN = 64_000

/** Lines, words and phrases of two to four words of the seeds: what a flood repeats (a regex that restarts at every copy of one is quadratic). */
function fragments(seeds: readonly string[]): string[] {
  const out = new Set<string>()
  for (const s of seeds) {
    for (const line of s.split('\n')) {
      if (line.trim() && line.length <= 120) out.add(line.trim())
      const w = line.trim().split(/\s+/).filter(Boolean)
      w.forEach((x, i) => {
        if (x.length <= 40) out.add(x)
        if (i + 1 < w.length) out.add(`${x} ${w[i + 1]}`.slice(0, 60))
        if (i + 2 < w.length) out.add(`${x} ${w[i + 1]} ${w[i + 2]}`.slice(0, 80))
        if (i + 3 < w.length) out.add(`${x} ${w[i + 1]} ${w[i + 2]} ${w[i + 3]}`.slice(0, 100))
      })
    }
  }
  return [...out].slice(0, 20_000)
}

/** Applies one mutation (none when it would grow the text beyond maxLen); positions are taken modulo the text's length so every value means something. */
export function mutate(text: string, m: Mutation, frags: readonly string[] = [], maxLen = MAX_LEN): string {
  const out = mutateOnce(text, m, frags, maxLen)
  return out.length > maxLen && out.length > text.length ? text : out
}

function mutateOnce(text: string, m: Mutation, frags: readonly string[], maxLen: number): string {
  const lines = text.split('\n')
  const li = (n: number) => n % Math.max(lines.length, 1)
  const at = (n: number) => n % (text.length + 1)
  switch (m.k) {
    case 'flip': {
      const b = Buffer.from(text, 'utf8')
      if (!b.length) return text
      b[m.at % b.length] ^= 1 << m.bit
      return b.toString('utf8')
    }
    case 'drop':
      lines.splice(li(m.line), 1)
      return lines.join('\n')
    case 'dup':
      lines.splice(li(m.line), 0, lines[li(m.line)] ?? '')
      return lines.join('\n')
    case 'swap': {
      const [a, b] = [li(m.a), li(m.b)]
      ;[lines[a], lines[b]] = [lines[b], lines[a]]
      return lines.join('\n')
    }
    case 'truncate':
      return text.slice(0, at(m.at))
    case 'splice':
      lines.splice(li(m.line), 0, FOREIGN_LINES[m.foreign % FOREIGN_LINES.length])
      return lines.join('\n')
    case 'number': {
      const nums = [...text.matchAll(/\d+/g)]
      if (!nums.length) return text
      const n = nums[m.which % nums.length]
      return text.slice(0, n.index) + m.value + text.slice(n.index! + n[0].length)
    }
    case 'insert': {
      const i = at(m.at)
      return text.slice(0, i) + m.text + text.slice(i)
    }
    case 'repeat': {
      const i = at(m.at)
      const piece = text.slice(i, i + m.len) || ' '
      const times = Math.min(m.times, Math.floor((maxLen - text.length) / piece.length))
      return times < 2 ? text : text.slice(0, i) + piece.repeat(times) + text.slice(i)
    }
    case 'flood': {
      const piece = frags[m.frag % Math.max(frags.length, 1)] ?? 'x'
      const times = Math.min(m.times, Math.floor((maxLen - text.length) / (piece.length + m.sep.length)))
      if (times < 2) return text
      const i = at(m.at)
      return text.slice(0, i) + (piece + m.sep).repeat(times) + text.slice(i)
    }
    case 'widen': {
      // a line's first blank run made thousands of blanks long, and something after it: separators under stress
      const l = li(m.line)
      const times = Math.min(m.times, maxLen - text.length - 1)
      if (times < 2) return text
      lines[l] =
        (/[ \t]/.test(lines[l])
          ? lines[l].replace(/[ \t]/, (b) => b.repeat(times))
          : lines[l] + ' '.repeat(times) + 'x') + m.tail
      return lines.join('\n')
    }
    case 'crlf':
      if (m.all) return text.replace(/\n/g, '\r\n')
      lines[li(m.line)] += '\r'
      return lines.join('\n')
  }
}

/** A window of up to 60 lines of a seed (the whole seed one time in ten, if under 32 KB), so a case stays small and shrinks well. */
const windowed = (seeds: readonly string[], maxLen = MAX_LEN) =>
  fc
    .record({
      seed: fc.nat(),
      start: fc.nat(),
      len: fc.integer({ min: 1, max: 60 }),
      whole: fc.integer({ min: 0, max: 9 }),
    })
    .map(({ seed, start, len, whole }) => {
      const text = seeds[seed % seeds.length]
      if (whole === 9 && text.length <= Math.min(32_000, maxLen)) return text
      const lines = text.split('\n')
      const s = start % lines.length
      return lines.slice(s, s + len).join('\n')
    })

/** Seeds (captured outputs) with 0-6 mutations applied. */
export function mutatedText(seeds: readonly string[], maxLen = MAX_LEN): fc.Arbitrary<string> {
  if (!seeds.length) throw new Error('mutatedText: no seeds')
  const frags = fragments(seeds)
  return fc
    .tuple(windowed(seeds, maxLen), fc.array(mutation(frags.length), { maxLength: 6 }))
    .map(([t, ms]) => ms.reduce((x, m) => mutate(x, m, frags, maxLen), t))
}

/** Random lines made of the seeds' own words and separators: reaches deeper than random bytes. */
export function wordSoup(seeds: readonly string[]): fc.Arbitrary<string> {
  const words = [...new Set(seeds.flatMap((s) => s.split(/[\s,;:=]+/)).filter((w) => w && w.length < 200))].slice(
    0,
    5000,
  )
  const word = fc.oneof(
    { weight: 5, arbitrary: fc.constantFrom(...words) },
    { weight: 1, arbitrary: fc.constantFrom(...NASTY_NUMBERS) },
    { weight: 1, arbitrary: fc.string({ maxLength: 6 }) },
  )
  const sep = fc.constantFrom(' ', ' ', ' ', '  ', '\t', '=', ':', ',', '/', '"', '\n', '\n', '\r\n')
  return fc.array(fc.tuple(word, sep), { maxLength: 120 }).map((ps) => ps.map(([w, s]) => w + s).join(''))
}

/** Random text: binary strings, full unicode, and long runs of one character (the usual backtracking triggers). */
export function randomText(maxLen = MAX_LEN): fc.Arbitrary<string> {
  return fc.oneof(
    fc.string({ unit: 'binary', maxLength: 300 }),
    fc.string({ unit: 'grapheme', maxLength: 300 }),
    fc.string({ maxLength: 300 }),
    fc
      .tuple(
        fc.string({ maxLength: 20 }),
        fc.constantFrom(' ', 'a', '0', '\t', '-', '.', '%', '*', '\\', '"', '#', '\r', '\u2028'),
        fc.integer({ min: 1, max: Math.max(1, maxLen - 40) }),
        fc.string({ maxLength: 20 }),
      )
      .map(([a, c, n, b]) => a + c.repeat(n) + b),
  )
}

/** The usual text input: mutated seeds (most), word soup and random text; grown inputs stay under maxLen characters. */
export function textInput(seeds: readonly string[], maxLen = MAX_LEN): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 6, arbitrary: mutatedText(seeds, maxLen) },
    { weight: 2, arbitrary: wordSoup(seeds) },
    { weight: 1, arbitrary: randomText(maxLen) },
  )
}

/** One structural mutation of a JSON document (by path position, modulo the number of nodes). */
type JsonMutation =
  { k: 'replace'; node: number; value: unknown } | { k: 'delete'; node: number } | { k: 'dup'; node: number } // dup: an array item

const nastyJson = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom(
    null,
    -1,
    1e308,
    -0,
    2 ** 53 + 2,
    '',
    '💥',
    [],
    {},
    [null],
    { nftables: null },
    'x'.repeat(1000),
    true,
  ),
  // objects that cannot be turned into a string: String(x) and `${x}` throw on them
  fc.constantFrom<unknown>({ toString: 1 }, { valueOf: {}, toString: null }, JSON.parse('{"__proto__": {"x": 1}}')),
)

/** Every [container, key] of a JSON value, depth first. */
function slots(v: unknown, out: [any, string | number][] = []): [any, string | number][] {
  if (Array.isArray(v)) v.forEach((x, i) => (out.push([v, i]), slots(x, out)))
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) (out.push([v, k]), slots(x, out))
  return out
}

/** The longest array in a JSON value (depth first), or undefined. */
function longestArray(v: unknown): unknown[] | undefined {
  let best: unknown[] | undefined
  const walk = (x: unknown) => {
    if (Array.isArray(x)) {
      if (!best || x.length > best.length) best = x
      x.forEach(walk)
    } else if (x && typeof x === 'object') Object.values(x).forEach(walk)
  }
  walk(v)
  return best
}

/**
 * JSON seeds parsed, the longest array cut to a window of up to 40 items (not one time in ten), then structurally
 * mutated (a node replaced by a random or nasty value, deleted or duplicated) and re-serialised.
 */
export function mutatedJson(seeds: readonly string[]): fc.Arbitrary<string> {
  const parsed = seeds.map((s) => JSON.parse(s) as unknown)
  const m: fc.Arbitrary<JsonMutation> = fc.oneof(
    { weight: 3, arbitrary: fc.record({ k: fc.constant('replace' as const), node: fc.nat(), value: nastyJson }) },
    fc.record({ k: fc.constant('delete' as const), node: fc.nat() }),
    fc.record({ k: fc.constant('dup' as const), node: fc.nat() }),
  )
  const win = fc.record({
    start: fc.nat(),
    len: fc.integer({ min: 1, max: 40 }),
    whole: fc.integer({ min: 0, max: 9 }),
  })
  return fc.tuple(fc.nat(), win, fc.array(m, { maxLength: 6 }), fc.boolean()).map(([i, w, ms, pretty]) => {
    const doc = structuredClone(parsed[i % parsed.length])
    const arr = w.whole === 9 ? undefined : longestArray(doc)
    if (arr?.length) {
      const s = w.start % arr.length
      arr.splice(0, arr.length, ...arr.slice(s, s + w.len))
    }
    for (const mu of ms) {
      const all = slots(doc)
      if (!all.length) break
      const [c, k] = all[mu.node % all.length]
      if (mu.k === 'replace') c[k] = structuredClone(mu.value)
      else if (mu.k === 'delete') Array.isArray(c) ? c.splice(k as number, 1) : delete c[k]
      else if (Array.isArray(c)) c.splice(k as number, 0, structuredClone(c[k as number]))
    }
    return JSON.stringify(doc, null, pretty ? 2 : undefined)
  })
}

/** JSON input: structural mutations (most), text mutations of the JSON, and random text. */
export function jsonInput(seeds: readonly string[]): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 6, arbitrary: mutatedJson(seeds) },
    { weight: 2, arbitrary: mutatedText(seeds) },
    { weight: 1, arbitrary: randomText() },
  )
}
