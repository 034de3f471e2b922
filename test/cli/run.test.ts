// The subcommands that run on a session (src/cli/run.ts), through main() as a user runs them: -e, a notebook file, a
// script file, and how -e input is awaited.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { main } from '../../src/cli.ts'
import { awaitExpression } from '../../src/cli/run.ts'
import { cliSandbox } from './sandbox.ts'

const root = path.resolve(import.meta.dirname, '../..')
const { tmp, env, io, cleanup } = cliSandbox('kinspect-cli-run-')

test('main -e: prints the value; a cluster call without kubeconfig fails with error and hint', async () => {
  const ok = io()
  assert.is(await main(['-e', '[1, 2].map(x => x * 21)'], ok), 0)
  assert.is(ok.out(), '[ 21, 42 ]\n')
  const fail = io()
  assert.is(await main(['-e', 'await pods()'], fail), 1)
  assert.match(fail.err(), /^error: no kubeconfig found \(looked at \/nonexistent\/kubeconfig via KUBECONFIG\)\nhint: /)
})

test('main FILE.md: runs the js blocks in order; stops with exit 1 at a failing block', async () => {
  const good = path.join(tmp, 'good.md')
  fs.writeFileSync(
    good,
    '# t\n\nsome prose\n\n```js\nconst a = 20\n```\n\n> ```text\n> ignored\n> ```\n\n```js\na + 22\n```\n',
  )
  const g = io()
  assert.is(await main([good], g), 0)
  assert.match(g.out(), '> const a = 20\n')
  assert.match(g.out(), '> a + 22\n42\n')
  const bad = path.join(tmp, 'bad.md')
  fs.writeFileSync(bad, '```js\nnope()\n```\n\n```js\n"never"\n```\n')
  const b = io()
  assert.is(await main([bad], b), 1)
  assert.match(b.err(), 'error: ReferenceError: nope is not defined')
  assert.not.match(b.out(), 'never')
  const none = io()
  assert.is(await main([path.join(tmp, 'missing.md')], none), 1)
  assert.match(none.err(), 'no such file')
})

test('bin/kinspect.mjs FILE.mjs runs a zx-style script with the globals', () => {
  const script = path.join(tmp, 'check.mjs')
  fs.writeFileSync(
    script,
    "const t = [typeof pods, typeof node, typeof q, typeof $, typeof YAML.parse, path.basename('/a/b')]\nconsole.log(t.join(' '))\nconsole.log((await node('local').$`echo from-node`).stdout.trim())\n",
  )
  const r = spawnSync(process.execPath, [path.join(root, 'bin', 'kinspect.mjs'), script], {
    env: { ...env, KINSPECT_FROM_SOURCE: '1' },
    encoding: 'utf8',
    timeout: 60_000,
  })
  assert.is(r.stderr, '')
  assert.is(r.status, 0)
  assert.is(r.stdout, 'function function function function function b\nfrom-node\n')
})

test('awaitExpression: a single expression is awaited, statements are left as written', () => {
  assert.is(awaitExpression('pods()'), 'await (pods()\n)')
  assert.is(awaitExpression('(await pods()).length'), 'await ((await pods()).length\n)')
  assert.is(awaitExpression('const x = 1; x'), 'const x = 1; x')
  assert.is(awaitExpression('1 // comment'), 'await (1 // comment\n)')
})

test.after(cleanup)
test.run()
