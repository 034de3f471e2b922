// Kubernetes quantities: exact parsing, rounded up like resource.Quantity, and parseQuantity (the recipe global).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { ceilMilli, ceilValue, parseQuantity, parseQuantityExact } from '../../src/kube/quantity.ts'
import { KubeError } from '../../src/kube/errors.ts'

test('parseQuantityExact: every suffix exactly, rounded up like resource.Quantity', () => {
  const milli = (q: string) => ceilMilli(parseQuantityExact(q))
  const bytes = (q: string) => ceilValue(parseQuantityExact(q))
  assert.is(milli('1000000n'), 1) // 1 millicore exactly: no float drift to 2
  assert.is(milli('1000001n'), 2) // rounded up
  assert.is(milli('0'), 0)
  assert.is(milli('250m'), 250)
  assert.is(milli('1500u'), 2)
  assert.is(milli('2'), 2000)
  assert.is(milli('0.1'), 100)
  assert.is(milli('1e-3'), 1)
  assert.is(bytes('1644000Ki'), 1644000 * 1024)
  assert.is(bytes('1.5Gi'), 1.5 * 2 ** 30)
  assert.is(bytes('12e3'), 12000)
  assert.is(bytes('128974848'), 128974848)
  assert.is(bytes('129M'), 129e6)
  assert.is(bytes('0.5'), 1)
  assert.is(bytes('1.5k'), 1500)
  assert.is(milli('1500000n'), 2)
  for (const bad of ['', 'abc', '12Qi', '12Zi', '1.2.3', 'm', '--1']) {
    try {
      parseQuantityExact(bad, 'usage.cpu')
      assert.unreachable(`accepted ${JSON.stringify(bad)}`)
    } catch (e) {
      assert.instance(e, KubeError)
      assert.match((e as Error).message, /^usage\.cpu: expected a Kubernetes quantity like "250m"/)
      assert.ok((e as Error).message.includes(`received ${JSON.stringify(bad)}`))
    }
  }
})

test('parseQuantity: the value as a number, for recipes comparing limits and usage', () => {
  assert.is(parseQuantity('250m'), 0.25)
  assert.is(parseQuantity('2'), 2)
  assert.is(parseQuantity('1Gi'), 2 ** 30)
  assert.is(parseQuantity('128974848'), 128974848)
  assert.is(parseQuantity('1.5k'), 1500)
  assert.is(parseQuantity('123456789n'), 0.123456789)
  assert.is(parseQuantity(' 64Mi '), 64 * 2 ** 20)
  assert.throws(
    () => parseQuantity('1 GB'),
    /^quantity: expected a Kubernetes quantity like "250m", "128974848" or "129Mi", received "1 GB"$/,
  )
})

test.run()
