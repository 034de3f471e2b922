// parseYaml: yaml's parseDocument behind the depth guard, parsing the text once.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { LineCounter, parseDocument } from 'yaml'
import { MAX_YAML_DEPTH, parseYaml } from '../src/yaml-depth.ts'

const docOf = (text: string, opts = {}) => {
  const r = parseYaml(text, opts)
  if ('tooDeep' in r) throw new Error(`unexpectedly too deep: ${JSON.stringify(r.tooDeep)}`)
  return r.doc
}

test('a document comes out as yaml.parseDocument makes it: values, errors, warnings, ranges', () => {
  for (const text of [
    'context: lab\nnamespace: shop\nnodes:\n  - match: "lab-*"\n    user: root\n',
    'a: [1, 2\nb: }\n',
    'a: 1\na: 2\n',
    '',
    '- x\n- y: {z: 1}\n',
    'key: !unknowntag v\n',
  ]) {
    const mine = docOf(text)
    const theirs = parseDocument(text, { prettyErrors: false })
    assert.equal(mine.toJS(), theirs.toJS(), text)
    assert.equal(
      mine.errors.map((e) => [e.code, e.pos]),
      theirs.errors.map((e) => [e.code, e.pos]),
      `errors of ${JSON.stringify(text)}`,
    )
    assert.equal(mine.warnings.length, theirs.warnings.length, `warnings of ${JSON.stringify(text)}`)
    assert.equal(mine.range, theirs.range)
  }
})

test('several documents: the first, with the error parseDocument adds', () => {
  const text = 'a: 1\n---\nb: 2\n'
  const mine = docOf(text)
  assert.equal(mine.toJS(), { a: 1 })
  assert.equal(
    mine.errors.map((e) => [e.code, e.message, e.pos]),
    parseDocument(text, { prettyErrors: false }).errors.map((e) => [e.code, e.message, e.pos]),
  )
  assert.is(mine.errors[0]?.code, 'MULTIPLE_DOCS')
})

test('the line counter sees the text once, so error positions map to their lines', () => {
  const lc = new LineCounter()
  const doc = docOf('a: 1\nb: 2\nc: [\n', { lineCounter: lc })
  assert.ok(doc.errors.length > 0)
  assert.is(lc.linePos(doc.errors[0].pos[0]).line, 4)
  assert.equal(lc.lineStarts, [0, 5, 10, 15])
})

test('deeper than MAX_YAML_DEPTH: refused before composing, with the depth and where it is reached', () => {
  const ok = `${'['.repeat(MAX_YAML_DEPTH)}1${']'.repeat(MAX_YAML_DEPTH)}`
  assert.ok('doc' in parseYaml(ok), 'exactly the limit composes')
  const text = `a:\n  b: ${'['.repeat(MAX_YAML_DEPTH + 5)}`
  const r = parseYaml(text)
  assert.ok('tooDeep' in r, 'refused')
  const deep = (r as { tooDeep: { depth: number; offset: number } }).tooDeep
  assert.is(deep.depth, 2 + MAX_YAML_DEPTH + 5) // the block maps of a and b, then the flow collections
  assert.ok(deep.offset > text.indexOf('['), `offset ${deep.offset} is inside the brackets`)
  const huge = parseYaml('['.repeat(200_000))
  assert.ok('tooDeep' in huge && huge.tooDeep.depth > MAX_YAML_DEPTH, 'a stack-overflowing text is refused too')
})

test('errors are built without stack traces (the library makes one per broken line)', () => {
  const doc = docOf('a: [\n'.repeat(50))
  assert.ok(doc.errors.length > 0)
  for (const e of doc.errors) assert.not.match(e.stack ?? '', /\n\s+at /)
  assert.ok(Error.stackTraceLimit > 0, 'the limit is restored')
})

test.run()
