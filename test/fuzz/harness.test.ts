// The fuzz harness itself: it must catch what it is there to catch (an untyped error, a slow case, a broken invariant),
// count and time every case, and its mutators must produce what they say.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fc from 'fast-check'
import {
  caseBudget,
  CASE_BUDGET_MS,
  figures,
  mutate,
  mutatedJson,
  runCase,
  survey,
  textInput,
  timeBudgetMs,
  type FuzzTarget,
} from './harness.ts'

class Typed extends Error {}
/**
 * Spins until both `ms` of wall time passed and this process used `ms` of CPU. CPU alone is not enough: it counts every
 * thread of the process, so a GC thread busy at the same time ended the spin early, under 50 ms of wall time (a CI
 * run failed so).
 */
const busy = (ms: number) => {
  const t0 = performance.now()
  const c0 = process.cpuUsage()
  const cpuMs = () => {
    const c = process.cpuUsage(c0)
    return (c.user + c.system) / 1000
  }
  while (performance.now() - t0 < ms || cpuMs() < ms);
}

test('runCase: the typed error passes, any other error, a slow parse or a broken invariant fails', () => {
  const base: FuzzTarget<string> = {
    name: 't',
    input: fc.string(),
    run: (s) => s.length,
    expected: (e) => e instanceof Typed,
  }
  assert.is(runCase(base, 'abc').failure, undefined)
  assert.is(
    runCase(
      {
        ...base,
        run: () => {
          throw new Typed('bad input')
        },
      },
      'x',
    ).failure,
    undefined,
  )
  assert.match(
    runCase(
      {
        ...base,
        run: () => {
          throw new TypeError('x.map is not a function')
        },
      },
      'x',
    ).failure ?? '',
    /^threw TypeError: x\.map is not a function/,
  )
  assert.match(
    runCase(
      {
        ...base,
        expected: undefined,
        run: () => {
          throw new Typed('no error is expected')
        },
      },
      'x',
    ).failure ?? '',
    /^threw Typed/,
  )
  const slow = runCase({ ...base, run: () => busy(CASE_BUDGET_MS + 10) }, 'x')
  assert.match(
    slow.failure ?? '',
    /^took \d+\.\d ms, \d+\.\d ms of CPU \(budget 50 ms, fastest of 5 runs\) on an input of 1 characters$/,
  )
  assert.ok(slow.remeasured)
  assert.match(
    runCase({ ...base, check: (n: number) => assert.ok(n < 2, 'too long') }, 'abc').failure ?? '',
    /^invariant: too long/,
  )
})

test("runCase: a case that waits (not CPU) is not the parser's cost; one slow only on its first run passes too", () => {
  const sleep = new Int32Array(new SharedArrayBuffer(4))
  const waits = runCase(
    { name: 't', input: fc.string(), run: () => Atomics.wait(sleep, 0, 0, CASE_BUDGET_MS + 10) },
    'x',
  )
  assert.equal([waits.failure, waits.remeasured], [undefined, true])

  let calls = 0
  const r = runCase({ name: 't', input: fc.string(), run: () => calls++ === 0 && busy(CASE_BUDGET_MS + 10) }, 'x')
  assert.equal([r.failure, r.remeasured, calls], [undefined, true, 2])
  assert.ok(r.ms > CASE_BUDGET_MS, 'the first run is what the figures show')
})

