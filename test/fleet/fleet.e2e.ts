// The fleet on the lab: the three real nodes, then the 100 fan-out endpoints with 20 blackholed (they accept TCP and
// never answer SSH). 80 results and 20 timeouts, all named; grouping; partial results at the overall deadline with
// the stopped commands ended on their nodes; Ctrl-C leaving no remote process; `kinspect fleet` exiting right after
// its result. Run under the lab lock; the fan-out is always removed again.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawn, spawnSync } from 'node:child_process'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { bindFleet, foldNodes } from '../../src/fleet/index.ts'
import type { Session } from '../../src/session.ts'
import { ENV, labSession, sshOk } from '../net/labkit.ts'
import { FANOUT_USER } from '../lab/fanout.ts'
import { run } from '../lab/sh.ts'

const root = path.resolve(import.meta.dirname, '../..')
const N = 100
const HOLES = 20
const FANOUT = 'kinspect.dev/lab-role=ssh-only'
const healthy = Array.from({ length: N - HOLES }, (_, i) => `lab-ssh-${i + 1}`)
const holes = Array.from({ length: HOLES }, (_, i) => `lab-ssh-${N - HOLES + i + 1}`)
const labCli = (...args: string[]) =>
  run([process.execPath, '--import', 'tsx', path.join(root, 'test/lab/cli.ts'), ...args], {
    ok: true,
    timeout: 300_000,
  })
const pgrep = (pattern: string, user?: string) =>
  spawnSync('pgrep', [...(user ? ['-u', user] : []), '-f', pattern], { encoding: 'utf8' })
    .stdout.split('\n')
    .filter(Boolean)
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const unique = () => `${60 + Math.floor(Math.random() * 900) / 1000}`

let session: Session
let fleet: ReturnType<typeof bindFleet>

test.before(async () => {
  labCli('fanout', '0') // the three nodes alone to begin with
  session = await labSession()
  fleet = bindFleet(session)
})
test.after(async () => {
  await session?.close()
  labCli('fanout', '0') // ALWAYS remove the fan-out, even when an assertion failed
})

test('three real nodes: every node answers, identical outputs are gathered, a selector chooses nodes', async () => {
  const same = await fleet(['lab-1', 'lab-2', 'lab-3']).timeout(20_000).$`cat /proc/sys/kernel/ostype`
  assert.ok(same.ok, JSON.stringify(same.errors()))
  assert.equal(
    same.groups().map((g) => [g.nodeset, g.stdout]),
    [['lab-[1-3]', 'Linux\n']],
  )
  assert.equal(
    same.results.map((r) => r.transport),
    ['ssh', 'ssh', 'ssh'],
  )
  // hostname differs per node (UTS namespaces): three groups of one
  const names = await fleet().timeout(20_000).$`hostname`
  assert.equal(
    names.groups().map((g) => g.nodes.length),
    [1, 1, 1],
  )
  for (const n of ['lab-1', 'lab-2', 'lab-3']) assert.is(names.get(n)!.stdout.trim(), sshOk('hostname', n).trim())
  const two = await fleet('kubernetes.io/hostname in (lab-2,lab-3)').$`true`
  assert.equal(two.nodes, ['lab-2', 'lab-3'])
  // a non-zero exit is class exit, with its code and output, and the others still succeed
  const mixed = await fleet(['lab-1', 'lab-2', 'lab-3'])
    .$`sh -c ${'[ "$(hostname)" != lab-2 ] || { echo nope >&2; exit 3; }'}`
  assert.equal(
    mixed.errors().map((e) => [e.class, e.nodeset]),
    [['exit', 'lab-2']],
  )
  assert.equal([mixed.get('lab-2')!.exitCode, mixed.get('lab-2')!.stderr], [3, 'nope\n'])
})

test('three real nodes: Ctrl-C (an abort) ends the remote commands; ps on each node shows none left', async () => {
  const marker = unique()
  const ac = new AbortController()
  const runFleet = fleet(['lab-1', 'lab-2', 'lab-3']).with({ signal: ac.signal }).timeout(120_000).$`sleep ${marker}`
  // lab-1's ps also shows lab-2's and lab-3's processes (their PID namespaces are children of lab-1's): count only the
  // node's own, those in the PID namespace of the shell ssh lands in.
  const onNode = (n: string) =>
    sshOk(
      `ns=$(stat -L -c %i /proc/self/ns/pid); ps -eo pidns=,args= | awk -v ns="$ns" '$1 == ns && $2 == "sleep" && $3 == "${marker}"' | wc -l`,
      n,
    ).trim()
  for (let i = 0; i < 100 && ['lab-1', 'lab-2', 'lab-3'].some((n) => onNode(n) === '0'); i++) await sleep(200)
  assert.equal(['lab-1', 'lab-2', 'lab-3'].map(onNode), ['1', '1', '1'], 'the command runs on every node')
  ac.abort()
  const r = await runFleet
  assert.is(r.stopped, 'aborted')
  await runFleet.settled
  for (let i = 0; i < 20 && ['lab-1', 'lab-2', 'lab-3'].some((n) => onNode(n) !== '0'); i++) await sleep(200)
  assert.equal(['lab-1', 'lab-2', 'lab-3'].map(onNode), ['0', '0', '0'], 'no sleep left on any node')
})

