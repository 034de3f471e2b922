// The agent protocol, pure: requests round-trip through a model of what the agent's sh does with them (`read -r`
// of one line, then `eval "set -- $argv"` of single-quoted words), stdin bytes follow the header exactly, and the
// decoder gives the same events however the agent's stdout is split (at every byte boundary, at random points).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fc from 'fast-check'
import {
  AgentDecoder,
  AgentProtocolError,
  MAX_LINE,
  encodeControl,
  encodeRequest,
  quoteWord,
  type AgentEvent,
} from '../../../src/exec/nodepod/agentproto.ts'

// What the agent's `IFS=' ' read -r k i m s n a; eval "set -- $a"` makes of a request line, for the quoting the
// encoder uses: 'literal', \' and "$NL" (NL is a newline), words separated by one space. Anything else throws.
function agentReads(line: string): { fields: string[]; argv: string[] } {
  const f = line.split(' ')
  const fields = f.slice(0, 5)
  const rest = f.slice(5).join(' ')
  const argv: string[] = []
  let i = 0
  while (i < rest.length) {
    let w = ''
    while (i < rest.length && rest[i] !== ' ') {
      if (rest[i] === "'") {
        const end = rest.indexOf("'", i + 1)
        if (end < 0) throw new Error(`unterminated quote at ${i}`)
        w += rest.slice(i + 1, end)
        i = end + 1
      } else if (rest.startsWith("\\'", i)) {
        w += "'"
        i += 2
      } else if (rest.startsWith('"$NL"', i)) {
        w += '\n'
        i += 5
      } else throw new Error(`unquoted ${JSON.stringify(rest[i])} at ${i}`)
    }
    argv.push(w)
    i++ // the separating space
  }
  return { fields, argv }
}

const word = fc.oneof(
  fc.constantFrom(
    "a' ; echo INJECTED #",
    '$(id)',
    '`id`',
    '*',
    "'",
    "''",
    '\\',
    '"',
    '\n',
    '\n\n',
    ' ',
    '',
    '-n',
    '--',
    '$NL',
    '"$NL"',
    '\'"$NL"\'',
    'é€',
    '\r',
  ),
  fc.string({ unit: 'binary', maxLength: 20 }).filter((s) => !s.includes('\0')),
)
const argvArb = fc.array(word, { minLength: 1, maxLength: 8 })
const idArb = fc.stringMatching(/^[a-z0-9]{1,12}$/)

test('a request is one line the agent reads back into the exact argv, with its fields; stdin bytes follow exactly', () => {
  fc.assert(
    fc.property(
      idArb,
      fc.constantFrom('node' as const, 'image' as const),
      fc.integer({ min: 1, max: 86_400 }),
      argvArb,
      fc.option(fc.uint8Array({ maxLength: 300 })),
      (id, from, seconds, argv, stdin) => {
        const bytes = encodeRequest({ id, from, seconds, argv, stdin: stdin ? Buffer.from(stdin) : undefined })
        const nl = bytes.indexOf(10)
        const line = bytes.subarray(0, nl).toString('utf8')
        const r = agentReads(line)
        assert.equal(r.fields, ['R', id, from, String(seconds), stdin ? String(stdin.length) : '-'])
        assert.equal(r.argv, argv)
        assert.ok(
          bytes.subarray(nl + 1).equals(Buffer.from(stdin ?? [])),
          'the stdin bytes, and nothing else, follow the line',
        )
      },
    ),
    { numRuns: 500 },
  )
})

test('quoteWord keeps a newline out of the line and leaves nothing unquoted', () => {
  assert.is(quoteWord("it's"), `'it'\\''s'`)
  assert.is(quoteWord('a\nb'), `'a'"$NL"'b'`)
  assert.is(quoteWord(''), "''")
  fc.assert(
    fc.property(word, (w) => !quoteWord(w).includes('\n') && agentReads(`R x node 1 - ${quoteWord(w)}`).argv[0] === w),
  )
})

test('encodeRequest and encodeControl refuse what the agent could misread, naming the argument', () => {
  const ok = { id: 'abc1', from: 'node' as const, seconds: 5, argv: ['true'] }
  assert.throws(() => encodeRequest({ ...ok, id: 'a b' }), /id must be \[a-z0-9\]\+, received "a b"/)
  assert.throws(() => encodeRequest({ ...ok, from: 'host' as any }), /from must be "node" or "image", received "host"/)
  assert.throws(() => encodeRequest({ ...ok, seconds: 0 }), /seconds must be a positive integer, received 0/)
  assert.throws(() => encodeRequest({ ...ok, seconds: 1.5 }), /seconds must be a positive integer/)
  assert.throws(() => encodeRequest({ ...ok, argv: [] }), /argv must be a non-empty array/)
  assert.throws(() => encodeRequest({ ...ok, argv: ['a\0b'] }), /argv\[0\] must be a string without NUL bytes/)
  assert.throws(() => encodeControl('K', 'X;'), /id must be \[a-z0-9\]\+/)
  assert.throws(() => encodeControl('Z' as any, 'a'), /op must be K, P or Q/)
  assert.is(encodeControl('K', 'ab12').toString(), 'K ab12\n')
  assert.is(encodeControl('P', 'ab12').toString(), 'P ab12\n')
  assert.is(encodeControl('Q').toString(), 'Q\n')
})

