// SshPool + SshExec against a real OpenSSH sshd started here (no cluster needed).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawn, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import fc from 'fast-check'
import { NodeHandle } from '../../src/exec/node.ts'
import { SshPool } from '../../src/exec/ssh/pool.ts'
import { ExecError } from '../../src/exec/types.ts'
import { freshPublicKey, startSshd, type Sshd } from './sshd-fixture.ts'

let sshd: Sshd
const pools: SshPool[] = []
const warnings: string[] = []

function pool(extraConfig = '', env: Record<string, string> = {}): SshPool {
  const configs = [
    { text: `${extraConfig}\n${fs.readFileSync(sshd.sshConfig, 'utf8')}`, path: sshd.sshConfig, kind: 'user' as const },
  ]
  const p = new SshPool({ env, configs, onWarn: (m) => warnings.push(m) })
  pools.push(p)
  return p
}
async function rejects(p: Promise<unknown>): Promise<ExecError> {
  try {
    await p
  } catch (e) {
    assert.instance(e, ExecError, String(e))
    return e as ExecError
  }
  throw new Error('expected the command to fail')
}
const pgrep = (pattern: string) => spawnSync('pgrep', ['-f', pattern], { encoding: 'utf8' }).stdout.trim()
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

test.before(async () => {
  sshd = await startSshd({ maxSessions: 10 })
})
test.after(async () => {
  await Promise.all(pools.map((p) => p.close()))
  await sshd?.stop()
})

test('importing the exec API does not load ssh2', () => {
  const code = `await import(${JSON.stringify(path.resolve('src/exec/index.ts'))}); const { createRequire } = await import('node:module'); const c = createRequire(import.meta.url).cache; console.log(Object.keys(c).some((k) => k.includes('/node_modules/ssh2/')))`
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { encoding: 'utf8' })
  assert.is(r.stdout.trim(), 'false', r.stderr)
})

test('a command runs: stdout, stderr, exit code and stdin arrive', async () => {
  const node = new NodeHandle(pool().exec('testnode'))
  const out = await node.$`sh -c ${'echo out; echo err >&2'}`
  assert.is(out.stdout, 'out\n')
  assert.is(out.stderr, 'err\n')
  assert.is(out.exitCode, 0)
  assert.is(out.target, 'ssh:testnode')
  assert.equal(out.argv, ['sh', '-c', 'echo out; echo err >&2'])
  const e = await rejects(node.$`sh -c ${'echo oops >&2; exit 3'}`)
  assert.is(e.kind, 'exit')
  assert.is(e.exitCode, 3)
  assert.match(e.message, /exited 3: oops/)
  assert.is((await node.nothrow().$`sh -c ${'exit 9'}`).exitCode, 9)
  assert.is(await node.run(['cat'], { input: 'héllo\n' }).text(), 'héllo')
  assert.is((await node.nothrow().$`kinspect-no-such-command`).exitCode, 127)
  assert.is(await node.sudo.$`id -u`.text(), '0', 'as root, sudo is not needed')
})

test('one connection is reused for many commands', async () => {
  const p = pool()
  const node = new NodeHandle(p.exec('testnode'))
  const before = sshd.logins()
  for (let i = 0; i < 12; i++) assert.is(await node.$`echo ${i}`.text(), String(i))
  assert.is(sshd.logins() - before, 1, 'sshd saw one login')
  assert.is(p.stats('testnode').opens, 1)
  assert.ok(p.stats('testnode').connected)
})

test('20 concurrent commands with MaxSessions 10 all succeed over one connection, at most 8 channels', async () => {
  const p = pool()
  const node = new NodeHandle(p.exec('testnode'))
  const before = sshd.logins()
  const outs = await Promise.all(Array.from({ length: 20 }, (_, i) => node.$`sh -c ${`sleep 0.2; echo ${i}`}`.text()))
  assert.equal(
    outs,
    Array.from({ length: 20 }, (_, i) => String(i)),
  )
  const s = p.stats('testnode')
  assert.ok(s.peakChannels <= 8 && s.peakChannels > 1, `peak channels ${s.peakChannels}`)
  assert.is(sshd.logins() - before, 1)
})

test('a node whose sshd allows 2 sessions: 12 commands at once all succeed, the connection keeps to what sshd took', async () => {
  const narrow = await startSshd({ maxSessions: 2 })
  const p = new SshPool({
    configs: [{ text: fs.readFileSync(narrow.sshConfig, 'utf8'), path: narrow.sshConfig, kind: 'user' }],
  })
  try {
    const node = new NodeHandle(p.exec('testnode'))
    const outs = await Promise.all(Array.from({ length: 12 }, (_, i) => node.$`sh -c ${`sleep 0.1; echo ${i}`}`.text()))
    assert.equal(
      outs,
      Array.from({ length: 12 }, (_, i) => String(i)),
    )
    const s = p.stats('testnode')
    assert.ok(
      s.maxChannels < 8 && s.maxChannels >= 1,
      `max channels ${s.maxChannels}: lowered to what sshd took, then growing back`,
    )
    assert.equal([s.activeChannels, s.queued, s.opens], [0, 0, 1])
    assert.is(narrow.logins(), 1)
  } finally {
    await p.close()
    await narrow.stop()
  }
})

