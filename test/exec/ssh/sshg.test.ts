// Resolving nodes with OpenSSH's `ssh -G`: the wrapper file and its Includes, ssh's errors, caching, parallel fleets.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import fc from 'fast-check'
import { NodeHandle } from '../../../src/exec/node.ts'
import { SshPool } from '../../../src/exec/ssh/pool.ts'
import { resolveHost, resolveOptions, SshConfigError, type ConfigText } from '../../../src/exec/ssh/sshconfig.ts'
import { findSsh, parseSshG, SshG, type SshClient } from '../../../src/exec/ssh/sshg.ts'
import { ExecError } from '../../../src/exec/types.ts'
import { genCase, writeCase } from './sshconfig-gen.ts'

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kinspect-sshg-'))
const ssh = findSsh()!
const pools: SshPool[] = []
const pool = (configs: ConfigText[], extra: ConstructorParameters<typeof SshPool>[0] = {}) => {
  const p = new SshPool({ configs, env: process.env, ...extra })
  pools.push(p)
  return p
}
const write = (name: string, text: string, mode = 0o644) => {
  const f = path.join(tmp, name)
  fs.writeFileSync(f, text, { mode })
  fs.chmodSync(f, mode)
  return f
}
// An `ssh` that logs when each run starts and ends (ms), then runs the real one: counts and overlaps spawns.
function loggingSsh(log: string): SshClient {
  const script = write(
    `ssh-logged-${path.basename(log)}`,
    `#!/bin/sh\necho "start $(date +%s%3N)" >> ${log}\n${ssh.path} "$@"\nrc=$?\necho "end $(date +%s%3N)" >> ${log}\nexit $rc\n`,
    0o755,
  )
  return { path: script, version: ssh.version }
}
const spawns = (log: string) =>
  fs.existsSync(log)
    ? fs
        .readFileSync(log, 'utf8')
        .split('\n')
        .filter((l) => l.startsWith('start')).length
    : 0
async function rejects(p: Promise<unknown>): Promise<ExecError> {
  try {
    await p
  } catch (e) {
    assert.instance(e, ExecError, String(e))
    return e as ExecError
  }
  throw new Error('expected a rejection')
}

test('parseSshG reads what this OpenSSH prints: every setting the transport uses', () => {
  const f = write(
    'parse.conf',
    'Host web1\n  HostName 10.0.0.7\n  Port 2222\n  User ops\n  IdentityFile ~/.ssh/a\n  IdentityFile /b\n  IdentitiesOnly yes\n  UserKnownHostsFile none\n  StrictHostKeyChecking false\n  ConnectTimeout 1m\n  ProxyJump bob@j1:2022\n  HostKeyAlias Web-Key\n  HostKeyAlgorithms ssh-ed25519\n',
  )
  const r = spawnSync(ssh.path, ['-G', '-F', f, '--', 'web1'], { encoding: 'utf8' })
  const o = parseSshG(r.stdout)
  assert.equal(o, {
    user: 'ops',
    hostname: '10.0.0.7',
    port: 2222,
    identityfile: ['~/.ssh/a', '/b'],
    identitiesonly: true,
    identityagent: undefined,
    userknownhostsfile: [],
    globalknownhostsfile: ['/etc/ssh/ssh_known_hosts', '/etc/ssh/ssh_known_hosts2'],
    stricthostkeychecking: 'false',
    hostkeyalias: 'web-key',
    connecttimeout: 60,
    proxyjump: 'bob@j1:2022',
    proxycommand: undefined,
    hostkeyalgorithms: 'ssh-ed25519',
  })
  assert.throws(() => parseSshG('user x\n'), /ssh -G printed no \w+ line/)
})

test('the pool resolves with ssh -G: source shown, files Included where they live, in-memory text in a private temp file', async () => {
  const userFile = write('user.conf', 'Host n1\n  Port 2201\nHost *\n  User from-file\n')
  const configs: ConfigText[] = [
    { text: 'Host n*\n  User from-rules\n', path: '/x/.recipes (nodes)' },
    { text: fs.readFileSync(userFile, 'utf8'), path: userFile },
  ]
  const p = pool(configs)
  const r = await p.resolve('n1')
  assert.equal([r.source, r.user, r.port], ['ssh -G', 'from-rules', 2201])
  const { source: _s, ...viaSsh } = r
  const { source: _b, ...viaBuiltin } = resolveHost('n1', configs, { env: process.env })
  assert.equal(viaSsh, viaBuiltin, 'both resolvers read the same list the same way')
  const dirs = fs
    .readdirSync(os.tmpdir())
    .filter((d) => d.startsWith('kinspect-ssh-'))
    .map((d) => path.join(os.tmpdir(), d))
  const mine = dirs.find((d) => fs.readFileSync(path.join(d, 'ssh_config'), 'utf8').includes(userFile))!
  assert.ok(mine, 'the wrapper names the user file itself')
  assert.is(fs.statSync(mine).mode & 0o777, 0o700)
  assert.is(fs.statSync(path.join(mine, '1.conf')).mode & 0o777, 0o600)
  assert.is(fs.readFileSync(path.join(mine, '1.conf'), 'utf8'), configs[0].text)
  assert.not.ok(fs.existsSync(path.join(mine, '2.conf')), 'a file on disk is not copied')
  await p.close()
  assert.not.ok(fs.existsSync(mine), 'close() removes the temporary directory')
})