// What the agent writes for an event (the model of its writer and rescue).
function agentSays(e: AgentEvent): Buffer {
  switch (e.type) {
    case 'hello':
      return Buffer.from(`H ${e.version} ${e.pid}\n`)
    case 'answer':
      return Buffer.concat([
        Buffer.from(`A ${e.id} ${e.exitCode} ${e.stdout.length} ${e.stderr.length}\n`),
        e.stdout,
        e.stderr,
      ])
    case 'stopped':
      return Buffer.from(`K ${e.id} ${e.signalled}\n`)
    default:
      return Buffer.from(`${{ started: 'S', pong: 'P', lost: 'X', unstarted: 'N' }[e.type]} ${e.id}\n`)
  }
}
const bytes = (max: number) => fc.uint8Array({ maxLength: max }).map((a) => Buffer.from(a))
const eventArb: fc.Arbitrary<AgentEvent> = fc.oneof(
  fc.record({ type: fc.constant('hello' as const), version: fc.nat(9), pid: fc.integer({ min: 1, max: 4_194_304 }) }),
  fc.record({ type: fc.constant('started' as const), id: idArb }),
  fc.record({
    type: fc.constant('answer' as const),
    id: idArb,
    exitCode: fc.integer({ min: 0, max: 255 }),
    stdout: bytes(200),
    stderr: bytes(60),
  }),
  fc.record({ type: fc.constant('stopped' as const), id: idArb, signalled: fc.nat(50) }),
  fc.record({ type: fc.constant('pong' as const), id: idArb }),
  fc.record({ type: fc.constant('lost' as const), id: idArb }),
  fc.record({ type: fc.constant('unstarted' as const), id: idArb }),
)
// Comparable copies (fast-check's records have no prototype; Buffers compared as byte arrays).
const plain = (es: AgentEvent[]) =>
  es.map((e) => (e.type === 'answer' ? { ...e, stdout: [...e.stdout], stderr: [...e.stderr] } : { ...e }))

test('the decoder gives the same events when the stream is split at every byte boundary, and byte by byte', () => {
  fc.assert(
    fc.property(fc.array(eventArb, { minLength: 1, maxLength: 4 }), (events) => {
      const stream = Buffer.concat(events.map(agentSays))
      const want = plain(events)
      for (let k = 0; k <= stream.length; k++) {
        const d = new AgentDecoder()
        const got = [...d.push(stream.subarray(0, k)), ...d.push(stream.subarray(k))]
        assert.equal(plain(got), want, `split at ${k}`)
        assert.ok(d.idle)
      }
      const d = new AgentDecoder()
      const got: AgentEvent[] = []
      for (let k = 0; k < stream.length; k++) got.push(...d.push(stream.subarray(k, k + 1)))
      assert.equal(plain(got), want, 'byte by byte')
    }),
    { numRuns: 150 },
  )
})

test('random splits of a long stream (binary answers up to 64 KB) decode to the same events; events come as soon as complete', () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.oneof(
          eventArb,
          fc.record({
            type: fc.constant('answer' as const),
            id: idArb,
            exitCode: fc.nat(255),
            stdout: bytes(65_536),
            stderr: bytes(2000),
          }),
        ),
        { minLength: 1, maxLength: 30 },
      ),
      fc.array(fc.nat(), { maxLength: 40 }),
      (events, cuts) => {
        const stream = Buffer.concat(events.map(agentSays))
        const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b)
        const d = new AgentDecoder()
        const got: AgentEvent[] = []
        let from = 0
        for (const p of [...points, stream.length]) {
          got.push(...d.push(stream.subarray(from, p)))
          from = p
        }
        assert.equal(plain(got), plain(events))
        assert.ok(d.idle)
      },
    ),
    { numRuns: 100 },
  )
  const d = new AgentDecoder()
  assert.equal(d.push(Buffer.from('S ab\nA ab 0 3 0\nhi')), [{ type: 'started', id: 'ab' }])
  assert.not.ok(d.idle)
  assert.equal(plain(d.push(Buffer.from('!'))), [
    { type: 'answer', id: 'ab', exitCode: 0, stdout: [...Buffer.from('hi!')], stderr: [] },
  ])
})

test('a stream that breaks the protocol is an AgentProtocolError naming what came, and the decoder stays broken', () => {
  for (const bad of [
    'hello\n',
    'A ab 0 1\n',
    'A ab 256 0 0\n',
    'A ab 01 0 0\n',
    'A ab 0 -1 0\n',
    'S\n',
    'S AB\n',
    'S ab extra\n',
    'K ab\n',
    'H 1\n',
    'Z ab\n',
    '\n',
  ]) {
    const d = new AgentDecoder()
    assert.throws(
      () => d.push(Buffer.from(bad)),
      (e: unknown) => e instanceof AgentProtocolError && /not in its protocol/.test((e as Error).message),
      bad,
    )
    assert.throws(
      () => d.push(Buffer.from('S ab\n')),
      (e: unknown) => e instanceof AgentProtocolError,
    )
  }
  const d = new AgentDecoder()
  assert.equal(d.push(Buffer.alloc(MAX_LINE, 0x41)), [])
  assert.throws(() => d.push(Buffer.from('A')), /bytes without a line end: "AAAA/)
})

test.run()
