// The session's taint set: what it learns from evaluated values and bindings, and that .save and history use it.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import vm from 'node:vm'
import { inspect } from 'node:util'
import { drive, fakeKube, fakeSession } from './fake.ts'
import { boundNames, readBindings, TaintSet } from '../../src/repl/taint.ts'
import { parseNotebook } from '../../src/render/notebook.ts'
import type { KubeApi } from '../../src/session.ts'

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kinspect-taint-'))
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }))
const APIKEY = 'ak-7Hq2xLw9Zp'
const secret = () => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name: 'shop-creds', namespace: 'shop' },
  type: 'Opaque',
  data: { apikey: Buffer.from(APIKEY).toString('base64'), pin: Buffer.from('4321').toString('base64') },
})
function secretSession() {
  const s = fakeSession()
  s.kube = { ...fakeKube(), get: async () => secret() } as unknown as KubeApi
  return s
}

test('TaintSet: values in memory only; inspect and JSON never show them', () => {
  const t = new TaintSet()
  t.add(['tok-Q1w2E3r4T5', '', '  ', 'tok-Q1w2E3r4T5'])
  t.observe(secret())
  assert.is(t.size, 3)
  assert.not.match(inspect(t), 'tok-')
  assert.is(JSON.stringify(t), '{"size":3}')
  assert.ok(t.matcher().forms.includes(APIKEY), 'the decoded apikey is a form')
  assert.is(t.matcher(), t.matcher(), 'the matcher is cached until the set changes')
})

test('boundNames: declarations, destructuring and assignments; nothing from inside strings or comments', () => {
  assert.equal(boundNames("const s = await session.kube.get('secret', 'x')"), ['s'])
  assert.equal(boundNames('let a = 1, b = 2'), ['a', 'b'])
  assert.equal(
    new Set(boundNames('const { data, metadata: { name } } = s; var [x, y] = z')),
    new Set(['data', 'name', 'x', 'y']),
  )
  assert.equal(boundNames('tok = (await x()).token'), ['tok'])
  assert.equal(boundNames("'const hidden = 1' // let c = 2\nf(a == b)"), [])
})

test('readBindings reads const/let/var from a REPL-like context; unknown names and the temporal dead zone are skipped', () => {
  const ctx = vm.createContext({})
  vm.runInContext('const a = { token: "x" }; let b = 2; var c = 3', ctx)
  assert.equal(
    readBindings(ctx, ['a', 'b', 'c', 'nope', 'if']).map((v) => JSON.stringify(v)),
    ['{"token":"x"}', '2', '3', undefined],
  )
})

test('REPL: a Secret only bound (never printed) taints its values: the decoded apikey, its base64 and a retyped copy are hidden', async () => {
  const file = path.join(tmp, 'bound.md')
  const { out } = await drive(
    [
      "const s = await session.kube.get('secret', 'shop-creds')",
      "Buffer.from(s.data.apikey, 'base64').toString()",
      'console.log(s.data.apikey)',
      `const typed = '${APIKEY}'; typed.length`,
      'await node("lab-1").$`echo ${atob(s.data.apikey)}`',
      `.save ${file}`,
    ],
    { session: secretSession() },
  )
  assert.match(out, `'${APIKEY}'`, 'the screen shows the value')
  const md = fs.readFileSync(file, 'utf8')
  assert.not.match(md, APIKEY)
  assert.not.match(md, Buffer.from(APIKEY).toString('base64'))
  assert.match(md, "const s = await session.kube.get('secret', 'shop-creds')")
  assert.match(md, "const typed = '<redacted>'; typed.length")
  assert.match(md, 'ran echo <redacted>')
  for (const b of parseNotebook(md).blocks) new vm.Script(`(async () => {\n${b}\n})`)
  assert.is(fs.statSync(file).mode & 0o777, 0o600)
})

test("REPL: a thrown error's value and a result object teach the taint set too", async () => {
  const file = path.join(tmp, 'errors.md')
  await drive(
    [
      "(() => { const e = new Error('login failed'); e.cause = { password: 'b4sic-Pa55' }; throw e })()",
      "({ user: { token: 'sa-tok.Kx81Lm0Pq7Rs' } }).user.token.length",
      "'b4sic-Pa55 sa-tok.Kx81Lm0Pq7Rs'",
      `.save ${file}`,
    ],
    { session: secretSession() },
  )
  const md = fs.readFileSync(file, 'utf8')
  assert.match(md, "> '<redacted> <redacted>'")
})

test('history: a line typing a value the session has seen is not written', async () => {
  const hist = path.join(tmp, 'history')
  await drive(["const s = await session.kube.get('secret', 'shop-creds')", `login('${APIKEY}')`, '1 + 1'], {
    history: hist,
    session: secretSession(),
  })
  const lines = fs.readFileSync(hist, 'utf8').trim().split('\n')
  assert.equal(lines, ["const s = await session.kube.get('secret', 'shop-creds')", '1 + 1'])
})

test.run()
