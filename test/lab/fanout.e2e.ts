// Extra SSH-only nodes: 100 real sshd endpoints with their own host keys, registered as Nodes the heartbeat keeps
// Ready for as long as they run; they log in as the dash user; blackholed ones accept TCP and never answer SSH.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { execFile } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import { labPaths, RUN_DIR } from './layout.ts'
import { FANOUT_USER } from './fanout.ts'
import { kubectlJSON } from './lab.ts'
import { run } from './sh.ts'

const P = labPaths()
const N = 100
const HOLD_MS = 35_000 // two lease grace periods (16 s) and more: a heartbeat that falls behind shows within it
const labCli = (...args: string[]) =>
  run([process.execPath, '--import', 'tsx', path.join(import.meta.dirname, 'cli.ts'), ...args], {
    ok: true,
    timeout: 300_000,
  })
const names = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => `lab-ssh-${from + i}`)

/** Runs argv without blocking the event loop (the Ready sampling goes on meanwhile). */
function spawnAsync(
  argv: string[],
  timeoutMs = 30_000,
): Promise<{ code: number | null; stdout: string; stderr: string; ms: number }> {
  const t0 = Date.now()
  return new Promise((resolve) => {
    execFile(argv[0], argv.slice(1), { timeout: timeoutMs, encoding: 'utf8' }, (err, stdout, stderr) => {
      const code = err
        ? typeof (err as { code?: unknown }).code === 'number'
          ? (err as { code: number }).code
          : null
        : 0
      resolve({ code, stdout, stderr, ms: Date.now() - t0 })
    })
  })
}

/** Samples every few seconds for holdMs: every fan-out Node must exist, be Ready and have a Lease renewed within the 16 s grace period. */
async function holdReady(holdMs: number, everyMs = 5_000): Promise<string[]> {
  const problems: string[] = []
  let samples = 0
  for (const until = Date.now() + holdMs; Date.now() < until; samples++) {
    const [nodes, leases] = await Promise.all([
      spawnAsync([
        'kubectl',
        '--kubeconfig',
        P.kubeconfig,
        'get',
        'nodes',
        '-l',
        'kinspect.dev/lab-role=ssh-only',
        '-o',
        'json',
      ]),
      spawnAsync(['kubectl', '--kubeconfig', P.kubeconfig, 'get', 'leases', '-n', 'kube-node-lease', '-o', 'json']),
    ])
    const at = new Date().toISOString().slice(11, 19)
    if (nodes.code !== 0 || leases.code !== 0) {
      problems.push(`${at}: kubectl failed: ${nodes.stderr}${leases.stderr}`)
    } else {
      const items = JSON.parse(nodes.stdout).items as any[]
      const notReady = items
        .filter((n) => !n.status?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True'))
        .map((n) => n.metadata.name)
      const renewed = new Map(
        (JSON.parse(leases.stdout).items as any[]).map((l) => [l.metadata.name, Date.parse(l.spec.renewTime)]),
      )
      const stale = items.map((n) => n.metadata.name).filter((n) => !(Date.now() - (renewed.get(n) ?? 0) < 16_000))
      if (items.length !== N) problems.push(`${at}: ${items.length} fan-out Nodes, expected ${N}`)
      if (notReady.length) problems.push(`${at}: not Ready: ${notReady.join(' ')}`)
      if (stale.length) problems.push(`${at}: lease not renewed within 16 s: ${stale.join(' ')}`)
    }
    await new Promise((r) => setTimeout(r, everyMs))
  }
  assert.ok(samples >= holdMs / everyMs - 1, `only ${samples} samples`)
  return problems
}

/** `ssh -F … NODE true` on each node, 10 at a time; returns the failures and the median time of a successful one. */
async function sshTrue(nodes: string[]): Promise<{ failed: string[]; medianMs: number }> {
  const failed: string[] = []
  const ms: number[] = []
  for (let i = 0; i < nodes.length; i += 10) {
    await Promise.all(
      nodes.slice(i, i + 10).map(async (n) => {
        const r = await spawnAsync(['ssh', '-F', P.sshConfig, '-o', 'BatchMode=yes', n, 'true'])
        if (r.code === 0) ms.push(r.ms)
        else failed.push(`${n}: exit ${r.code} ${r.stderr.trim()}`)
      }),
    )
  }
  ms.sort((a, b) => a - b)
  return { failed, medianMs: ms[Math.floor(ms.length / 2)] ?? NaN }
}

function tcpAccepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port, timeout: 3000 }, () => (s.destroy(), resolve(true)))
    s.on('error', () => resolve(false))
    s.on('timeout', () => (s.destroy(), resolve(false)))
  })
}

test.after(() => {
  labCli('fanout', '0')
})

