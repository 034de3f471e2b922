// runFleet's overall deadline over a scripted transport: partial results, nodes never started, time already spent.
import { test } from 'uvu'
import { performance } from 'node:perf_hooks'
import * as assert from 'uvu/assert'
import { runFleet } from '../../src/fleet/index.ts'
import { scripted, sleepMs, names, type Script } from './scripted.ts'

test('the overall deadline returns partial results: running nodes stopped, queued ones never started, all named', async () => {
  const script: Record<string, Script> = {
    n1: { ms: 10 },
    n2: { ms: 10 },
    n3: 'hang',
    n4: 'hang',
    n5: { ms: 10 },
    n6: { ms: 10 },
  }
  const { transport, log } = scripted(script)
  const t0 = performance.now()
  const r = await runFleet(transport, names(6), ['true'], { fanout: 4, deadlineMs: 150, timeoutMs: 10_000 })
  const took = performance.now() - t0
  assert.ok(took >= 145 && took < 400, `returned after ${took.toFixed(1)} ms`) // node timers may fire up to a millisecond early
  assert.is(r.stopped, 'deadline')
  assert.equal(
    r.results.filter((x) => x.ok).map((x) => x.node),
    ['n1', 'n2', 'n5', 'n6'],
  )
  for (const n of ['n3', 'n4']) {
    assert.is(r.get(n)!.error, 'timeout')
    assert.match(r.get(n)!.message!, new RegExp(`^overall deadline of 150 ms: stopped after \\d+ ms on ${n}$`))
  }
  assert.equal(log.aborted.sort(), ['n3', 'n4'])
  await r // idempotent
})

test('spentMs: time already spent (kinspect fleet counts from its start) shortens the overall deadline, with or without begin()', async () => {
  const { transport } = scripted({ n1: 'hang', n2: { ms: 10 } })
  const t0 = performance.now()
  const r = await runFleet(transport, names(2), ['true'], { deadlineMs: 400, spentMs: 300, timeoutMs: 10_000 })
  const took = performance.now() - t0
  assert.ok(took >= 95 && took < 300, `returned after ${took.toFixed(1)} ms, expected about 100`)
  assert.match(r.get('n1')!.message!, /^overall deadline of 400 ms: stopped after \d+ ms on n1$/)
  assert.ok(r.get('n2')!.ok)
  transport.begin = async () => void (await sleepMs(50))
  const t1 = performance.now()
  const past = await runFleet(transport, names(2), ['true'], { deadlineMs: 400, spentMs: 379.5 }) // not whole ms
  assert.ok(performance.now() - t1 < 200, `took ${performance.now() - t1} ms`)
  assert.equal(
    past.results.map((x) => x.error),
    ['timeout', 'timeout'],
    'begin ran past what was left of the deadline',
  )
})

test('the overall deadline names the nodes that never got a turn', async () => {
  const { transport } = scripted({ n1: 'hang', n2: 'hang' })
  const r = await runFleet(transport, names(4), ['true'], { fanout: 2, deadlineMs: 80 })
  assert.equal(
    r.results.map((x) => [x.node, x.error, x.startedAtMs === null, x.transport]),
    [
      ['n1', 'timeout', false, 'fake'],
      ['n2', 'timeout', false, 'fake'],
      ['n3', 'timeout', true, ''],
      ['n4', 'timeout', true, ''],
    ],
  )
  assert.is(r.get('n3')!.message, 'overall deadline of 80 ms: n3 never started')
})

test.run()
