// Signals on the session's one cleanup path: handlers over a fake process, then the real CLI sent SIGINT and SIGTERM.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawn, spawnSync } from 'node:child_process'
import { EventEmitter } from 'node:events'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { handleSignals } from '../src/lifecycle.ts'

function plan(o: { busy?: boolean; shutdownMs?: number } = {}) {
  const proc = new EventEmitter()
  const log: string[] = []
  let resolveExit!: (code: number) => void
  const exited = new Promise<number>((r) => (resolveExit = r))
  const h = handleSignals({
    proc,
    onInterrupt: () => (log.push('interrupt'), o.busy === true),
    shutdown: async () => {
      log.push('shutdown')
      await new Promise((r) => setTimeout(r, o.shutdownMs ?? 5))
      log.push('shutdown done')
    },
    say: (t) => log.push(`say ${t}`),
    exit: (code) => (log.push(`exit ${code}`), resolveExit(code)),
    catchErrors: true,
  })
  return { proc, log, exited, h }
}

test('SIGINT while busy interrupts and the process goes on; idle, it shuts down then exits 130', async () => {
  const busy = plan({ busy: true })
  busy.proc.emit('SIGINT')
  assert.equal(busy.log, ['interrupt'])
  assert.is(busy.h.ending, undefined)
  const idle = plan()
  idle.proc.emit('SIGINT')
  assert.is(await idle.exited, 130)
  assert.equal(idle.log, ['interrupt', 'shutdown', 'shutdown done', 'exit 130'])
  assert.is(idle.h.ending, 'SIGINT')
})

test('SIGTERM and SIGHUP end through shutdown (143, 129); a second signal exits at once, saying gc cleans up', async () => {
  const t = plan({ shutdownMs: 200 })
  t.proc.emit('SIGTERM')
  t.proc.emit('SIGINT')
  assert.equal(t.log.slice(0, 3), [
    'shutdown',
    'say kinspect: SIGINT again: exiting without waiting; `kinspect gc` removes node pods left behind (each also ends by its deadline)',
    'exit 130',
  ])
  assert.ok(!t.log.includes('interrupt'), 'a signal during the exit does not interrupt again')
  const hup = plan()
  hup.proc.emit('SIGHUP')
  assert.is(await hup.exited, 129)
})

test('an uncaught error ends through shutdown with exit 1 (scripts); dispose removes every handler', async () => {
  const p = plan()
  p.proc.emit('unhandledRejection', new Error('boom'))
  assert.is(await p.exited, 1)
  assert.equal(p.log.slice(0, 2), ['say error: boom', 'shutdown'])
  const q = plan()
  q.h.dispose()
  for (const ev of ['SIGINT', 'SIGTERM', 'SIGHUP', 'uncaughtException', 'unhandledRejection'])
    assert.is(q.proc.listenerCount(ev), 0, ev)
})

// The real CLI: `kinspect -e` running a local command, sent SIGINT or SIGTERM.
const root = path.resolve(import.meta.dirname, '..')
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kinspect-life-'))
test.after(() => fs.rmSync(tmp, { recursive: true, force: true }))
const procs = (marker: string) => spawnSync('pgrep', ['-f', `^sleep ${marker}$`], { encoding: 'utf8' }).stdout.trim()

for (const [sig, code, marker] of [
  ['SIGINT', 130, '41.25'],
  ['SIGTERM', 143, '42.25'],
] as const) {
  test(`kinspect -e sent ${sig}: the command it ran ends, the process exits ${code} within 2 s`, async () => {
    const child = spawn(
      process.execPath,
      [path.join(root, 'bin/kinspect.mjs'), '-e', `await node('local').$\`sleep ${marker}\``],
      {
        env: { PATH: process.env.PATH, HOME: tmp, KUBECONFIG: '/nonexistent', NO_COLOR: '1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    )
    let err = ''
    child.stderr.on('data', (d) => (err += d))
    const exited = new Promise<number | null>((r) => child.on('exit', (c) => r(c)))
    for (let i = 0; i < 100 && !procs(marker); i++) await new Promise((r) => setTimeout(r, 100))
    assert.ok(procs(marker), `sleep ${marker} never started: ${err}`)
    const t0 = Date.now()
    child.kill(sig)
    const got = await exited
    assert.is(got, code, err)
    assert.ok(Date.now() - t0 < 2000, `exit took ${Date.now() - t0} ms`)
    assert.is(procs(marker), '', 'the command was left running')
  })
}

test('the REPL on piped stdin sent SIGINT while busy: the command ends, the prompt comes back, the next line runs', async () => {
  const marker = '43.25'
  const child = spawn(process.execPath, [path.join(root, 'bin/kinspect.mjs')], {
    env: { PATH: process.env.PATH, HOME: tmp, KUBECONFIG: '/nonexistent', NO_COLOR: '1' },
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  let out = ''
  child.stdout.on('data', (d) => (out += d))
  child.stderr.on('data', (d) => (out += d))
  const exited = new Promise<number | null>((r) => child.on('exit', (c) => r(c)))
  child.stdin.write(`await node('local').$\`sleep ${marker}\`\n6 * 7\n`)
  for (let i = 0; i < 100 && !procs(marker); i++) await new Promise((r) => setTimeout(r, 100))
  assert.ok(procs(marker), `sleep ${marker} never started: ${out}`)
  const t0 = Date.now()
  child.kill('SIGINT')
  for (let i = 0; i < 40 && !/\b42\b/.test(out); i++) await new Promise((r) => setTimeout(r, 50))
  assert.ok(Date.now() - t0 < 2000, `the prompt came back after ${Date.now() - t0} ms`)
  assert.is(procs(marker), '', 'the command was left running')
  assert.match(out, /error: `sleep 43\.25` on local was aborted/)
  assert.match(out, /> 42\n/)
  child.stdin.end('.exit\n')
  assert.is(await exited, 0, out)
})

test.run()
