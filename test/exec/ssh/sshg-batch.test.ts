// ssh -G through a few sh loops: the record framing, a hung name among quick ones, close() mid-batch.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { SshConfigError } from '../../../src/exec/ssh/sshconfig.ts'
import { takeRecord } from '../../../src/exec/ssh/sshg-batch.ts'
import { findSsh, SshG } from '../../../src/exec/ssh/sshg.ts'

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kinspect-sshg-batch-'))
const ssh = findSsh()!
const M = 'kinspect-0123456789abcdef'
// ssh runs Match exec with $SHELL; the tests fix it so they do not depend on the caller's (an empty one fails them).
const env = { ...process.env, SHELL: '/bin/sh' }

test('takeRecord: a record is whole only once its closing marker arrived, wherever the chunks split it', () => {
  const stream =
    `user a\nhostname h1\n\n${M} 0 0\n\n${M}\n` + `\n${M} 1 255\n/cfg line 2: Bad configuration option: bogus\n\n${M}\n`
  for (let cut = 0; cut <= stream.length; cut++) {
    let buf = ''
    const got: unknown[] = []
    for (const chunk of [stream.slice(0, cut), stream.slice(cut)]) {
      buf += chunk
      for (let r = takeRecord(buf, M); r; r = takeRecord(buf, M)) {
        buf = r.rest
        got.push({ index: r.index, code: r.code, stdout: r.stdout, stderr: r.stderr })
      }
    }
    assert.equal(
      got,
      [
        { index: 0, code: 0, stdout: 'user a\nhostname h1\n', stderr: '' },
        { index: 1, code: 255, stdout: '', stderr: '/cfg line 2: Bad configuration option: bogus\n' },
      ],
      `split at ${cut}`,
    )
    assert.is(buf, '')
  }
})

const sleeping = (tag: string) =>
  spawnSync('pgrep', ['-f', `sleep ${tag}`], { encoding: 'utf8' })
    .stdout.split('\n')
    .filter(Boolean)

test('a name whose Match exec hangs times out alone: the loop and what it started are ended, the rest still resolve', async () => {
  const cfg = path.join(tmp, 'hang.conf')
  fs.writeFileSync(cfg, 'Match host slow exec "sleep 31.73"\n  User never\nHost *\n  User u\n  Port 2200\n')
  const g = new SshG([{ text: fs.readFileSync(cfg, 'utf8'), path: cfg }], {
    ssh,
    env,
    concurrency: 2,
    timeoutMs: 700,
  })
  try {
    const names = ['a1', 'a2', 'slow', 'a3', 'a4', 'a5', 'a6']
    const out = await Promise.allSettled(names.map((n) => g.resolve(n)))
    const slow = out[2]
    assert.is(slow.status, 'rejected')
    const e = (slow as PromiseRejectedResult).reason
    assert.instance(e, SshConfigError)
    assert.match(e.message, /^ssh -G slow did not finish within 700 ms$/)
    assert.match(e.hint, /Match exec/)
    for (const [i, r] of out.entries())
      if (i !== 2) assert.equal(r.status === 'fulfilled' && [r.value.user, r.value.port], ['u', 2200], names[i])
    assert.equal(sleeping('31.73'), [], 'the Match exec command was ended with its loop')
  } finally {
    g.close()
  }
})

test('close() mid-batch ends the loops and fails what had not answered', async () => {
  const cfg = path.join(tmp, 'close.conf')
  fs.writeFileSync(cfg, 'Match exec "sleep 32.41"\n  User never\n')
  const g = new SshG([{ text: fs.readFileSync(cfg, 'utf8'), path: cfg }], { ssh, env, concurrency: 1 })
  const p = Promise.allSettled([g.resolve('n1'), g.resolve('n2')])
  await new Promise((r) => setTimeout(r, 300))
  // One process, or two where the shell ssh runs Match exec with (dash, run as /bin/dash) forks the command.
  assert.ok(sleeping('32.41').length >= 1, 'the first name is being resolved')
  g.close()
  const out = await p
  assert.equal(
    out.map((r) => r.status),
    ['rejected', 'rejected'],
  )
  assert.match(String((out[0] as PromiseRejectedResult).reason.message), /ended early|closed/)
  await new Promise((r) => setTimeout(r, 100))
  assert.equal(sleeping('32.41'), [])
})

test.after(() => fs.rmSync(tmp, { recursive: true, force: true }))
test.run()
