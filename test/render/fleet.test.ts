// The fleet renderers: table rows, the summary line, clush -b blocks, failures by class, the progress line and the
// `node: line` form; and the progress line's timing on a terminal (appears late, throttled, cleared at the end).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { inspect } from 'node:util'
import { FleetResult, type FleetNodeResult } from '../../src/fleet/index.ts'
import {
  failureReport,
  fleetRows,
  fleetSummary,
  nodeLines,
  renderFleetErrors,
  renderFleetGroups,
  renderFleetProgress,
  renderFleetResult,
} from '../../src/render/fleet.ts'
import { installPresenters } from '../../src/render/presenters.ts'
import { ProgressLine } from '../../src/repl/fleet.ts'

const ok = (node: string, stdout: string, ms = 120): FleetNodeResult => ({
  node,
  transport: 'ssh',
  ok: true,
  exitCode: 0,
  stdout,
  stderr: '',
  durationMs: ms,
  startedAtMs: 0,
})
const bad = (
  node: string,
  error: FleetNodeResult['error'],
  message: string,
  extra: Partial<FleetNodeResult> = {},
): FleetNodeResult => ({
  node,
  transport: 'ssh',
  ok: false,
  exitCode: null,
  stdout: '',
  stderr: '',
  durationMs: 5000,
  startedAtMs: 0,
  error,
  message,
  ...extra,
})
const result = () =>
  new FleetResult({
    argv: ['uname', '-r'],
    nodes: ['lab-1', 'lab-2', 'lab-3', 'lab-4', 'lab-5'],
    results: [
      ok('lab-1', '6.1.0\n'),
      ok('lab-2', '6.1.0\n'),
      bad('lab-3', 'exit', '`uname -r` on ssh:lab-3 exited 2', { exitCode: 2, stderr: 'uname: bad\nmore\n' }),
      bad('lab-4', 'timeout', '`uname -r` on ssh:lab-4 timed out'),
      {
        ...bad('lab-5', 'timeout', 'overall deadline of 1 s: lab-5 never started'),
        startedAtMs: null,
        transport: '',
        durationMs: 0,
      },
    ],
    ok: false,
    stopped: 'deadline',
    durationMs: 5012,
  })

test('the table: one row per node with VIA, STATUS (ok, exit N, class), TIME and the first output line or the message', () => {
  const { headers, rows } = fleetRows(result())
  assert.equal(headers, ['NODE', 'VIA', 'STATUS', 'TIME', 'OUTPUT'])
  const text = rows.map((r) => r.map((c) => (c && typeof c === 'object' ? c.text : c)))
  assert.equal(text, [
    ['lab-1', 'ssh', 'ok', '0.12 s', '6.1.0'],
    ['lab-2', 'ssh', 'ok', '0.12 s', '6.1.0'],
    ['lab-3', 'ssh', 'exit 2', '5.00 s', 'uname: bad  (+1 line)'],
    ['lab-4', 'ssh', 'timeout', '5.00 s', '`uname -r` on ssh:lab-4 timed out'],
    ['lab-5', '-', 'timeout', '-', 'overall deadline of 1 s: lab-5 never started'],
  ])
  assert.is(
    fleetSummary(result()),
    '`uname -r` on 5 nodes: 2 ok, 3 failed (exit 1, timeout 2) in 5.01 s; stopped at the overall deadline',
  )
})

test('the result prints as summary, table and a pointer to groups() and errors() (through present)', () => {
  installPresenters()
  const text = inspect(result(), { colors: false })
  assert.equal(text.split('\n')[0], fleetSummary(result()))
  assert.match(text, /^NODE +VIA +STATUS +TIME +OUTPUT$/m)
  assert.match(text, /^\.groups\(\) gathers identical outputs; \.errors\(\) lists the failures by class$/m)
  assert.is(inspect(result().groups(), { colors: false }), renderFleetGroups(result().groups()))
  assert.is(inspect(result().errors(), { colors: false }), renderFleetErrors(result().errors()))
  assert.is(renderFleetResult(result()), text)
})

test('groups print as clush -b blocks: a rule, the node set with its count (and exit or class), the output once', () => {
  assert.is(
    renderFleetGroups(result().groups()),
    [
      '-'.repeat(15),
      'lab-[1-2] (2)',
      '-'.repeat(15),
      '6.1.0',
      '-'.repeat(21),
      'lab-[4-5] (2) timeout',
      '-'.repeat(21),
      '-'.repeat(16),
      'lab-3 (1) exit 2',
      '-'.repeat(16),
      'uname: bad\nmore',
    ].join('\n'),
  )
  assert.is(renderFleetGroups([]), 'no results')
})

test('errors print one line per class with its node set, the messages (with their nodes when they differ) and the hint', () => {
  assert.is(
    renderFleetErrors(result().errors()),
    [
      'timeout (2): lab-[4-5]',
      '  `uname -r` on ssh:lab-4 timed out  [lab-4]',
      '  overall deadline of 1 s: lab-5 never started  [lab-5]',
      'exit (1): lab-3',
      '  `uname -r` on ssh:lab-3 exited 2',
    ].join('\n'),
  )
  assert.match(
    failureReport(result(), result().errors()),
    /^3 of 5 nodes failed: lab-\[3-5\]\n {2}timeout \(2\): lab-\[4-5\]/,
  )
  assert.is(
    failureReport(new FleetResult({ argv: ['x'], nodes: ['a'], results: [ok('a', '')], ok: true, durationMs: 1 }), []),
    '',
  )
})

test('progress and node lines', () => {
  assert.is(
    renderFleetProgress({ total: 100, done: 41, failed: 3, running: 56, queued: 0, elapsedMs: 1234 }),
    'fleet: 41 done · 56 running · 3 failed of 100 (1.23 s)',
  )
  assert.is(
    renderFleetProgress({ total: 100, done: 1, failed: 0, running: 64, queued: 35, elapsedMs: 10 }),
    'fleet: 1 done · 64 running · 0 failed · 35 queued of 100 (0.01 s)',
  )
  assert.equal(nodeLines(result().results[2]), { stdout: [], stderr: ['lab-3: uname: bad', 'lab-3: more'] })
  assert.equal(nodeLines(ok('lab-1', 'a\nb\n')).stdout, ['lab-1: a', 'lab-1: b'])
})

test('the progress line waits 300 ms, redraws at most every 100 ms and clears itself when nothing runs', () => {
  let now = 0
  const out: string[] = []
  const line = new ProgressLine((t) => out.push(t), { color: false, now: () => now })
  const p = (elapsedMs: number, running = 5, queued = 0) => ({
    total: 10,
    done: 10 - running - queued,
    failed: 0,
    running,
    queued,
    elapsedMs,
  })
  line.update(p(100))
  assert.equal(out, [])
  now = 400
  line.update(p(400))
  now = 450
  line.update(p(450)) // throttled
  now = 520
  line.update(p(520, 2))
  assert.equal(out, [
    '\r\u001b[Kfleet: 5 done · 5 running · 0 failed of 10 (0.40 s)',
    '\r\u001b[Kfleet: 8 done · 2 running · 0 failed of 10 (0.52 s)',
  ])
  line.update(p(600, 0))
  assert.is(out[out.length - 1], '\r\u001b[K')
  line.clear() // nothing shown: nothing written
  assert.is(out.length, 3)
})

test.run()