test('an unknown host key is refused with a message that says how to accept it', async () => {
  const empty = path.join(sshd.dir, 'empty_known_hosts')
  fs.writeFileSync(empty, '')
  const before = sshd.logins()
  const e = await rejects(pool(`Host testnode\n  UserKnownHostsFile ${empty}\n`).exec('testnode').run(['true']))
  assert.is(e.kind, 'hostkey')
  assert.match(e.message, /host key of testnode \(\[127\.0\.0\.1\]:\d+\) is not known: SHA256:/)
  assert.ok(e.hint!.includes(`ssh-keyscan -p ${sshd.port} -t ed25519 127.0.0.1 >> ${empty}`), e.hint)
  assert.equal(e.argv, ['true'])
  assert.is(sshd.logins(), before, 'no login was attempted')
  const viaEnv = pool(`Host testnode\n  UserKnownHostsFile ${empty}\n`, { KINSPECT_KNOWN_HOSTS: sshd.knownHosts })
  assert.is(
    await viaEnv
      .exec('testnode')
      .run(['echo', 'env-known'])
      .then((o) => o.text()),
    'env-known',
    'KINSPECT_KNOWN_HOSTS is consulted',
  )
})

test('StrictHostKeyChecking=no connects to an unknown host with a warning', async () => {
  const empty = path.join(sshd.dir, 'empty_known_hosts2')
  fs.writeFileSync(empty, '')
  warnings.length = 0
  const out = await pool(`Host testnode\n  StrictHostKeyChecking no\n  UserKnownHostsFile ${empty}\n`)
    .exec('testnode')
    .run(['echo', 'ok'])
  assert.is(out.stdout, 'ok\n')
  assert.is(warnings.length, 1)
  assert.match(warnings[0], /accepting unknown host key .* because StrictHostKeyChecking=no/)
})

test('a changed host key is refused, with the known_hosts line to remove', async () => {
  const changed = path.join(sshd.dir, 'changed_known_hosts')
  fs.writeFileSync(changed, `[127.0.0.1]:${sshd.port} ${freshPublicKey(sshd.dir, 'impostor')}\n`)
  for (const extra of ['', '  StrictHostKeyChecking no\n']) {
    const e = await rejects(
      pool(`Host testnode\n  UserKnownHostsFile ${changed}\n${extra}`).exec('testnode').run(['true']),
    )
    assert.is(e.kind, 'hostkey')
    assert.match(e.message, /HOST KEY CHANGED for testnode/)
    assert.ok(e.hint!.includes(`remove line 1 of ${changed}`), e.hint)
  }
})

test('a deadline kills the remote command on the node', async () => {
  const node = new NodeHandle(pool().exec('testnode'))
  await node.$`true` // connect first so the deadline covers only the command
  const t0 = Date.now()
  const running = node.timeout(1500).$`sleep 37.25`
  await sleep(700)
  assert.ok(pgrep('^sleep 37.25$'), 'the sleep runs on the node')
  const e = await rejects(running)
  const took = Date.now() - t0
  assert.is(e.kind, 'timeout')
  assert.is(e.exitCode, 124)
  assert.ok(took >= 1400 && took < 3000, `returned after ${took} ms`)
  let left = pgrep('^sleep 37.25$')
  for (let i = 0; i < 50 && left; i++) {
    await sleep(100)
    left = pgrep('^sleep 37.25$')
  }
  assert.is(left, '', 'no sleep survives on the node')
  assert.is(await node.$`echo still-usable`.text(), 'still-usable')
})