test('a config ssh rejects: the same typed error as the built-in reader, naming the file and line ssh names', async () => {
  const bad = write('bad.conf', 'Host ok\n  User a\nHost other\n  StrictHostKeyChecking maybe\n')
  const viaSsh = await rejects(pool([{ text: fs.readFileSync(bad, 'utf8'), path: bad }]).resolve('ok'))
  assert.is(viaSsh.kind, 'invalid')
  assert.instance(viaSsh.cause, SshConfigError)
  assert.is(viaSsh.message, `${bad}:4: unsupported option "maybe".`)
  const viaBuiltin = await rejects(
    pool([{ text: fs.readFileSync(bad, 'utf8'), path: bad }], { resolver: 'built-in' }).resolve('ok'),
  )
  assert.is(viaBuiltin.message, viaSsh.message)
  const inMemory = await rejects(pool([{ text: 'Host x\nBogus 1\n', path: '/srv/.recipes (nodes)' }]).resolve('ok'))
  assert.is(
    inMemory.message,
    '/srv/.recipes (nodes):2: Bad configuration option: bogus',
    'a temporary file is named by what it holds',
  )
  const inc = write('writable-inc.conf', 'User w\n', 0o666)
  const top = write('writable-top.conf', `Include ${inc}\n`, 0o666)
  const refused = await rejects(pool([{ text: fs.readFileSync(top, 'utf8'), path: top }]).resolve('ok'))
  assert.match(
    refused.message,
    /Bad owner or permissions on .*writable-inc\.conf/,
    'an Included file others can change is refused, as ssh refuses it',
  )
  fs.chmodSync(inc, 0o644)
  assert.is(
    (await pool([{ text: fs.readFileSync(top, 'utf8'), path: top }]).resolve('ok')).user,
    'w',
    'the top file is read as ssh -F reads it',
  )
})

test('once per node, cached for the session; a failed resolution is retried', async () => {
  const log = path.join(tmp, 'once.log')
  const f = write('once.conf', 'User u\n')
  const p = pool([{ text: 'User u\n', path: f }], { ssh: loggingSsh(log) })
  const [a, b] = await Promise.all([p.resolve('n1'), p.resolve('n1')])
  assert.is(a, b)
  await new NodeHandle(p.exec('n1')).sshConfig
  assert.is(spawns(log), 1)
  await p.resolve('n2')
  assert.is(spawns(log), 2)
  await rejects(p.resolve('bad@name'))
  assert.is(spawns(log), 2, 'a bad name is refused before ssh runs')
})

test('a fleet of 100 names resolves in parallel, not one ssh -G after another', async () => {
  const log = path.join(tmp, 'fleet.log')
  const f = write('fleet.conf', 'Host node-*\n  HostName %h.fleet.example\n  Port 2222\n')
  const p = pool([{ text: fs.readFileSync(f, 'utf8'), path: f }], { ssh: loggingSsh(log) })
  const names = Array.from({ length: 100 }, (_, i) => `node-${i}`)
  const t0 = performance.now()
  const all = await p.resolveAll(names)
  const ms = performance.now() - t0
  assert.equal(
    all.map((r) => r.hostName),
    names.map((n) => `${n}.fleet.example`),
  )
  const events = fs
    .readFileSync(log, 'utf8')
    .trim()
    .split('\n')
    .map((l) => l.split(' '))
    .map(([k, t]) => ({ k, t: Number(t) }))
    .sort((x, y) => x.t - y.t || (x.k === 'end' ? -1 : 1))
  let now = 0
  let peak = 0
  for (const e of events) peak = Math.max(peak, (now += e.k === 'start' ? 1 : -1))
  const serial = events.filter((e) => e.k === 'start').length
  console.log(`# 100 names: ${Math.round(ms)} ms with up to ${peak} ssh -G at once (${serial} processes)`)
  assert.is(serial, 100)
  assert.ok(peak >= 2, `ssh -G never ran in parallel (peak ${peak})`)
})

test('resolver choice: KINSPECT_SSH_RESOLVER=built-in, no ssh installed (auto falls back), "ssh -G" required', async () => {
  const configs = [{ text: 'User u\n' }]
  assert.is(
    (await pool(configs, { env: { ...process.env, KINSPECT_SSH_RESOLVER: 'built-in' } }).resolve('n')).source,
    'built-in',
  )
  assert.is((await pool(configs, { ssh: null }).resolve('n')).source, 'built-in')
  const e = await rejects(pool(configs, { ssh: null, resolver: 'ssh -G' }).resolve('n'))
  assert.match(e.message, /no OpenSSH client answers `ssh -V`/)
  assert.throws(
    () => new SshPool({ resolver: 'guess' as never }),
    (x: unknown) =>
      x instanceof ExecError && /expected one of auto, ssh -G, built-in, received "guess"/.test(x.message),
  )
  assert.is(
    new NodeHandle({
      target: 'local',
      run: async () => {
        throw new Error('unused')
      },
    }).sshConfig,
    undefined,
  )
})

test('through the pool (wrapper file, Includes) ssh -G and the built-in reader agree on generated configs', async () => {
  await fc.assert(
    fc.asyncProperty(genCase, async (c) => {
      const main = writeCase(path.join(tmp, 'gen'), c)
      const configs: ConfigText[] = [
        { text: 'Host db*\n  User from-memory\n', path: '/mem/.recipes (nodes)' },
        { text: fs.readFileSync(main, 'utf8'), path: main },
      ]
      const g = new SshG(configs, { ssh, env: process.env })
      try {
        for (const name of c.names) {
          let mine
          try {
            mine = resolveOptions(name, configs, { env: process.env })
          } catch (e) {
            await g.resolve(name).then(
              () => assert.unreachable(`ssh -G accepts what the built-in reader rejects: ${(e as Error).message}`),
              () => {},
            )
            continue
          }
          assert.equal(await g.resolve(name), mine, name)
        }
      } finally {
        g.close()
      }
    }),
    { numRuns: 8 },
  )
})

test.after(async () => {
  await Promise.all(pools.map((p) => p.close()))
  fs.rmSync(tmp, { recursive: true, force: true })
})
test.run()
