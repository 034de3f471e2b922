// runFleet's scheduling, deadlines, cancellation and streaming, over a scripted transport (no network): each node
// answers after a set time with a set outcome, and the transport records what it was asked and when it was stopped.
import { test } from 'uvu'
import { inspect } from 'node:util'
import { performance } from 'node:perf_hooks'
import * as assert from 'uvu/assert'
import { ExecError } from '../../src/exec/types.ts'
import { FleetError, FleetRun, runFleet, type FleetNodeResult, type FleetProgress } from '../../src/fleet/index.ts'
import { scripted, sleepMs, names, type Script } from './scripted.ts'

const exitErr = (node: string, code: number, stdout = '') =>
  new ExecError(
    'exit',
    { target: `fake:${node}`, argv: ['x'], exitCode: code, stdout, stderr: 'boom\n' },
    `x on ${node} exited ${code}`,
  )

test('every node runs once; results come back in node order with ok, exit code, output and transport', async () => {
  const { transport, log } = scripted({ b: { ms: 5, out: 'B\n' }, c: { ms: 1, fail: exitErr('c', 3, 'partial\n') } })
  const r = await runFleet(transport, ['a', 'b', 'c'], ['uptime'])
  assert.equal(log.started.sort(), ['a', 'b', 'c'])
  assert.equal(r.nodes, ['a', 'b', 'c'])
  assert.equal(
    r.results.map((x) => [x.node, x.ok, x.exitCode, x.stdout, x.error ?? null, x.transport]),
    [
      ['a', true, 0, 'a\n', null, 'fake'],
      ['b', true, 0, 'B\n', null, 'fake'],
      ['c', false, 3, 'partial\n', 'exit', 'fake'],
    ],
  )
  assert.is(r.get('c')!.stderr, 'boom\n')
  assert.is(r.ok, false)
  assert.is(r.stopped, undefined)
  assert.equal(
    r.failed.map((x) => x.node),
    ['c'],
  )
})

test('fanout caps the nodes in flight; a slow node never holds back the others beyond its own slot', async () => {
  const script: Record<string, Script> = Object.fromEntries(names(40).map((n) => [n, { ms: 20 }]))
  script.n1 = { ms: 400 }
  const { transport, log } = scripted(script)
  const t0 = performance.now()
  const r = await runFleet(transport, names(40), ['true'], { fanout: 8 })
  const at = (n: string) => r.get(n)!.startedAtMs! + r.get(n)!.durationMs
  assert.is(log.peak, 8)
  assert.ok(r.ok)
  // 39 fast nodes through 7 free slots: 6 waves of 20 ms, all done long before the slow node.
  const lastFast = Math.max(...names(40).slice(1).map(at))
  assert.ok(lastFast < 300, `the fast nodes finished at ${lastFast.toFixed(0)} ms, behind the slow one`)
  assert.ok(performance.now() - t0 >= 390)
})

test('a node that hangs is marked timeout at its own timeout, which starts at its turn, and is stopped', async () => {
  const { transport, log } = scripted({ n1: 'hang', n2: { ms: 150 }, n3: 'hang' })
  const r = await runFleet(transport, ['n1', 'n2', 'n3'], ['sleep', '9'], { timeoutMs: 200, fanout: 2 })
  assert.equal(log.timeouts.get('n3'), 200)
  const n1 = r.get('n1')!
  const n3 = r.get('n3')!
  assert.is(n1.error, 'timeout')
  assert.match(n1.message!, /^`sleep 9` on n1 did not finish within its 200 ms timeout; it is stopped on the node$/)
  assert.ok(n1.durationMs >= 200 && n1.durationMs < 400, `${n1.durationMs}`)
  // n3 waited for n2's slot (150 ms), then got its full 200 ms.
  assert.ok(n3.startedAtMs! >= 140, `n3 started at ${n3.startedAtMs}`)
  assert.ok(n3.durationMs >= 200, `n3 ran ${n3.durationMs} ms`)
  assert.equal(log.aborted.sort(), ['n1', 'n3'])
  assert.ok(r.get('n2')!.ok)
})

