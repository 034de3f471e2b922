// Redaction never throws, stays fast and keeps code compiling on any input: random text and mutated captured outputs.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fc from 'fast-check'
import fs from 'node:fs'
import path from 'node:path'
import vm from 'node:vm'
import { redactCode, redactText, secretsInText, taintMatcher } from '../../src/render/notebook-redact.ts'

const root = path.resolve(import.meta.dirname, '../fixtures')
const samples = ['kubectl-offline', 'redact-handwritten', 'lab']
  .flatMap((d) => fs.readdirSync(path.join(root, d)).map((f) => path.join(root, d, f)))
  .filter((f) => /\.(ya?ml|json|txt)$/.test(f))
  .map((f) => fs.readFileSync(f, 'utf8').slice(0, 6000))
const taint = taintMatcher(['ak-7Hq2xLw9Zp', 'hunter2-db', 'YWstN0hxMnhMdzlacA=='])
// Quotes, braces, escapes and line breaks mixed with secrets (tainted values, flags, fields, a Secret's data).
const FRAGMENTS = [
  'ak-7Hq2xLw9Zp',
  'hunter2-db',
  '--token=',
  'password: ',
  'PASSWORD=',
  'Bearer ',
  'kind: Secret\ndata:\n  k: ',
  '{"kind":"Secret","data":{"k":',
]
const noisy = fc
  .array(fc.oneof(fc.constantFrom(...'\'"`\\{}[]:=,\n \t-#|>$ab1'.split('')), fc.constantFrom(...FRAGMENTS)), {
    maxLength: 120,
  })
  .map((parts) => parts.join(''))

/** A captured output with random cuts and random quotes, braces, escapes and line breaks inserted. */
const mutated = fc
  .tuple(
    fc.constantFrom(...samples),
    fc.array(
      fc.tuple(
        fc.nat(),
        fc.nat({ max: 40 }),
        fc.string({ unit: fc.constantFrom(...'\'"`\\{}[]\n: -'.split('')), maxLength: 6 }),
      ),
      { maxLength: 8 },
    ),
  )
  .map(([text, edits]) =>
    edits.reduce((t, [at, cut, ins]) => {
      const i = t.length ? at % t.length : 0
      return t.slice(0, i) + ins + t.slice(i + cut)
    }, text),
  )

function timed<T>(f: () => T): [T, number] {
  const t0 = performance.now()
  const r = f()
  return [r, performance.now() - t0]
}

test('any text: redactText and secretsInText never throw and stay well under a second', () => {
  fc.assert(
    fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 2000 }), noisy, mutated), (text) => {
      const [out, ms] = timed(() => redactText(text, taint))
      assert.type(out, 'string')
      assert.ok(ms < 1000, `${ms.toFixed(0)} ms for ${text.length} characters`)
      assert.ok(Array.isArray(secretsInText(text)))
    }),
    { numRuns: 200 },
  )
})

test('captured outputs, mutated: redacting twice changes nothing more', () => {
  fc.assert(
    fc.property(mutated, (text) => {
      const once = redactText(text, taint)
      assert.is(redactText(once, taint), once)
    }),
    { numRuns: 150 },
  )
})

test('any code: redactCode never throws, and a cell that compiled still compiles', () => {
  const compiles = (c: string) => {
    try {
      new vm.Script(`(async () => {\n${c}\n})`)
      return true
    } catch {
      return false
    }
  }
  const code = fc.oneof(
    noisy.map(
      (s) => `const x = ${JSON.stringify(s)}; f(\`${s.replace(/[`\\$]/g, '\\$&')}\`) // ${s.replace(/\n/g, ' ')}`,
    ),
    fc.string({ maxLength: 300 }),
    noisy,
  )
  fc.assert(
    fc.property(code, (c) => {
      const out = redactCode(c, taint)
      if (compiles(c)) assert.ok(compiles(out), `${c}\n=>\n${out}`)
    }),
    { numRuns: 200 },
  )
})

test.run()