test(`fanout ${N}: ${N} Nodes stay Ready for 35 s; every endpoint answers ssh true as ${FANOUT_USER} (dash, no rc file) with its own pinned host key`, async () => {
  const t0 = Date.now()
  const r = labCli('fanout', String(N))
  assert.equal(r.code, 0, r.stderr)
  const startedMs = Date.now() - t0
  const all = names(1, N)
  const [problems, ssh] = await Promise.all([holdReady(HOLD_MS), sshTrue(all)])
  assert.equal(problems, [], problems.join('\n'))
  assert.equal(ssh.failed, [], ssh.failed.join('\n'))
  // the user and its shell: what ssh_config says, and what the endpoint runs
  for (const n of all)
    assert.match(run(['ssh', '-G', '-F', P.sshConfig, n]).stdout, new RegExp(`^user ${FANOUT_USER}$`, 'm'), n)
  const who = run([
    'ssh',
    '-F',
    P.sshConfig,
    '-o',
    'BatchMode=yes',
    'lab-ssh-7',
    'id -un; echo "$0"; echo "$SSH_CONNECTION"',
  ]).stdout.split('\n')
  assert.equal(who.slice(0, 2), [FANOUT_USER, 'dash'])
  assert.match(who[2], /127\.0\.1\.7 2222$/)
  const keys = new Set(
    all.map((n) =>
      run(['ssh-keygen', '-F', `[${n}]:2222`, '-f', P.knownHosts])
        .stdout.split('\n')
        .find((l) => l.includes('ssh-ed25519'))!
        .split(' ')
        .pop(),
    ),
  )
  assert.is(keys.size, N, 'distinct host keys')
  console.log(`  fanout ${N}: Ready in ${(startedMs / 1000).toFixed(1)} s; ssh true median ${ssh.medianMs} ms`)
})

test(`fanout ${N} --blackhole 20: all ${N} stay Ready; 80 answer, 20 accept TCP and time out in the banner exchange; lab status names them`, async () => {
  const r = labCli('fanout', String(N), '--blackhole', '20')
  assert.equal(r.code, 0, r.stderr)
  const healthy = names(1, N - 20)
  const holes = names(N - 19, N)
  const holeChecks = Promise.all(
    holes.map(async (n) => {
      const addr = `127.0.1.${n.split('-').pop()}`
      const accepts = await tcpAccepts(addr, 2222)
      const s = await spawnAsync(['ssh', '-F', P.sshConfig, '-o', 'BatchMode=yes', n, 'true'], 20_000)
      return { n, accepts, ...s }
    }),
  )
  const [problems, ssh, holeResults] = await Promise.all([holdReady(HOLD_MS), sshTrue(healthy), holeChecks])
  assert.equal(problems, [], problems.join('\n'))
  assert.equal(ssh.failed, [], ssh.failed.join('\n'))
  for (const h of holeResults) {
    assert.ok(h.accepts, `${h.n} accepts TCP`)
    assert.is(h.code, 255, `${h.n}: ${h.stderr}`)
    assert.match(h.stderr, /Connection timed out during banner exchange/, h.n)
    assert.ok(h.ms >= 4_500, `${h.n} gave up after ${h.ms} ms, before ConnectTimeout`)
  }
  const status = labCli('status').stdout
  assert.ok(status.includes(`fan-out blackholed (accept TCP, never answer SSH): ${holes.join(' ')}`), status)
  assert.match(
    status,
    new RegExp(`fan-out: ${N} SSH-only nodes .*\\(user ${FANOUT_USER}\\), ${N} Ready; heartbeat running`),
  )
})

test('fanout 0 removes everything: no sshd, no heartbeat, no Nodes, no Leases, no ssh_config entries', () => {
  const r = labCli('fanout', '0')
  assert.equal(r.code, 0, r.stderr)
  assert.equal(kubectlJSON(['get', 'nodes', '-l', 'kinspect.dev/lab-role=ssh-only']).items.length, 0)
  const leases = (kubectlJSON(['get', 'leases', '-n', 'kube-node-lease']).items as any[]).map((l) => l.metadata.name)
  assert.equal(
    leases.filter((l) => l.startsWith('lab-ssh-')),
    [],
  )
  assert.equal(run(['pgrep', '-f', 'extra/lab-ssh-'], { ok: true }).stdout.trim(), '')
  assert.not.ok(fs.existsSync(path.join(RUN_DIR, 'heartbeat.pid')))
  assert.equal(run(['pgrep', '-f', `heartbeat --kubeconfig ${P.kubeconfig}`], { ok: true }).stdout.trim(), '')
  assert.not.match(fs.readFileSync(P.sshConfig, 'utf8'), /lab-ssh-/)
  assert.not.match(labCli('status').stdout, /fan-out/)
})

test('fanout rejects a bad count or blackhole count, naming the argument', () => {
  const r = labCli('fanout', '-3')
  assert.not.equal(r.code, 0)
  assert.match(r.stderr, /N must be a whole number from 1 to 250, got -3/)
  const k = labCli('fanout', '5', '--blackhole', '6')
  assert.not.equal(k.code, 0)
  assert.match(k.stderr, /--blackhole K must be a whole number from 0 to N \(5\), got 6/)
  const u = labCli('fanout', '5', '--blackholes', '2')
  assert.not.equal(u.code, 0)
  assert.match(u.stderr, /usage: fanout N \[--blackhole K\], got: fanout 5 --blackholes 2/)
})

test.run()
