// src/errors.ts: received() (how a wrong value reads in a message) and the HintedError shape.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { inspect } from 'node:util'
import vm from 'node:vm'
import { HintedError, received } from '../src/errors.ts'

test('received: strings quoted and clipped at 60 characters; the empty string shows as ""', () => {
  assert.is(received('web'), '"web"')
  assert.is(received(''), '""')
  assert.is(received('say "hi"\n'), '"say \\"hi\\"\\n"')
  assert.is(received('x'.repeat(60)), JSON.stringify('x'.repeat(60)))
  assert.is(received('x'.repeat(61)), JSON.stringify(`${'x'.repeat(60)}…`))
})

test('received: null, undefined, numbers, booleans, bigints, symbols, functions', () => {
  assert.is(received(null), 'null')
  assert.is(received(undefined), 'undefined')
  assert.is(received(42), 'number 42')
  assert.is(received(NaN), 'number NaN')
  assert.is(received(-0.5), 'number -0.5')
  assert.is(received(true), 'boolean true')
  assert.is(received(10n), 'bigint 10')
  assert.is(received(Symbol('x')), 'symbol Symbol(x)')
  assert.is(received(() => 1), 'a function')
  assert.is(received(class Foo {}), 'a function')
})

test('received: arrays by length, objects by class (also from another realm), null-prototype objects', () => {
  assert.is(received([]), 'an array of 0')
  assert.is(received(['a', 'b']), 'an array of 2')
  assert.is(received({ a: 1 }), 'Object')
  assert.is(received(new Map()), 'Map')
  assert.is(received(Object.create(null)), 'an object')
  assert.is(received(vm.runInNewContext('({ a: 1 })')), 'Object')
  assert.is(received(vm.runInNewContext('[1, 2, 3]')), 'an array of 3')
})

test('HintedError: kind, message, hint, cause; prints as "Name [kind] message" and the hint, without a stack', () => {
  class DemoError extends HintedError<'invalid'> {
    override name = 'DemoError'
  }
  const cause = new Error('inner')
  const e = new DemoError('invalid', 'size: expected a number, received "x"', 'e.g. 3', cause)
  assert.equal([e.kind, e.message, e.hint, e.cause], ['invalid', 'size: expected a number, received "x"', 'e.g. 3', cause])
  assert.ok(e instanceof HintedError && e instanceof Error)
  assert.is(inspect(e), 'DemoError [invalid] size: expected a number, received "x"\n  hint: e.g. 3')
  assert.is(inspect(new DemoError('invalid', 'no hint')), 'DemoError [invalid] no hint')
  assert.not.ok('cause' in new DemoError('invalid', 'no cause'))
})

test.run()