test('prepare() runs before a node starts, outside its timeout; nodes start as they become ready; the deadline counts it', async () => {
  const { transport, log } = scripted({ a: { ms: 30 }, b: { ms: 30 }, c: { ms: 30 } })
  const prepareMs: Record<string, number> = { a: 150, b: 20, c: 120 }
  const prepared: string[] = []
  transport.prepare = async (node) => {
    prepared.push(node)
    await sleepMs(prepareMs[node])
  }
  const r = await runFleet(transport, ['a', 'b', 'c'], ['true'], { timeoutMs: 80 })
  assert.equal(prepared, ['a', 'b', 'c'])
  assert.ok(r.ok, JSON.stringify(r.errors()))
  assert.equal(log.started, ['b', 'c', 'a'], 'started in the order they became ready')
  for (const x of r.results) assert.ok(x.startedAtMs! >= prepareMs[x.node] - 5, `${x.node} started at ${x.startedAtMs}`)
  // b is ready and done within 50 ms; a and c are still preparing at the deadline (margins wide enough for a busy CI)
  Object.assign(prepareMs, { a: 600, c: 500 })
  const late = await runFleet(transport, ['a', 'b', 'c'], ['true'], { deadlineMs: 250 })
  assert.equal(
    late.results.map((x) => [x.node, x.ok ? 'ok' : x.message]),
    [
      ['a', 'overall deadline of 250 ms: a never started'],
      ['b', 'ok'],
      ['c', 'overall deadline of 250 ms: c never started'],
    ],
  )
  // a preparation that fails lets run() report the problem
  transport.prepare = async () => {
    throw new Error('no config')
  }
  assert.ok((await runFleet(transport, ['a'], ['true'])).ok)
})

test('begin() sees every node once before any starts, outside their timeouts; the overall deadline and an abort count it', async () => {
  const { transport, log } = scripted({ a: { ms: 30 }, b: { ms: 30 } })
  const seen: string[][] = []
  transport.begin = async (nodes) => {
    seen.push([...nodes])
    assert.equal(log.started, [], 'no node started during begin')
    await sleepMs(120)
  }
  const r = await runFleet(transport, ['a', 'b'], ['true'], { timeoutMs: 80 })
  assert.equal(seen, [['a', 'b']])
  assert.ok(r.ok, JSON.stringify(r.errors()))
  for (const x of r.results)
    assert.ok(x.startedAtMs! >= 0 && x.durationMs < 80, `${x.node}: its timeout did not count begin`)
  // a begin that fails lets the nodes run (run() reports what goes wrong on each)
  transport.begin = async () => {
    throw new Error('no DaemonSet')
  }
  assert.ok((await runFleet(transport, ['a', 'b'], ['true'])).ok)
  // the overall deadline counts begin: 150 ms of begin with a 100 ms deadline leaves nothing to run
  transport.begin = async () => void (await sleepMs(150))
  const t0 = performance.now()
  const late = await runFleet(transport, ['a', 'b'], ['true'], { deadlineMs: 100 })
  assert.ok(performance.now() - t0 < 260, `took ${performance.now() - t0} ms`)
  assert.equal(
    late.results.map((x) => x.error),
    ['timeout', 'timeout'],
  )
  // an abort during begin stops waiting for it
  const ac = new AbortController()
  transport.begin = async () => void (await sleepMs(5000))
  setTimeout(() => ac.abort(), 50)
  const t1 = performance.now()
  const aborted = await runFleet(transport, ['a', 'b'], ['true'], { signal: ac.signal })
  assert.ok(performance.now() - t1 < 1000)
  assert.equal(
    aborted.results.map((x) => x.error),
    ['aborted', 'aborted'],
  )
})

test('a transport error within the timeout keeps its own class and words (a connection that never came)', async () => {
  const connect = new ExecError(
    'timeout',
    { target: 'fake:n1', argv: ['true'], exitCode: 124 },
    '`true` on ssh:n1 timed out after 200 ms before it could start (connecting or waiting for a free channel)',
    'check that the node answers SSH',
  )
  const { transport } = scripted({ n1: { ms: 200, fail: connect } })
  const r = await runFleet(transport, ['n1'], ['true'], { timeoutMs: 200 })
  assert.is(r.results[0].error, 'timeout')
  assert.match(r.results[0].message!, /before it could start/)
  assert.is(r.results[0].hint, 'check that the node answers SSH')
})

test('an abort (Ctrl-C) marks the unfinished nodes aborted at once and stops every running transport call', async () => {
  const { transport, log } = scripted({ n1: { ms: 5 }, n2: 'hang', n3: 'hang', n4: 'hang' })
  const ac = new AbortController()
  const run = runFleet(transport, names(4), ['sleep', '60'], { signal: ac.signal, fanout: 3 })
  setTimeout(() => ac.abort(), 60)
  const r = await run
  await run.settled
  assert.is(r.stopped, 'aborted')
  assert.equal(
    r.results.map((x) => [x.node, x.ok ? 'ok' : x.error]),
    [
      ['n1', 'ok'],
      ['n2', 'aborted'],
      ['n3', 'aborted'],
      ['n4', 'aborted'],
    ],
  )
  assert.equal(log.aborted.sort(), ['n2', 'n3', 'n4'].filter((n) => log.started.includes(n)).sort())
  assert.is(log.inFlight, 0)
})