test(`fanout ${N} --blackhole ${HOLES}: with a 5 s timeout, ${N - HOLES} results and ${HOLES} timeouts, every node named`, async () => {
  const r0 = labCli('fanout', String(N), '--blackhole', String(HOLES))
  assert.is(r0.code, 0, r0.stderr)
  const t0 = performance.now()
  const r = await fleet(FANOUT).timeout(5000).$`true`
  const took = performance.now() - t0
  assert.is(r.nodes.length, N)
  assert.equal(r.succeeded.map((x) => x.node).sort(), [...healthy].sort())
  const errs = r.errors()
  assert.equal(
    errs.map((e) => [e.class, e.nodeset]),
    [['timeout', foldNodes(holes)]],
  )
  // SSH was tried and timed out (the node pod after it needs consent this run does not give): the SSH error is named
  assert.match(errs[0].messages[0].message, /timed out/, JSON.stringify(errs[0].messages))
  for (const x of r.failed) assert.ok(x.durationMs >= 4900 && x.durationMs < 6000, `${x.node}: ${x.durationMs} ms`)
  assert.ok(took < 30_000, `took ${took} ms`)
  console.log(
    `  ${N} nodes (${HOLES} blackholed), 5 s timeout, fanout 64: ${r.succeeded.length} ok + ${r.failed.length} timeouts in ${(took / 1000).toFixed(2)} s; slowest healthy ${(Math.max(...r.succeeded.map((x) => x.durationMs)) / 1000).toFixed(2)} s`,
  )
  const t1 = performance.now()
  const warm = await fleet(FANOUT).fanout(N).timeout(5000).$`true`
  console.log(
    `  again with fanout ${N} (80 connections warm, 20 hung again): ${((performance.now() - t1) / 1000).toFixed(2)} s, ${warm.succeeded.length} ok`,
  )
  assert.is(warm.succeeded.length, N - HOLES)
})

test('grouping on the fan-out: output that depends on the endpoint gathers into the right node sets', async () => {
  // each endpoint prints its address's last byte mod 3 (127.0.1.N: N mod 3)
  const script = 'a=${SSH_CONNECTION% *}; echo $(( ${a##*.} % 3 ))'
  const r = await fleet(healthy).timeout(10_000).$`sh -c ${script}`
  assert.ok(r.ok, JSON.stringify(r.errors()))
  const expected = [0, 1, 2].map((m) => foldNodes(healthy.filter((n) => Number(n.split('-').pop()) % 3 === m)))
  const got = Object.fromEntries(r.groups().map((g) => [g.stdout.trim(), g.nodeset]))
  assert.equal(got, { '0': expected[0], '1': expected[1], '2': expected[2] })
})

test('the overall deadline returns partial results at once; the commands it stopped are ended on the endpoints', async () => {
  const marker = unique()
  // endpoints 1-10 sleep far past the deadline, the rest answer at once, the blackholed never answer
  const script = `a=\${SSH_CONNECTION% *}; n=\${a##*.}; [ "$n" -gt 10 ] || sleep ${marker}; echo done`
  const t0 = performance.now()
  const runFleet = fleet(FANOUT).fanout(N).timeout(60_000).deadline(4000).$`sh -c ${script}`
  const r = await runFleet
  const took = performance.now() - t0
  assert.ok(took >= 4000 && took < 5500, `returned after ${took.toFixed(0)} ms`)
  assert.is(r.stopped, 'deadline')
  assert.is(r.succeeded.length, N - HOLES - 10)
  const timeouts = r.errors().find((e) => e.class === 'timeout')!
  assert.is(timeouts.nodeset, foldNodes([...healthy.slice(0, 10), ...holes]))
  assert.ok(
    timeouts.messages.every((m) => m.message.startsWith('overall deadline of 4 s: stopped after')),
    JSON.stringify(timeouts.messages),
  )
  await runFleet.settled
  for (let i = 0; i < 20 && pgrep(`sleep ${marker}`, FANOUT_USER).length; i++) await sleep(200)
  assert.equal(pgrep(`sleep ${marker}`, FANOUT_USER), [], 'no stopped sleep left on the endpoints')
  console.log(
    `  deadline 4 s: ${r.succeeded.length} results, ${timeouts.nodes.length} timeouts, returned after ${(took / 1000).toFixed(2)} s`,
  )
})

