// Limit: at most N holders, FIFO queue, abortable waits.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { Limit } from '../../../src/exec/ssh/limit.ts'

test('never more than max at once; waiters run in order', async () => {
  const l = new Limit(3)
  let running = 0
  let peak = 0
  const order: number[] = []
  await Promise.all(
    Array.from({ length: 10 }, async (_, i) => {
      const release = await l.acquire()
      running++
      peak = Math.max(peak, running)
      order.push(i)
      await new Promise((r) => setTimeout(r, 5))
      running--
      release()
    }),
  )
  assert.is(peak, 3)
  assert.is(l.peak, 3)
  assert.equal(order, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
  assert.is(l.active, 0)
})

test('an aborted wait leaves the queue; double release is harmless', async () => {
  const l = new Limit(1)
  const r1 = await l.acquire()
  const ac = new AbortController()
  const waiting = l.acquire(ac.signal)
  assert.is(l.queued, 1)
  ac.abort(new Error('gave up'))
  await waiting.then(
    () => assert.unreachable('should reject'),
    (e) => assert.match(String(e), /gave up/),
  )
  assert.is(l.queued, 0)
  r1()
  r1()
  assert.is(l.active, 0)
  const r2 = await l.acquire()
  assert.is(l.active, 1)
  r2()
})

test('resize: lowered, holders beyond the cap finish first; raised (never past the first max), waiters start', async () => {
  const l = new Limit(4)
  const held = await Promise.all([l.acquire(), l.acquire(), l.acquire()])
  l.resize(2)
  assert.is(l.max, 2)
  let granted = 0
  const waiting = [l.acquire(), l.acquire()].map((p) => p.then((r) => (granted++, r)))
  held[0]()
  await new Promise((r) => setImmediate(r))
  assert.is(granted, 0, 'still 2 holders: the cap is 2')
  held[1]()
  await new Promise((r) => setImmediate(r))
  assert.is(granted, 1)
  l.resize(3)
  await new Promise((r) => setImmediate(r))
  assert.is(granted, 2, 'raised: the waiter starts at once')
  assert.is(l.active, 3)
  l.resize(9)
  assert.is(l.max, 4)
  l.resize(0)
  assert.is(l.max, 1)
  for (const r of [held[2], ...(await Promise.all(waiting))]) r()
  assert.is(l.active, 0)
})

test('bad max is refused', () => {
  assert.throws(() => new Limit(0), /max must be a positive integer, received 0/)
})

test.run()