test('abort (Ctrl-C) kills the remote command and what it started within 2 s, also when it ignores TERM; stderr stays clean', async () => {
  // The first abortable run on a connection announces its pid through `sh -c` (which also names the login shell);
  // later ones through the login shell itself. Both are stopped.
  const learned = new NodeHandle(pool().exec('testnode'))
  const ok = await learned.run(['sh', '-c', 'echo out; echo err >&2'], { signal: new AbortController().signal })
  assert.equal([ok.stdout, ok.stderr], ['out\n', 'err\n'], 'the pid announcement is not part of stderr')
  const again = await learned.run(['sh', '-c', 'echo err2 >&2'], { signal: new AbortController().signal })
  assert.is(again.stderr, 'err2\n', "nor is the login shell's announcement")
  for (const [argv, marker] of [
    [['sleep', '38.5'], '^sleep 38.5$'],
    [['sh', '-c', 'trap "" TERM; sleep 39.5; echo not reached'], '^sleep 39.5$'],
  ] as const) {
    for (const [node, how] of [
      [new NodeHandle(pool().exec('testnode')), 'first run, sh -c'],
      [learned, 'login shell'],
    ] as const) {
      const ac = new AbortController()
      const running = node.run([...argv], { signal: ac.signal, timeoutMs: 60_000 })
      for (let i = 0; i < 50 && !pgrep(marker); i++) await sleep(100)
      assert.ok(pgrep(marker), `${argv.join(' ')} runs on the node (${how})`)
      const t0 = Date.now()
      ac.abort()
      const e = await rejects(running)
      assert.is(e.kind, 'aborted')
      let left = pgrep(marker)
      while (left && Date.now() - t0 < 2000) {
        await sleep(50)
        left = pgrep(marker)
      }
      assert.is(left, '', `${argv.join(' ')} (${how}) still runs ${Date.now() - t0} ms after the abort`)
    }
  }
  assert.is(await learned.$`echo still-usable`.text(), 'still-usable')
})

test('injection strings arrive literally through SshExec under the login shell', async () => {
  const exec = pool().exec('testnode')
  const printArgs = ['sh', '-c', 'printf "%s\\0" "$#" "$@"', 'sh']
  const check = async (args: string[]) => {
    const out = await exec.run([...printArgs, ...args])
    const fields = out.stdout.split('\0').slice(0, -1)
    assert.equal(fields, [String(args.length), ...args])
  }
  await check([
    "a' ; echo INJECTED #",
    '$(touch /tmp/kinspect-pwned)',
    '`id`',
    '"$HOME"',
    '',
    '-n',
    'a\nb',
    '\\',
    "'",
    '*',
    '~',
    'é😀',
    '%s',
  ])
  assert.not.ok(fs.existsSync('/tmp/kinspect-pwned'))
  const word = fc.oneof(
    fc.string({
      unit: fc.constantFrom("'", '"', '$', '`', '\\', '\n', ' ', '*', ';', '#', '-', 'a', 'é', '(', '|'),
      maxLength: 10,
    }),
    fc.string({ unit: 'grapheme', maxLength: 8 }),
  )
  // Many words per command keeps this to a dozen round trips (each login-shell start is slow on a busy node).
  await fc.assert(fc.asyncProperty(fc.array(word, { minLength: 1, maxLength: 40 }), check), { numRuns: 12 })
})

test('a pooled connection that died is reopened on the next command', async () => {
  const p = pool()
  const node = new NodeHandle(p.exec('testnode'))
  const running = node.$`sleep 4.5`
  await sleep(600)
  const pids = sshd.sessionPids()
  assert.ok(pids.length > 0, 'found the sshd process serving the connection')
  for (const pid of pids) process.kill(pid, 'SIGKILL')
  const t0 = Date.now()
  const lost = await rejects(running)
  assert.is(lost.kind, 'connect')
  assert.match(lost.message, /connection to testnode was lost while running `sleep 4.5`/)
  assert.ok(Date.now() - t0 < 2000, 'the loss is noticed at once')
  assert.is(await node.$`echo back`.text(), 'back')
  assert.is(p.stats('testnode').opens, 2)
})

test('a pooled connection whose sshd froze (SIGSTOP): the next command ends at its deadline, and works once sshd continues', async () => {
  const p = pool()
  const node = new NodeHandle(p.exec('testnode'))
  assert.is(await node.$`echo warm`.text(), 'warm')
  const pids = sshd.sessionPids()
  assert.ok(pids.length > 0, 'found the sshd process serving the connection')
  try {
    for (const pid of pids) process.kill(pid, 'SIGSTOP')
    const t0 = Date.now()
    const e = await rejects(node.run(['true'], { timeoutMs: 1500 }))
    const ms = Date.now() - t0
    assert.is(e.kind, 'timeout')
    assert.match(e.message, /^`true` on ssh:testnode timed out after 1500 ms before it could start/)
    assert.ok(ms >= 1400 && ms < 3000, `ended at its deadline: ${ms} ms`)
  } finally {
    for (const pid of pids) process.kill(pid, 'SIGCONT')
  }
  assert.is(await node.$`echo back`.text(), 'back')
  assert.is(p.stats('testnode').opens, 1, 'the same connection serves again')
})