/** Spawns `kinspect fleet ARGS`; resolves with the exit code, output, and when the failure report and the exit came. */
function kinspectFleet(args: string[], onStart?: (child: ReturnType<typeof spawn>) => void) {
  const t0 = performance.now()
  const child = spawn(process.execPath, [path.join(root, 'bin/kinspect.mjs'), 'fleet', ...args], {
    cwd: root,
    env: { ...ENV, NO_COLOR: '1', KINSPECT_FROM_SOURCE: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  let err = ''
  let resultMs = 0
  child.stdout!.on('data', (d) => (out += d))
  child.stderr!.on('data', (d) => {
    err += d
    if (!resultMs && /nodes failed/.test(err)) resultMs = performance.now() - t0
  })
  onStart?.(child)
  return new Promise<{ code: number | null; out: string; err: string; resultMs: number; exitMs: number }>((resolve) =>
    child.on('exit', (code) => resolve({ code, out, err, resultMs, exitMs: performance.now() - t0 })),
  )
}

test('kinspect fleet on the fan-out: 80 lines, the 20 blackholed named on stderr, exit 1, the process gone right after its result', async () => {
  const r = await kinspectFleet(['-l', FANOUT, '--timeout', '5s', '--', 'echo', 'up'])
  assert.is(r.code, 1, r.err)
  assert.is(r.out.split('\n').filter((l) => /^lab-ssh-\d+: up$/.test(l)).length, N - HOLES)
  assert.match(
    r.err,
    new RegExp(
      `^kinspect fleet: ${HOLES} of ${N} nodes failed: ${foldNodes(holes).replace(/[[\]]/g, '\\$&')}\\n {2}timeout \\(${HOLES}\\)`,
      'm',
    ),
  )
  const after = r.exitMs - r.resultMs
  assert.ok(r.resultMs > 0 && after < 1500, `exited ${after.toFixed(0)} ms after the result`)
  console.log(
    `  kinspect fleet (process): result at ${(r.resultMs / 1000).toFixed(2)} s, exit ${after.toFixed(0)} ms later (${(r.exitMs / 1000).toFixed(2)} s in all, node start-up included)`,
  )
  const json = await kinspectFleet(['-l', FANOUT, '--timeout', '5s', '-o', 'json', '--', 'true'])
  const doc = JSON.parse(json.out)
  assert.equal(
    [doc.ok, doc.results.length, doc.errors.map((e: { class: string; nodeset: string }) => [e.class, e.nodeset])],
    [false, N, [['timeout', foldNodes(holes)]]],
  )
})

test('kinspect fleet --deadline 5s counts from its own start: the process, start-up included, exits by the deadline + 1 s', async () => {
  const r = await kinspectFleet(['-l', FANOUT, '--deadline', '5s', '-o', 'json', '--', 'true'])
  assert.is(r.code, 1, r.err)
  const doc = JSON.parse(r.out) as { stopped?: string; results: { node: string; ok: boolean; message?: string }[] }
  assert.is(doc.stopped, 'deadline')
  const late = doc.results.filter((x) => !x.ok)
  assert.ok(
    holes.every((h) => late.some((x) => x.node === h)),
    'every blackholed node is among the timeouts',
  )
  assert.ok(
    late.every((x) => x.message?.startsWith('overall deadline of 5 s')),
    JSON.stringify(late.slice(0, 3)),
  )
  // from source (tsx) the start-up alone takes a second or more under load; most healthy endpoints still answer
  assert.ok(doc.results.length - late.length >= N - HOLES - 10, `${doc.results.length - late.length} answered`)
  assert.ok(r.exitMs < 6000, `exited ${(r.exitMs / 1000).toFixed(2)} s after it was spawned`)
  console.log(`  kinspect fleet --deadline 5s (process, from source): exit at ${(r.exitMs / 1000).toFixed(2)} s`)
})

test('kinspect fleet: Ctrl-C (SIGINT) stops every node, exits 130 and leaves no remote process', async () => {
  const marker = unique()
  const r = await kinspectFleet(['-l', FANOUT, '--timeout', '60s', '--', 'sleep', marker], async (child) => {
    for (let i = 0; i < 150 && pgrep(`^sleep ${marker}$`, FANOUT_USER).length < N - HOLES; i++) await sleep(100)
    child.kill('SIGINT')
  })
  assert.is(r.code, 130, r.err)
  assert.match(r.err, /aborted \(100\)|aborted \(\d+\)/)
  for (let i = 0; i < 20 && pgrep(`sleep ${marker}`, FANOUT_USER).length; i++) await sleep(200)
  assert.equal(pgrep(`sleep ${marker}`, FANOUT_USER), [], 'no sleep left on the endpoints')
})

test.run()
