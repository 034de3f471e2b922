// npm test's property seeds (run-seed.ts, property-seed.ts): per file and per commit, the same cases drawn again.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawnSync } from 'node:child_process'
import path from 'node:path'
import { fileSeed, seedBase, seedEnv } from './run-seed.ts'

const root = path.resolve(import.meta.dirname, '..')
const COMMIT = '244ae7072b54b0e1ee3c5d6d0b4b1c3f4e5a6b7c'

/** What fast-check draws in a test process started as test/run.ts starts one, with this environment. */
function draws(env: NodeJS.ProcessEnv): number[] {
  const code = "import fc from 'fast-check'; console.log(JSON.stringify(fc.sample(fc.integer(), 8)))"
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', '--import', path.join(root, 'test/property-seed.ts'), '--input-type=module', '-e', code],
    { cwd: root, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 60_000 },
  )
  assert.is(r.status, 0, r.stderr)
  return JSON.parse(r.stdout)
}

test('one seed per file and commit: the same pair gives the same seed, another file or commit another one', () => {
  const a = fileSeed(COMMIT, 'test/repl/redact-property.test.ts')
  assert.ok(Number.isInteger(a) && a >= -(2 ** 31) && a < 2 ** 31, String(a))
  assert.is(fileSeed(COMMIT, 'test/repl/redact-property.test.ts'), a)
  assert.is.not(fileSeed(COMMIT, 'test/render/redact-robust.test.ts'), a)
  assert.is.not(fileSeed(COMMIT.replace('2', '3'), 'test/repl/redact-property.test.ts'), a)
})

test('the base: the commit by default; KINSPECT_PROPERTY_SEED=random draws fresh seeds, a number replays one', () => {
  const head = spawnSync('git', ['rev-parse', 'HEAD'], { cwd: root, encoding: 'utf8' }).stdout.trim()
  assert.is(seedBase(root, {}).base, head)
  assert.match(seedBase(root, {}).said, head.slice(0, 12))
  assert.equal(seedBase(root, { KINSPECT_PROPERTY_SEED: 'random' }), { said: 'random (KINSPECT_PROPERTY_SEED=random)' })
  assert.equal(seedEnv(undefined, 'test/x.test.ts', {}), {})
  assert.equal(seedEnv('-1072027619', 'test/x.test.ts', {}), {
    KINSPECT_PROPERTY_SEED: '-1072027619',
    KINSPECT_FUZZ_SEED: '-1072027619',
  })
  const own = seedEnv(COMMIT, 'test/fuzz/dns.test.ts', { KINSPECT_FUZZ_SEED: '7' })
  assert.equal(own, {
    KINSPECT_PROPERTY_SEED: String(fileSeed(COMMIT, 'test/fuzz/dns.test.ts')),
    KINSPECT_FUZZ_SEED: '7',
  })
})

test("a test process draws fast-check's cases from its seed: the same seed twice, the same cases; none, fresh ones", () => {
  const seeded = seedEnv(COMMIT, 'test/repl/redact-property.test.ts', {})
  const one = draws(seeded)
  assert.equal(draws(seeded), one)
  assert.not.equal(draws({ KINSPECT_PROPERTY_SEED: String(Number(seeded.KINSPECT_PROPERTY_SEED) + 1) }), one)
  const free = [draws({ KINSPECT_PROPERTY_SEED: '' }), draws({ KINSPECT_PROPERTY_SEED: '' })]
  assert.not.equal(free[0], free[1])
})

test.run()