test('ProxyJump: reaches a node through a jump host; each hop is checked under its own name', async () => {
  const node = new NodeHandle(pool().exec('inner'))
  assert.is(await node.$`echo via-jump`.text(), 'via-jump')
  const onlyFirst = path.join(sshd.dir, 'only_first_known_hosts')
  fs.writeFileSync(onlyFirst, `${sshd.knownLine('127.0.0.1')}\n`)
  const e = await rejects(
    pool('Host *\n  UserKnownHostsFile ' + onlyFirst + '\n')
      .exec('inner')
      .run(['true']),
  )
  assert.is(e.kind, 'hostkey')
  assert.match(e.message, /host key of inner \(\[127\.0\.0\.2\]:\d+\) is not known/)
})

test('authentication failure lists what was tried', async () => {
  const stranger = path.join(sshd.dir, 'stranger')
  spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', stranger])
  const only = new SshPool({
    configs: [
      {
        text: `Host testnode\n  HostName 127.0.0.1\n  Port ${sshd.port}\n  User root\n  IdentityFile ${stranger}\n  UserKnownHostsFile ${sshd.knownHosts}\n`,
      },
    ],
    env: {},
  })
  pools.push(only)
  const e = await rejects(only.exec('testnode').run(['true']))
  assert.is(e.kind, 'auth')
  assert.match(e.message, /authentication as root to testnode \(127\.0\.0\.1:\d+\) failed; tried: .*stranger/)
  assert.match(e.hint!, /authorize one of these keys/)
})

test('a passphrase-protected key: a clear error without an agent, success through ssh-agent', async () => {
  const locked = path.join(sshd.dir, 'locked')
  fs.copyFileSync(sshd.identity, locked)
  fs.chmodSync(locked, 0o600)
  assert.is(spawnSync('ssh-keygen', ['-q', '-p', '-P', '', '-N', 'secret words', '-f', locked]).status, 0)
  const configs = [
    {
      text: `Host testnode\n  HostName 127.0.0.1\n  Port ${sshd.port}\n  User root\n  IdentityFile ${locked}\n  UserKnownHostsFile ${sshd.knownHosts}\n`,
    },
  ]
  const noAgent = new SshPool({ configs, env: {} })
  pools.push(noAgent)
  const e = await rejects(noAgent.exec('testnode').run(['true']))
  assert.is(e.kind, 'auth')
  assert.match(e.message, /locked \(passphrase-protected/)
  assert.ok(e.hint!.includes(`ssh-add ${locked}`), e.hint)

  const sock = path.join(sshd.dir, 'agent.sock')
  const agent = spawn('ssh-agent', ['-D', '-a', sock], { stdio: 'ignore' })
  try {
    for (let i = 0; i < 50 && !fs.existsSync(sock); i++) await sleep(50)
    assert.is(spawnSync('ssh-add', ['-q', sshd.identity], { env: { ...process.env, SSH_AUTH_SOCK: sock } }).status, 0)
    const withAgent = new SshPool({ configs, env: { SSH_AUTH_SOCK: sock } })
    pools.push(withAgent)
    assert.is(
      await withAgent
        .exec('testnode')
        .run(['echo', 'agent-ok'])
        .then((o) => o.text()),
      'agent-ok',
    )
    await withAgent.close()
  } finally {
    agent.kill('SIGTERM')
  }
})

test('a closed port is a connect error with a hint', async () => {
  const e = await rejects(pool('Host closed\n  HostName 127.0.0.1\n  Port 1\n').exec('closed').run(['true']))
  assert.is(e.kind, 'connect')
  assert.match(e.message, /cannot connect to closed \(127\.0\.0\.1:1\): .*ECONNREFUSED/)
  assert.match(e.hint!, /nothing listens on 127\.0\.0\.1:1/)
})

test("close(0), as the CLI closes before it exits: each connection still gets SSH's disconnect, not a dropped socket", async () => {
  const disconnects = () => (sshd.log().match(/Received disconnect from /g) ?? []).length
  const before = disconnects()
  const pools = [pool(), pool(), pool()]
  await Promise.all(pools.map((p) => p.exec('testnode').run(['true'])))
  await Promise.all(pools.map((p) => p.close(0)))
  for (let i = 0; i < 40 && disconnects() < before + 3; i++) await sleep(50)
  assert.is(disconnects(), before + 3, sshd.log().split('\n').slice(-8).join('\n'))
})

test('a closed pool refuses work; ProxyCommand is refused with the alternative', async () => {
  const p = pool()
  await p.close()
  assert.match((await rejects(p.exec('testnode').run(['true']))).message, /the SSH pool is closed/)
  const pc = await rejects(pool('Host pc\n  ProxyCommand nc %h %p\n').exec('pc').run(['true']))
  assert.match(pc.hint!, /use ProxyJump/)
})

test.run()
