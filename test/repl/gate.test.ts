// Which inputs wait for session.load() (src/repl/gate.ts): pure input runs at once (kinspect -e 1 loads no cluster
// client), anything that can reach the session waits, and the shell honours it: load() is called for the second kind only.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { PassThrough } from 'node:stream'
import { needsSession } from '../../src/repl/gate.ts'
import { GLOBALS } from '../../src/repl/context.ts'
import { startRepl } from '../../src/repl/index.ts'
import { fakeSession } from './fake.ts'

test('pure input does not wait: literals, arithmetic, JS built-ins, the pure globals, names inside literals', () => {
  for (const code of [
    '1',
    'Math.max(2, 3) + JSON.stringify({ a: [1] }).length',
    "searchCandidates('web', { search: ['shop.svc.cluster.local'], ndots: 5 }, 'glibc')",
    "q({ a: 1 }, 'a')",
    "parseQuantity('250m')",
    "'pods() and node(x) in a string'",
    '// pods() in a comment',
    '`session in a template`',
    '/pods|node/.test("x")',
    'const x = 1; x + 1',
  ])
    assert.is(needsSession(code), false, code)
})

test('every global that is not marked pure makes input wait, called or only named', () => {
  const gated = GLOBALS.filter((g) => !g.pure).map((g) => g.name)
  for (const name of ['pods', 'node', 'fleet', 'session', 'dnsQuery', 'describe']) assert.ok(gated.includes(name), name)
  for (const name of gated) {
    assert.is(needsSession(`await ${name}()`), true, name)
    assert.is(needsSession(`const f = ${name}`), true, name)
  }
})

test('the ways to reach a global without naming it wait: globalThis, this, eval, Function, escapes, template holes', () => {
  for (const code of [
    "globalThis['po' + 'ds']()",
    'this.pods()',
    "eval('po' + 'ds')",
    "Function('return pods')()",
    "[].constructor.constructor('return pods')()",
    '\\u0070ods()',
    '`${(await pods()).length} pods`',
    "import('node:fs')",
  ])
    assert.is(needsSession(code), true, code)
})

/** A headless shell over a fake session whose load() calls are counted. */
function shellCountingLoads() {
  const session = fakeSession()
  let loads = 0
  session.load = async () => {
    loads++
  }
  const output = new PassThrough()
  let text = ''
  output.on('data', (d) => (text += d))
  const shell = startRepl({ input: new PassThrough(), output, session, headless: true, color: false })
  return { shell, loads: () => loads, text: () => text }
}

test('the shell evaluates pure input without session.load(), and loads before input that needs it', async () => {
  const s = shellCountingLoads()
  const one = await s.shell.evaluate('1 + 1')
  assert.equal([one.ok, one.value, s.loads()], [true, 2, 0])
  await new Promise((r) => setImmediate(r)) // a headless shell does not load in the background either
  assert.is(s.loads(), 0)
  const n = await s.shell.evaluate('(await pods()).length')
  assert.equal([n.ok, n.value, s.loads()], [true, 2, 1])
  s.shell.close()
})

test.run()
