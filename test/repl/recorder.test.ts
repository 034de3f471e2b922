// The shell's evaluation recorder: what goes to the notebook for each input, and what the taint set learns.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { PassThrough } from 'node:stream'
import { inspect } from 'node:util'
import vm from 'node:vm'
import { OutputTap } from '../../src/repl/io.ts'
import { Notebook } from '../../src/repl/notebook.ts'
import { Recorder, type EvalOutcome } from '../../src/repl/recorder.ts'

function setup(context: object = {}) {
  const out = new PassThrough()
  const tap = new OutputTap(out)
  const notebook = new Notebook()
  const rec = new Recorder(
    tap,
    notebook,
    (v) => inspect(v),
    () => context,
  )
  const print = (value: unknown) => {
    const text = inspect(value)
    rec.printed(value, text)
    out.write(`${text}\n`)
  }
  return { out, tap, notebook, rec, print }
}

test('an input and everything it printed become one notebook cell; done() gets the outcome', () => {
  const { out, notebook, rec } = setup()
  const seen: EvalOutcome[] = []
  rec.begin('console.log("hi")', (o) => seen.push(o))
  assert.ok(rec.busy)
  assert.ok(rec.awaited)
  out.write('hi\n')
  rec.end({ ok: true })
  assert.not.ok(rec.busy)
  assert.equal(notebook.entries, [{ kind: 'code', input: 'console.log("hi")', output: 'hi\n' }])
  assert.equal(seen, [{ ok: true }])
})

test('a printed Secret is written to the notebook redacted by structure; the screen kept the value', () => {
  const { out, notebook, rec, print } = setup()
  let screen = ''
  out.on('data', (d) => (screen += d))
  const secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db' }, data: { pin: 'MTIzNDU2Nzg5' } }
  rec.begin('secret', undefined, true)
  assert.ok(rec.evaluatingCode)
  print(secret)
  rec.end({ ok: true, value: secret })
  assert.match(screen, 'MTIzNDU2Nzg5')
  assert.not.match(notebook.entries[0].kind === 'code' ? notebook.entries[0].output : '', 'MTIzNDU2Nzg5')
  // and the taint set learnt it from the value itself, so a later cell showing it is redacted too
  assert.ok(
    notebook.taint.values().some((v) => v === 'MTIzNDU2Nzg5' || v === '123456789'),
    JSON.stringify(notebook.taint.size),
  )
})

test('a Secret an input bound (not printed) is observed; drop() records nothing', () => {
  const ctx: Record<string, unknown> = vm.createContext({})
  const { notebook, rec } = setup(ctx)
  rec.begin('const s = await secret("db")')
  ctx.s = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db' }, data: { apikey: 'c2VjcmV0LWFwaS1rZXk=' } }
  rec.failed(new Error('boom'))
  rec.end({ ok: false, error: new Error('boom') })
  assert.is(notebook.entries.length, 1)
  assert.ok(notebook.taint.values().includes('c2VjcmV0LWFwaS1rZXk='), JSON.stringify(notebook.taint.size))
  rec.begin('if (x) {')
  rec.drop()
  assert.not.ok(rec.busy)
  rec.end({ ok: true })
  assert.is(notebook.entries.length, 1)
})

test.run()
