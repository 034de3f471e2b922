// FleetPass on its own (runFleet's tests drive it through FleetRun): the fan-out bound, one result per node in the
// order they arrive, stop() giving every unfinished node its result at once, and nodes joining as they are prepared.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { FleetPass, type PassOptions } from '../../src/fleet/pass.ts'
import type { FleetNodeResult, FleetProgress } from '../../src/fleet/types.ts'
import { scripted, type Script } from './scripted.ts'

function pass(script: Record<string, Script>, o: Partial<PassOptions> = {}) {
  const { transport, log } = scripted(script)
  const recorded: FleetNodeResult[] = []
  const progress: FleetProgress[] = []
  const p = new FleetPass({
    transport,
    nodes: Object.keys(script),
    argv: ['true'],
    timeoutMs: 5000,
    fanout: 64,
    onRecord: (r) => recorded.push(r),
    onProgress: (x) => progress.push(x),
    ...o,
  })
  return { p, log, recorded, progress }
}

test('at most fanout nodes in flight; each node recorded once, as it arrives', async () => {
  const script = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`n${i}`, { ms: 5 + (i % 3) * 5 }]))
  const { p, log, recorded, progress } = pass(script, { fanout: 3 })
  p.start()
  await p.done
  assert.is(log.peak, 3)
  assert.is(recorded.length, 10)
  assert.equal(new Set(recorded.map((r) => r.node)).size, 10)
  assert.ok(recorded.every((r) => r.ok && r.exitCode === 0))
  assert.equal(progress.at(-1), { ...progress.at(-1)!, total: 10, done: 10, failed: 0, running: 0, queued: 0 })
  assert.ok(
    progress.some((x) => x.running === 3 && x.queued > 0),
    'the counts show a full fan-out with a queue',
  )
})

test('stop(): running nodes are stopped and queued ones never start, each with its class, at once', async () => {
  const { p, log, recorded } = pass({ a: 'hang', b: 'hang', c: { ms: 1 }, d: { ms: 1 } }, { fanout: 2 })
  p.start()
  await new Promise((r) => setTimeout(r, 20))
  p.stop('deadline', 'overall deadline of 20 ms')
  await p.done
  assert.is(p.stopped, 'deadline')
  const by = new Map(recorded.map((r) => [r.node, r]))
  assert.equal([by.get('a')!.error, by.get('b')!.error], ['timeout', 'timeout'])
  assert.match(by.get('a')!.message ?? '', /^overall deadline of 20 ms: stopped after \d+ ms on a$/)
  assert.equal(by.get('c')!.message, 'overall deadline of 20 ms: c never started')
  assert.is(by.get('c')!.startedAtMs, null)
  assert.equal(log.started, ['a', 'b'])
  await Promise.allSettled(p.calls)
  assert.equal(log.aborted.sort(), ['a', 'b'], 'the transports were told to end their commands')
  p.stop('aborted', 'again')
  assert.is(recorded.length, 4, 'a second stop records nothing more')
})

test('with transport.prepare a node starts once it is prepared, in the order they became ready', async () => {
  const { transport, log } = scripted({ slow: { ms: 1 }, fast: { ms: 1 } })
  const delays: Record<string, number> = { slow: 30, fast: 1 }
  transport.prepare = (node: string) => new Promise<void>((r) => setTimeout(r, delays[node]))
  const recorded: string[] = []
  const p = new FleetPass({
    transport,
    nodes: ['slow', 'fast'],
    argv: ['true'],
    timeoutMs: 5000,
    fanout: 64,
    onRecord: (r) => recorded.push(r.node),
    onProgress: () => {},
  })
  p.start()
  await p.done
  assert.equal(log.started, ['fast', 'slow'])
  assert.equal(recorded, ['fast', 'slow'])
})

test('no nodes: done at once', async () => {
  const { p, recorded } = pass({})
  p.start()
  await p.done
  assert.is(recorded.length, 0)
})

test.run()
