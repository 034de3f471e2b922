// present(): the one util.inspect.custom of results and errors; a Presentation prints as plain data until a renderer
// registers, then as its text; JSON and keys never change.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { inspect } from 'node:util'
import { present, Presentation } from '../src/present.ts'

test('a presented object prints with its presenter; JSON and keys are unchanged', () => {
  const r = present({ name: 'web', n: 2 }, (v, o) => `${v.name} x${v.n}${o.colors ? ' (colour)' : ''}`)
  assert.is(inspect(r), 'web x2')
  assert.is(inspect(r, { colors: true }), 'web x2 (colour)')
  assert.is(JSON.stringify(r), '{"name":"web","n":2}')
  assert.equal(Object.keys(r), ['name', 'n'])
  assert.is(inspect({ nested: r }), '{ nested: web x2 }')
})

test('a Presentation without a renderer prints plain data; once registered, its text (the renderers register later)', () => {
  const P = new Presentation<{ rows: number[] }>('Rows')
  const r = present({ rows: [1, 2] }, P)
  assert.not.ok(P.registered)
  assert.is(inspect(r), '{ rows: [ 1, 2 ] }')
  P.register((v) => `ROWS\n${v.rows.join('\n')}`)
  assert.ok(P.registered)
  assert.is(inspect(r), 'ROWS\n1\n2')
  assert.is(P.text({ rows: [3] }), 'ROWS\n3')
})

test('on a class prototype it applies to every instance, with the instance as the value', () => {
  class Handle {
    constructor(readonly target: string) {}
  }
  present(Handle.prototype, (h) => `Handle(${h.target})`)
  assert.is(inspect(new Handle('ssh:lab-1')), 'Handle(ssh:lab-1)')
  assert.is(inspect([new Handle('a'), new Handle('b')]), '[ Handle(a), Handle(b) ]')
})

test('a presenter returning undefined falls back to plain data', () => {
  const r = present({ a: 1 }, () => undefined)
  assert.is(inspect(r), '{ a: 1 }')
})

test.run()