test('survey: counts every case and every failure, keeps the first failing index and groups failure kinds', () => {
  const t: FuzzTarget<number> = {
    name: 'odd',
    input: fc.integer({ min: 0, max: 9 }),
    run: (n) => n,
    check: (n: number) => assert.ok(n % 2 === 0, `odd ${n}`),
  }
  const s = survey(t, { seed: 42, numRuns: 200 })
  assert.is(s.figures.cases, 200)
  assert.ok(s.figures.failures > 50 && s.figures.failures < 150, String(s.figures.failures))
  assert.is(typeof s.firstFailIndex, 'number')
  assert.equal(
    s.figures.kinds!.map((k) => k.kind),
    ['invariant: odd N'],
  )
  assert.is(s.figures.kinds![0].count, s.figures.failures)
  // replaying the first failing case (same seed, its path) fails again: that is what lets fast-check shrink it
  let shrunk = ''
  try {
    fc.assert(
      fc.property(t.input, (n) => void t.check!(n, n)),
      { seed: 42, path: String(s.firstFailIndex), numRuns: 200 },
    )
  } catch (e) {
    shrunk = /Counterexample: \[(\d+)\]/.exec((e as Error).message)?.[1] ?? ''
  }
  assert.ok(Number(shrunk) % 2 === 1, `replay gave counterexample ${JSON.stringify(shrunk)}`)
})

test('figures: max, p99 and total of the case times', () => {
  const times = Array.from({ length: 100 }, (_, i) => i + 1)
  assert.equal(figures('x', times, 0), {
    name: 'x',
    cases: 100,
    failures: 0,
    maxMs: 100,
    p99Ms: 99,
    totalMs: 5050,
    remeasured: 0,
  })
  assert.equal(figures('x', [], 0).cases, 0)
})

test('budgets: KINSPECT_FUZZ_CASES sets the cases and lifts the time limit; KINSPECT_FUZZ_SECONDS caps time', () => {
  assert.equal([caseBudget({}), timeBudgetMs({})], [1000, 1000])
  assert.equal(
    [caseBudget({ KINSPECT_FUZZ_CASES: '100000' }), timeBudgetMs({ KINSPECT_FUZZ_CASES: '100000' })],
    [100000, undefined],
  )
  assert.is(timeBudgetMs({ KINSPECT_FUZZ_CASES: '5', KINSPECT_FUZZ_SECONDS: '3' }), 3000)
  assert.is(caseBudget({ KINSPECT_FUZZ_CASES: 'lots' }), 1000)
})

test('mutators: each does what it says, and a grown text stays under its cap', () => {
  const t = 'a 1\nb 22\nc 333'
  assert.is(mutate(t, { k: 'drop', line: 1 }), 'a 1\nc 333')
  assert.is(mutate(t, { k: 'dup', line: 4 }), 'a 1\nb 22\nb 22\nc 333') // positions wrap around
  assert.is(mutate(t, { k: 'swap', a: 0, b: 2 }), 'c 333\nb 22\na 1')
  assert.is(mutate(t, { k: 'truncate', at: 5 }), 'a 1\nb')
  assert.is(mutate(t, { k: 'number', which: 1, value: '18446744073709551616' }), 'a 1\nb 18446744073709551616\nc 333')
  assert.is(mutate(t, { k: 'crlf', all: true, line: 0 }), 'a 1\r\nb 22\r\nc 333')
  assert.is(mutate(t, { k: 'flip', at: 0, bit: 0 }), '` 1\nb 22\nc 333')
  assert.is(mutate(t, { k: 'widen', line: 2, times: 4, tail: '\r' }), 'a 1\nb 22\nc    333\r')
  assert.is(mutate(t, { k: 'flood', at: 0, frag: 1, times: 3, sep: ' ' }, ['x', 'HEADER']), `HEADER HEADER HEADER ${t}`)
  assert.is(mutate(t, { k: 'repeat', at: 0, len: 2, times: 1e6 }, [], 100).length, 100 - ((100 - t.length) % 2))
  fc.assert(fc.property(textInput(['x'.repeat(2000), 'y y\n'], 3000), (s) => s.length <= 3000))
})

test('mutatedJson: every case is JSON, most of them differ from the seed', () => {
  const seed = JSON.stringify({ items: [{ a: 1 }, { b: [2, 3] }, { c: 'x' }], n: 5 })
  const xs = fc.sample(mutatedJson([seed]), { numRuns: 200, seed: 7 })
  for (const x of xs) JSON.parse(x)
  assert.ok(xs.filter((x) => JSON.stringify(JSON.parse(x)) !== seed).length > 150)
})

test.run()
