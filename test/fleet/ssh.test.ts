// The fleet over real SSH (a throwaway OpenSSH sshd on 127.0.0.1 and 127.0.0.2, no cluster): connection attempts
// limited per host, hung hosts (a TCP server that accepts and never answers) timed out and their sockets destroyed,
// an abort that leaves no remote process, and `kinspect fleet` exiting right after its result.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawn, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { NodeHandle } from '../../src/exec/node.ts'
import { SshPool } from '../../src/exec/ssh/pool.ts'
import { runFleet, sessionTransport } from '../../src/fleet/index.ts'
import { startSshd, type Sshd } from '../exec/sshd-fixture.ts'

const root = path.resolve(import.meta.dirname, '../..')
let sshd: Sshd
let hole: net.Server
/** When each connection to the hole closed (ms, performance.now()). */
const holeClosed: number[] = []
let holeOpen = 0
let config: string
const pools: SshPool[] = []

function pool(maxConnecting?: number): SshPool {
  const p = new SshPool({
    env: {},
    configs: [{ text: fs.readFileSync(config, 'utf8'), path: config, kind: 'user' }],
    maxConnecting,
    onWarn: () => {},
  })
  pools.push(p)
  return p
}
const transportOf = (p: SshPool) => sessionTransport({ node: (n: string) => new NodeHandle(p.exec(n)) } as never)
const names = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${i + 1}`)
const pgrep = (pattern: string) =>
  spawnSync('pgrep', ['-f', pattern], { encoding: 'utf8' }).stdout.trim().split('\n').filter(Boolean)
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

test.before(async () => {
  sshd = await startSshd({ maxSessions: 10 })
  hole = net.createServer((s) => {
    holeOpen++
    s.resume() // reads (and drops) what the client sends, so its close is seen
    s.on('error', () => {})
    s.on('close', () => {
      holeOpen--
      holeClosed.push(performance.now())
    })
  })
  await new Promise<void>((r) => hole.listen(0, '127.0.0.1', r))
  const holePort = (hole.address() as net.AddressInfo).port
  config = path.join(sshd.dir, 'fleet_config')
  // hole-*: accepts TCP, never speaks SSH; ConnectTimeout 30 so only the fleet's own deadline can end it in time.
  const extra = `Host hole-*\n  HostName 127.0.0.1\n  Port ${holePort}\n  ConnectTimeout 30\nHost a-*\n  HostName 127.0.0.1\nHost b-*\n  HostName 127.0.0.2\n`
  fs.writeFileSync(config, extra + fs.readFileSync(sshd.sshConfig, 'utf8'))
})
test.after(async () => {
  await Promise.all(pools.map((p) => p.close()))
  hole?.close()
  await sshd?.stop()
})

test('connection attempts are limited per host (HostName:Port), not across hosts; every node answers', async () => {
  const p = pool(3)
  const nodes = [...names('a', 9), ...names('b', 9)]
  const r = await runFleet(transportOf(p), nodes, ['sh', '-c', 'echo "$0"', 'hi'], { timeoutMs: 60_000 })
  assert.ok(r.ok, JSON.stringify(r.errors()))
  // one group: every node printed the same (the fixture's logins read no dotfiles of this machine, sshd-fixture.ts)
  assert.equal(
    r.groups().map((g) => [g.nodeset, g.stdout, g.stderr]),
    [['a-[1-9],b-[1-9]', 'hi\n', '']],
  )
  const stats = Object.fromEntries(p.hostStats().map((s) => [s.host, s]))
  const a = stats[`127.0.0.1:${sshd.port}`]
  const b = stats[`127.0.0.2:${sshd.port}`]
  // at most 3 handshakes at once per host, and the two hosts did not wait for each other
  assert.is(a.peak, 3, JSON.stringify(stats))
  assert.is(b.peak, 3, JSON.stringify(stats))
  assert.equal([a.connecting, b.connecting, a.queued, b.queued], [0, 0, 0, 0])
})

test('hung hosts time out at their own timeout while the healthy ones answer; their sockets are destroyed then, not at ConnectTimeout', async () => {
  const p = pool()
  const closedBefore = holeClosed.length
  const t0 = performance.now()
  const r = await runFleet(transportOf(p), [...names('hole', 3), ...names('a', 3)], ['true'], { timeoutMs: 1500 })
  const took = performance.now() - t0
  assert.equal(
    r.results.map((x) => [x.node, x.ok ? 'ok' : x.error]),
    [
      ['hole-1', 'timeout'],
      ['hole-2', 'timeout'],
      ['hole-3', 'timeout'],
      ['a-1', 'ok'],
      ['a-2', 'ok'],
      ['a-3', 'ok'],
    ],
  )
  for (const x of r.results.slice(3)) assert.ok(x.durationMs < 1500, `${x.node} took ${x.durationMs} ms`)
  assert.match(r.get('hole-1')!.message!, /timed out after 1500 ms before it could start/)
  assert.ok(took < 3000, `the fleet took ${took.toFixed(0)} ms`)
  await sleep(300)
  assert.is(holeClosed.length - closedBefore, 3, 'the hung handshakes were destroyed')
  assert.ok(Math.max(...holeClosed.slice(closedBefore)) - t0 < 2500, 'destroyed at the deadline')
  assert.is(holeOpen, 0)
})

test('close() destroys a connection still being made at once', async () => {
  const p = pool()
  const closedBefore = holeClosed.length
  const pending = new NodeHandle(p.exec('hole-9')).timeout(20_000).$`true`.catch((e) => e)
  await sleep(300)
  assert.is(holeOpen, 1)
  const t0 = performance.now()
  await p.close()
  assert.ok(performance.now() - t0 < 1000, `close took ${(performance.now() - t0).toFixed(0)} ms`)
  assert.match(String((await pending).message), /pool is closed|abandoned|was aborted|closed during setup/)
  await sleep(200)
  assert.is(holeClosed.length - closedBefore, 1)
})

test('an abort (Ctrl-C) ends the remote commands on every node: no process is left', async () => {
  const p = pool()
  const marker = `${60 + Math.floor(Math.random() * 1000) / 1000}`
  const nodes = [...names('a', 3), ...names('b', 3)]
  const run = runFleet(transportOf(p), nodes, ['sleep', marker], { timeoutMs: 60_000 })
  for (let i = 0; i < 100 && pgrep(`^sleep ${marker}$`).length < nodes.length; i++) await sleep(100)
  assert.is(pgrep(`^sleep ${marker}$`).length, nodes.length, 'every node runs the command')
  run.cancel()
  const r = await run
  assert.ok(r.results.every((x) => x.error === 'aborted'))
  await run.settled
  for (let i = 0; i < 20 && pgrep(`sleep ${marker}`).length; i++) await sleep(100)
  assert.equal(pgrep(`sleep ${marker}`), [], 'no remote sleep left')
})

const cliEnv = () => ({
  ...process.env,
  KINSPECT_SSH_CONFIG: config,
  KINSPECT_KNOWN_HOSTS: sshd.knownHosts,
  KUBECONFIG: '/nonexistent',
  HOME: sshd.dir,
  KINSPECT_CONFIG: '',
  NO_COLOR: '1',
  KINSPECT_FROM_SOURCE: '1',
})

test('kinspect fleet -b gathers identical outputs under their node set; -o json is one document; exit 0 when all succeed', () => {
  const run = (args: string[]) =>
    spawnSync(process.execPath, [path.join(root, 'bin/kinspect.mjs'), 'fleet', ...args], {
      cwd: sshd.dir,
      env: cliEnv(),
      encoding: 'utf8',
      timeout: 60_000,
    })
  const b = run(['a-[1-3]', 'b-1', '-b', '--', 'sh', '-c', 'echo "$0"; [ "$(id -u)" = 0 ]', 'same'])
  assert.is(b.status, 0, b.stderr)
  assert.is(b.stdout, ['-'.repeat(15), 'a-[1-3],b-1 (4)', '-'.repeat(15), 'same', ''].join('\n'))
  const j = run(['a-1', 'hole-1', '--timeout', '1s', '-o', 'json', '--', 'true'])
  assert.is(j.status, 1, j.stderr)
  const doc = JSON.parse(j.stdout)
  assert.equal(
    [
      doc.ok,
      doc.nodes,
      doc.results.map((r: { ok: boolean }) => r.ok),
      doc.errors.map((e: { class: string; nodeset: string }) => [e.class, e.nodeset]),
    ],
    [false, ['a-1', 'hole-1'], [true, false], [['timeout', 'hole-1']]],
  )
  assert.match(j.stderr, /1 of 2 nodes failed: hole-1/)
})

test('kinspect fleet: output as node: line, failures named on stderr, exit 1, and the process exits right after its result', async () => {
  const env = cliEnv()
  const t0 = performance.now()
  const child = spawn(
    process.execPath,
    [
      path.join(root, 'bin/kinspect.mjs'),
      'fleet',
      'a-1',
      'b-1',
      'hole-1',
      '--timeout',
      '2s',
      '--',
      'sh',
      '-c',
      'echo "$0 on $(hostname)"',
      'hi',
    ],
    { cwd: sshd.dir, env, stdio: ['ignore', 'pipe', 'pipe'] },
  )
  let out = ''
  let err = ''
  let resultAt = 0
  child.stdout.on('data', (d) => (out += d))
  child.stderr.on('data', (d) => {
    err += d
    if (!resultAt && /nodes failed/.test(err)) resultAt = performance.now()
  })
  const code = await new Promise<number | null>((r) => child.on('exit', r))
  const exitAfter = performance.now() - resultAt
  assert.is(code, 1, err)
  assert.equal(
    out
      .split('\n')
      .filter(Boolean)
      .sort()
      .map((l) => l.replace(/ on .*/, '')),
    ['a-1: hi', 'b-1: hi'],
  )
  assert.match(err, /^kinspect fleet: 1 of 3 nodes failed: hole-1\n {2}timeout \(1\): hole-1\n/m)
  assert.ok(resultAt > 0)
  assert.ok(exitAfter < 1500, `exited ${exitAfter.toFixed(0)} ms after the result`)
  console.log(
    `  kinspect fleet: result after ${((resultAt - t0) / 1000).toFixed(2)} s (2 s timeout), exit ${exitAfter.toFixed(0)} ms later`,
  )
})

test.run()
