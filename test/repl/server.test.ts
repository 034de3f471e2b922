// The parts startRepl wires onto node:repl that stand alone: history written as lines are entered (never a line that
// holds a secret), process-wide errors caught and released, and a line printed above the prompt.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { PassThrough } from 'node:stream'
import { Notebook } from '../../src/repl/notebook.ts'
import { catchProcessErrors, installHistory, printAboveInput, replServer } from '../../src/repl/server.ts'

function server() {
  const input = new PassThrough()
  const output = new PassThrough()
  let text = ''
  output.on('data', (d) => (text += d))
  const s = replServer({ input, output, prompt: '> ', terminal: false, color: false, write: (v) => `<${String(v)}>` })
  return { s, input, text: () => text }
}

test('replServer: results go through write; undefined is not echoed', async () => {
  const { s, input, text } = server()
  input.write('1 + 1\nundefined\n')
  await new Promise((r) => setTimeout(r, 50))
  assert.match(text(), /<2>/)
  assert.not.match(text(), /undefined/)
  s.close()
})

test('installHistory: entered lines are appended, a line holding a secret never is', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kinspect-hist-'))
  const file = path.join(dir, 'history')
  const { s, input } = server()
  installHistory(s, file, false, new Notebook())
  input.write('1 + 2\nconst t = "Bearer abcdefghijklmnopqrstuvwxyz0123456789"\n3\n')
  await new Promise((r) => setTimeout(r, 50))
  s.close()
  assert.is(fs.readFileSync(file, 'utf8'), '1 + 2\n3\n')
  assert.is(fs.statSync(file).mode & 0o777, 0o600)
  fs.rmSync(dir, { recursive: true })
})

test('catchProcessErrors: an unhandled rejection is reported, not fatal; the undo removes the handlers', () => {
  const seen: unknown[] = []
  const report = (e: unknown) => void seen.push(e)
  const undo = catchProcessErrors(report)
  const installed = (ev: 'unhandledRejection' | 'uncaughtException') =>
    process.listeners(ev as 'uncaughtException').includes(report as never)
  assert.ok(installed('unhandledRejection') && installed('uncaughtException'))
  process.emit('unhandledRejection', new Error('lost'), Promise.resolve())
  assert.equal(
    seen.map((e) => (e as Error).message),
    ['lost'],
  )
  undo()
  assert.ok(!installed('unhandledRejection') && !installed('uncaughtException'))
})

test('printAboveInput: without a terminal (or while a command runs) the line is written as it is', () => {
  const written: string[] = []
  const { s } = server()
  printAboveInput('cluster: down', {
    terminal: false,
    busy: false,
    output: new PassThrough(),
    tap: { raw: (t) => void written.push(t) },
    server: s,
  })
  printAboveInput('later', {
    terminal: true,
    busy: true,
    output: new PassThrough(),
    tap: { raw: (t) => void written.push(t) },
    server: s,
  })
  assert.equal(written, ['cluster: down\n', 'later\n'])
  s.close()
})

test.run()