test('cancel() does what an abort does; a signal already aborted starts nothing', async () => {
  const { transport, log } = scripted({ n1: 'hang' })
  const run = runFleet(transport, ['n1'], ['true'])
  setTimeout(() => run.cancel(), 20)
  assert.is((await run).results[0].error, 'aborted')
  const pre = scripted({})
  const r = await runFleet(pre.transport, ['a', 'b'], ['true'], { signal: AbortSignal.abort() })
  assert.equal(pre.log.started, [])
  assert.equal(
    r.results.map((x) => x.message),
    ['interrupted: a never started', 'interrupted: b never started'],
  )
  assert.equal(log.aborted, ['n1'])
})

test('results stream in arrival order (async iterator and onResult), while the awaited result keeps node order', async () => {
  const { transport } = scripted({ a: { ms: 60 }, b: { ms: 5 }, c: { ms: 30 } })
  const seen: string[] = []
  const run = runFleet(transport, ['a', 'b', 'c'], ['true'], { onResult: (r) => seen.push(r.node) })
  const streamed: string[] = []
  for await (const r of run) streamed.push(r.node)
  assert.equal(streamed, ['b', 'c', 'a'])
  assert.equal(seen, ['b', 'c', 'a'])
  assert.equal((await run).nodes, ['a', 'b', 'c'])
  // a second iterator after the end replays every result
  const again: FleetNodeResult[] = []
  for await (const r of run) again.push(r)
  assert.is(again.length, 3)
})

test('progress counts done / running / failed / queued as nodes start and end', async () => {
  const { transport } = scripted({ n1: { ms: 5 }, n2: { ms: 5, fail: exitErr('n2', 1) }, n3: { ms: 30 } })
  const seen: FleetProgress[] = []
  const run = runFleet(transport, names(3), ['true'], { fanout: 2, onProgress: (p) => seen.push(p) })
  assert.equal({ ...run.progress, elapsedMs: 0 }, { total: 3, done: 0, failed: 0, running: 0, queued: 3, elapsedMs: 0 })
  await run
  assert.ok(
    seen.some((p) => p.running === 2 && p.queued === 1),
    JSON.stringify(seen),
  )
  const last = seen[seen.length - 1]
  assert.equal({ ...last, elapsedMs: 0 }, { total: 3, done: 2, failed: 1, running: 0, queued: 0, elapsedMs: 0 })
  assert.equal({ ...run.progress, elapsedMs: 0 }, { ...last, elapsedMs: 0 })
})

test('a run not yet awaited prints as its command and progress', async () => {
  const { transport } = scripted({ a: { ms: 30 } })
  const run = runFleet(transport, ['a', 'b'], ['uname', '-r'])
  assert.is(inspect(run), 'FleetRun(`uname -r`: 0 done, 0 running, 0 failed, 2 queued of 2; await it for the result)')
  await run
  assert.is(inspect(run), 'FleetRun(`uname -r`: 2 done, 0 running, 0 failed, 0 queued of 2; await it for the result)')
})

test('bad arguments are refused before anything runs, naming the argument', async () => {
  const { transport, log } = scripted({})
  const fails = async (p: FleetRun, re: RegExp) => {
    try {
      await p
    } catch (e) {
      assert.instance(e, FleetError)
      assert.match((e as Error).message, re)
      return
    }
    assert.unreachable('expected a FleetError')
  }
  await fails(runFleet(transport, ['a'], [], {}), /^argv: expected a non-empty array of strings/)
  await fails(runFleet(transport, ['a', 'a'], ['x']), /^nodes: a is listed twice$/)
  await fails(
    runFleet(transport, ['a'], ['x'], { fanout: 0 }),
    /^fanout: expected a positive whole number, received number 0$/,
  )
  await fails(
    runFleet(transport, ['a'], ['x'], { timeoutMs: -1 }),
    /^timeoutMs: expected a positive number of milliseconds, received number -1$/,
  )
  await fails(
    runFleet(transport, ['a'], ['x'], { deadlineMs: 10, spentMs: -1 }),
    /^spentMs: expected a number of milliseconds >= 0, received number -1$/,
  )
  await fails(
    runFleet(transport, Promise.reject(new FleetError('select', 'no node matches')), ['x']),
    /^no node matches$/,
  )
  assert.equal(log.started, [])
  // an empty list is a finished, successful fleet
  const r = await runFleet(transport, [], ['x'])
  assert.equal([r.ok, r.results.length], [true, 0])
})

test('a node selection that fails ends the iterator with the same error', async () => {
  const { transport } = scripted({})
  const run = runFleet(transport, Promise.reject(new FleetError('select', 'no node matches the label selector x=y')), [
    'true',
  ])
  try {
    for await (const r of run) void r
    assert.unreachable()
  } catch (e) {
    assert.match((e as Error).message, 'no node matches the label selector x=y')
  }
})

test.run()
