// POSIX quoting: unit cases, and a property test that bash, dash and busybox sh read shJoin's output back byte-exact.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawnSync } from 'node:child_process'
import fc from 'fast-check'
import { shJoin, shQuote, showArgv, withDeadline } from '../../src/exec/quote.ts'

const INJECTIONS = [
  "a' ; echo INJECTED #",
  '$(echo INJECTED)',
  '`echo INJECTED`',
  '"; echo INJECTED; "',
  "'",
  "''",
  '\\',
  "\\'",
  '-n',
  '--',
  '-e',
  '',
  ' ',
  '\n',
  'a\nb',
  '$HOME',
  '${IFS}',
  '*',
  '~',
  '~root',
  '#comment',
  'a=b',
  '!x',
  'é😀中',
  '%s%n',
  '\u202e',
]

const SHELLS: [string, string[]][] = [
  ['bash', ['bash', '-c']],
  ['dash', ['dash', '-c']],
  ['busybox sh', ['/bin/busybox', 'sh', '-c']],
]

// Runs each argv as `p ARGS…` where p prints "$#" then each argument NUL-terminated; returns the argvs read back.
function roundTrip(shell: string[], batch: string[][]): string[][] {
  const script = [`p() { printf '%s\\0' "$#" "$@"; }`, ...batch.map((argv) => shJoin(['p', ...argv]))].join('\n')
  const r = spawnSync(shell[0], [...shell.slice(1), script], { maxBuffer: 16 << 20 })
  if (r.status !== 0) throw new Error(`${shell.join(' ')} exited ${r.status}: ${r.stderr}`)
  const fields: string[] = []
  let start = 0
  for (let i = 0; i < r.stdout.length; i++) {
    if (r.stdout[i] === 0) {
      fields.push(r.stdout.subarray(start, i).toString('utf8'))
      start = i + 1
    }
  }
  const out: string[][] = []
  for (let i = 0; i < fields.length;) {
    const n = Number(fields[i++])
    out.push(fields.slice(i, i + n))
    i += n
  }
  return out
}

test('shQuote leaves safe words bare and single-quotes the rest', () => {
  assert.is(shQuote('abc-1.2_/x:y@z%+=,'), 'abc-1.2_/x:y@z%+=,')
  assert.is(shQuote(''), "''")
  assert.is(shQuote('a b'), "'a b'")
  assert.is(shQuote("it's"), `'it'\\''s'`)
  assert.is(shQuote('$x'), "'$x'")
  assert.is(shQuote('~'), "'~'")
  assert.not.match(shQuote('a\nb'), /\$'/) // never bash-only $'…'
})

test('shQuote rejects NUL and non-strings with a message naming the problem', () => {
  assert.throws(() => shQuote('a\0b'), /NUL/)
  assert.throws(() => shQuote(3 as unknown as string), /expected a string, received number/)
})

test('shJoin quotes a command word a shell would treat as keyword or assignment', () => {
  assert.is(shJoin(['time', 'ls']), "'time' ls")
  assert.is(shJoin(['if']), "'if'")
  assert.is(shJoin(['A=b', 'c=d']), "'A=b' c=d")
  assert.is(shJoin(['echo', 'time']), 'echo time')
  for (const [name, sh] of SHELLS) {
    const r = spawnSync(sh[0], [...sh.slice(1), shJoin(['A=b', 'true'])], { encoding: 'utf8' })
    assert.is(r.status, 127, `${name}: 'A=b' must be looked up as a command, not taken as an assignment`)
  }
})

test('withDeadline wraps argv in timeout -k and rounds up to whole seconds', () => {
  assert.equal(withDeadline(['sleep', '9'], 1500), ['timeout', '-k', '2', '2', 'sleep', '9'])
  assert.equal(withDeadline(['x'], 10, 5), ['timeout', '-k', '5', '1', 'x'])
  assert.throws(() => withDeadline(['x'], 0), /timeoutMs must be a positive number, received 0/)
})

test('showArgv shows word boundaries, and survives input shJoin rejects', () => {
  assert.is(showArgv(['sh', '-c', 'echo a; b']), "sh -c 'echo a; b'")
  assert.is(showArgv(['a\0b']), 'a\0b')
})

test('fixed injection strings arrive literally in bash, dash and busybox sh', () => {
  const batch = [INJECTIONS, ...INJECTIONS.map((s) => [s]), [], ['']]
  for (const [name, sh] of SHELLS) assert.equal(roundTrip(sh, batch), batch, name)
})

test('property: 1000 random argvs arrive byte-exact in bash, dash and busybox sh', () => {
  const nasty = fc.constantFrom(
    "'",
    '"',
    '$',
    '`',
    '\\',
    '\n',
    '\r',
    '\t',
    ' ',
    '*',
    '?',
    '[',
    ']',
    '~',
    '#',
    ';',
    '&',
    '|',
    '(',
    ')',
    '{',
    '}',
    '<',
    '>',
    '!',
    '-',
    '=',
    '%',
    'a',
    'é',
    '😀',
    '\u00a0',
    '\x01',
    '\x7f',
  )
  const word = fc.oneof(
    fc.string({ unit: nasty, maxLength: 16 }),
    fc.string({ unit: 'grapheme', maxLength: 12 }),
    fc.string({ unit: 'binary-ascii', maxLength: 16 }).map((s) => s.replace(/\0/g, '')),
    fc.constantFrom(...INJECTIONS),
  )
  const argv = fc.array(word, { maxLength: 6 })
  let cases = 0
  fc.assert(
    fc.property(fc.array(argv, { minLength: 20, maxLength: 20 }), (batch) => {
      cases += batch.length
      for (const [name, sh] of SHELLS) assert.equal(roundTrip(sh, batch), batch, `${name} read back a different argv`)
    }),
    { numRuns: 50 },
  )
  assert.ok(cases >= 1000, `ran ${cases} cases`)
})

test.run()
