// The API server failing under an open session: stopped (refused at once) and frozen with SIGSTOP (it accepts TCP and
// never answers). Each API call ends with a clear error within its deadline, the REPL keeps running, node access over
// SSH and plain JavaScript keep working, a new `kinspect -e` exits with the error, and the same session works again
// once the API server is back.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { start, stop, running } from '../lab/components.ts'
import { kubectl } from '../lab/lab.ts'
import { waitFor } from '../lab/sh.ts'
import { Repl, assertClearError, labEnv, measured, runE } from './kit.ts'

const API = 'kube-apiserver'

/** Starts the API server again (if stopped) and waits until it serves /readyz; the time it took. */
async function apiBack(): Promise<number> {
  const t0 = performance.now()
  await start(API)
  await waitFor(
    'kube-apiserver /readyz',
    () => kubectl(['get', '--raw', '/readyz'], { ok: true, timeout: 5000 }).code === 0,
    90_000,
    250,
  )
  return Math.round(performance.now() - t0)
}

/** A REPL whose session has listed pods and run a command on lab-1 (keep-alive sockets open to both). */
async function warmRepl(): Promise<Repl> {
  const r = await Repl.open(labEnv())
  const pods = await r.call('(await pods()).length', 30_000)
  assert.match(pods.text, /^\d+$/, r.all())
  assert.is((await r.call("(await node('lab-1').$`echo reached`).text()", 30_000)).text, "'reached'", r.all())
  return r
}

/** What must keep working while the API server is unusable: SSH to a node, and plain JavaScript. */
async function unaffected(r: Repl): Promise<void> {
  const ssh = await r.call("(await node('lab-1').$`echo reached`).text()", 10_000)
  assert.is(ssh.text, "'reached'", r.all())
  measured("node('lab-1').$`echo reached` with the API server down", ssh.ms)
  assert.is((await r.call('6 * 7', 2000)).text, '42')
}

test('the API server stopped mid-session: pods() fails at once with "refused", SSH still works, the session recovers', async () => {
  const r = await warmRepl()
  try {
    await stopped(r)
  } finally {
    r.kill()
  }
})

/** Stops the API server under the REPL, checks each call, starts it again; the same session lists pods after. */
async function stopped(r: Repl): Promise<void> {
  try {
    await stop(API)
    assert.is(running(API), null)
    const pods = await r.call('(await pods()).length', 10_000)
    assertClearError(pods.text, /refused/, 'pods() with the API server stopped')
    assert.match(pods.text, '10.99.0.1:6443')
    measured('pods() with the API server stopped', pods.ms)
    assert.ok(pods.ms < 5000, `refused should be quick: ${pods.ms} ms`)
    await unaffected(r)
    const e = await runE('(await pods()).length', labEnv())
    assert.is(e.code, 1, e.err)
    assertClearError(e.err.trim(), /refused/, 'kinspect -e pods() with the API server stopped')
    measured('kinspect -e pods() with the API server stopped, start to exit', e.ms)
    assert.ok(e.ms < 15_000, `-e took ${e.ms} ms`)
  } finally {
    measured('the API server back (start + /readyz)', await apiBack())
  }
  const again = await r.call('(await pods()).length', 30_000)
  assert.match(again.text, /^\d+$/, `the same session lists pods again: ${r.all()}`)
  assert.is(await r.exit(), 0, r.all())
}

test('the API server frozen (SIGSTOP): pods() ends with a timeout at its 30 s deadline, SSH still works, the session recovers', async () => {
  const r = await warmRepl()
  try {
    await frozen(r)
  } finally {
    r.kill()
  }
})

/** Freezes the API server under the REPL (and a new -e), checks each call, continues it; the same session lists pods after. */
async function frozen(r: Repl): Promise<void> {
  const pid = running(API)!
  assert.ok(pid, 'the API server runs')
  try {
    process.kill(pid, 'SIGSTOP')
    // A new process started during the freeze, alongside the REPL's call: both wait for the same deadline.
    const e = runE('(await pods()).length', labEnv())
    const pods = await r.call('(await pods()).length', 40_000)
    assertClearError(
      pods.text,
      /timed out talking to https:\/\/10\.99\.0\.1:6443 after 3\d{4} ms/,
      'pods() with the API server frozen',
    )
    measured('pods() with the API server frozen', pods.ms)
    assert.ok(pods.ms >= 29_000 && pods.ms < 35_000, `ends at its 30 s deadline: ${pods.ms} ms`)
    await unaffected(r)
    const ended = await e
    assert.is(ended.code, 1, ended.err)
    assertClearError(
      ended.err.trim(),
      /timed out talking to https:\/\/10\.99\.0\.1:6443 after 3\d{4} ms/,
      'kinspect -e pods() with the API server frozen',
    )
    measured('kinspect -e pods() with the API server frozen, start to exit', ended.ms)
    assert.ok(ended.ms < 40_000, `-e took ${ended.ms} ms`)
  } finally {
    process.kill(pid, 'SIGCONT')
    measured('the API server answering again after SIGCONT', await apiBack())
  }
  const again = await r.call('(await pods()).length', 30_000)
  assert.match(again.text, /^\d+$/, `the same session lists pods again: ${r.all()}`)
  assert.is(await r.exit(), 0, r.all())
}

test('the lab is whole again: the API server answers and runs under its pid file', () => {
  assert.ok(running(API))
  assert.is(kubectl(['get', '--raw', '/readyz'], { ok: true }).code, 0)
})

test.run()
