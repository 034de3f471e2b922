// One command on the 100 fan-out endpoints (npm run lab -- fanout 100; login user kinspect-dash, whose dash reads no
// rc file, so the figures measure the clients): kinspect's fleet cold (a new session: ssh config resolution and 100
// handshakes) and warm (the pool open), against pssh (parallel-ssh -p 32), clush (-f 64) and xargs -P 32 ssh, in the
// same run, rounds interleaved. Then 20 endpoints blackholed with a 5 s timeout: `kinspect fleet` as a process, to
// its exit, and the peers with their own 5 s timeouts.
// Each measurement starts once the one before has left no sshd or ssh process behind (settle(), bounded to 5 s).
// Usage (holds the lab: run under the lock): flock /tmp/kinspect-lab-e2e.lock node --import tsx bench/fleet.ts [ROUNDS]
// The peers are installed by bench/install-peers.sh (run here; idempotent). The fan-out is removed at the end.
import { spawn, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { loadConfig } from '../src/config.ts'
import { bindFleet } from '../src/fleet/index.ts'
import { Session } from '../src/session.ts'
import { labEnvVars, labPaths } from '../test/lab/layout.ts'
import { countArg, median } from './common.ts'

const ROUNDS = countArg(2, 3, 1, 10)
const root = path.resolve(import.meta.dirname, '..')
const N = 100
const HOLES = 20
// `kinspect fleet` runs from the built dist/ (built here first), as an installed kinspect does.
const env = { ...process.env, ...labEnvVars(), NO_COLOR: '1', KINSPECT_FROM_SOURCE: '0' }
const P = labPaths()
const venv = process.env.KINSPECT_BENCH_VENV ?? path.join(os.homedir(), '.cache/kinspect-bench/venv')
const hosts = Array.from({ length: N }, (_, i) => `lab-ssh-${i + 1}`)
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kinspect-bench-fleet-'))
const hostsFile = path.join(tmp, 'hosts')
fs.writeFileSync(hostsFile, `${hosts.join('\n')}\n`)
const sshOpts = ['-F', P.sshConfig, '-o', 'BatchMode=yes']

function labCli(...args: string[]): void {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(root, 'test/lab/cli.ts'), ...args], {
    cwd: root,
    env,
    encoding: 'utf8',
    timeout: 600_000,
  })
  if (r.status !== 0) throw new Error(`lab ${args.join(' ')} exited ${r.status}: ${r.stderr}`)
}

/** sshd and ssh processes now: what a measurement leaves behind while sshd tears its connections down. */
function sshProcesses(): number {
  let n = 0
  for (const pid of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue
    try {
      const comm = fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim()
      if (comm === 'ssh' || comm.startsWith('sshd')) n++
    } catch {
      // gone already
    }
  }
  return n
}

let quietCount = Infinity
/**
 * Waits (at most 5 s) until the previous measurement's connections are gone (as few sshd/ssh processes as when the
 * endpoints were idle), so that each one, kinspect's and the peers' alike, starts on a machine that is not still
 * tearing down the one before (on 2 cores that teardown took CPU from the next start).
 */
async function settle(): Promise<void> {
  const end = Date.now() + 5000
  while (sshProcesses() > quietCount && Date.now() < end) await new Promise((r) => setTimeout(r, 50))
}

/** Runs a process to its exit; the time, exit code and output. */
function timed(
  argv: string[],
  opts: { input?: string; timeoutMs?: number } = {},
): Promise<{ ms: number; code: number | null; out: string; err: string }> {
  return settle().then(() => run(argv, opts))
}

function run(
  argv: string[],
  opts: { input?: string; timeoutMs?: number },
): Promise<{ ms: number; code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now()
    const child = spawn(argv[0], argv.slice(1), { cwd: root, env, stdio: ['pipe', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    child.stdout.on('data', (d) => (out += d))
    child.stderr.on('data', (d) => (err += d))
    const t = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000)
    child.on('error', reject)
    child.on('exit', (code) => {
      clearTimeout(t)
      resolve({ ms: performance.now() - t0, code, out, err })
    })
    child.stdin.end(opts.input ?? '')
  })
}

/** The peers, each as argv for `true` on every host (timeoutS: their own per-host timeout, for the blackholed case). */
function peers(timeoutS?: number): { name: string; argv: string[] }[] {
  const xargsSsh = [
    'xargs',
    '-P',
    '32',
    '-I{}',
    ...(timeoutS ? ['timeout', String(timeoutS)] : []),
    'ssh',
    ...sshOpts,
    '{}',
    'true',
  ]
  return [
    {
      name: 'pssh (parallel-ssh -p 32)',
      argv: [
        'parallel-ssh',
        '-p',
        '32',
        '-t',
        String(timeoutS ?? 0),
        '-h',
        hostsFile,
        '-x',
        `-F ${P.sshConfig}`,
        '-O',
        'BatchMode=yes',
        'true',
      ],
    },
    {
      name: 'clush -f 64',
      argv: [
        path.join(venv, 'bin/clush'),
        '-f',
        '64',
        '-S',
        ...(timeoutS ? ['-t', String(timeoutS), '-u', String(timeoutS)] : []),
        '-o',
        `-F ${P.sshConfig} -oBatchMode=yes`,
        '-w',
        `lab-ssh-[1-${N}]`,
        'true',
      ],
    },
    {
      name: 'xargs -P 32 ssh',
      argv: ['sh', '-c', `printf '%s\\n' ${hosts.join(' ')} | ${xargsSsh.map((a) => `'${a}'`).join(' ')}`],
    },
  ]
}

const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`

/** kinspect in one process: a new session (cold: resolution + ssh2's load + handshakes), then the same fleet again (warm). */
async function kinspectInProcess(resolver?: 'built-in'): Promise<{ cold: number; warm: number[]; ok: number }> {
  const e = resolver ? { ...env, KINSPECT_SSH_RESOLVER: resolver } : env
  const session = await Session.create({ config: loadConfig({ cwd: root, env: e }), env: e })
  try {
    const fleet = bindFleet(session)
    // The session is loaded first, as the shell loads it at start; cold is the ssh side: config resolution, ssh2's
    // first load, 100 handshakes and the command.
    await session.load()
    await settle()
    const t0 = performance.now()
    const first = await fleet(hosts).timeout(30_000).$`true`
    const cold = performance.now() - t0
    const warm: number[] = []
    for (let i = 0; i < 5; i++) {
      const t1 = performance.now()
      const again = await fleet(hosts).timeout(30_000).$`true`
      warm.push(performance.now() - t1)
      if (!again.ok) throw new Error(`warm run failed: ${JSON.stringify(again.errors())}`)
    }
    if (!first.ok) throw new Error(`cold run failed: ${JSON.stringify(first.errors())}`)
    return { cold, warm, ok: first.succeeded.length }
  } finally {
    await session.close()
  }
}

const kinspectCli = (args: string[]) => timed([process.execPath, path.join(root, 'bin/kinspect.mjs'), 'fleet', ...args])

async function main(): Promise<void> {
  spawnSync('bash', [path.join(root, 'bench/install-peers.sh')], { stdio: 'inherit' })
  const built = spawnSync('npm', ['run', '-s', 'build'], { cwd: root, stdio: 'inherit' })
  if (built.status !== 0) throw new Error('npm run build failed')
  const load = () => fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')
  labCli('fanout', String(N))
  await new Promise((r) => setTimeout(r, 1000))
  quietCount = sshProcesses()
  const rows: Record<string, number[]> = {}
  const add = (k: string, ms: number) => (rows[k] ??= []).push(ms)
  let warm: number[] = []
  /** Healthy nodes that answered, per blackholed variant and round (80 expected; fewer: slower than the timeout). */
  const okCounts: Record<string, number[]> = {}
  try {
    console.log(`# ${N} endpoints, ${ROUNDS} rounds interleaved; load ${load()}; ${os.cpus().length} cores`)
    for (let r = 0; r < ROUNDS; r++) {
      const k = await kinspectInProcess()
      if (k.ok !== N) throw new Error(`kinspect: ${k.ok} of ${N} ok`)
      add('kinspect fleet, cold (new session, in process)', k.cold)
      warm = warm.concat(k.warm)
      // the share of ssh -G (a process per node) in the cold time: the same with the built-in ssh_config reader
      add('kinspect fleet, cold, KINSPECT_SSH_RESOLVER=built-in', (await kinspectInProcess('built-in')).cold)
      const cli = await kinspectCli([...hosts, '--', 'true'])
      if (cli.code !== 0) throw new Error(`kinspect fleet exited ${cli.code}: ${cli.err}`)
      add('kinspect fleet, cold (the CLI process, to its exit)', cli.ms)
      for (const p of peers()) {
        const t = await timed(p.argv)
        if (t.code !== 0) throw new Error(`${p.name} exited ${t.code}: ${(t.err || t.out).slice(0, 400)}`)
        add(`${p.name}, cold`, t.ms)
      }
    }
    add('kinspect fleet, warm (the pool open)', median(warm))
    labCli('fanout', String(N), '--blackhole', String(HOLES))
    await new Promise((r) => setTimeout(r, 1000))
    quietCount = sshProcesses()
    console.log(`# ${HOLES} of ${N} blackholed (accept TCP, never answer SSH); 5 s per-node timeout; load ${load()}`)
    for (let r = 0; r < ROUNDS; r++) {
      // -o json gives the fleet's own duration: the rest of the process time is start-up, the node list and the exit.
      for (const [label, flags] of [
        ['kinspect fleet -f 64 --timeout 5s', ['--timeout', '5s']],
        [`kinspect fleet -f ${N} --timeout 5s`, ['-f', String(N), '--timeout', '5s']],
        ['kinspect fleet --deadline 5s (overall)', ['--deadline', '5s']],
      ] as const) {
        const cli = await kinspectCli(['-l', 'kinspect.dev/lab-role=ssh-only', ...flags, '-o', 'json', '--', 'true'])
        const doc = JSON.parse(cli.out) as { durationMs: number; results: { ok: boolean }[] }
        const ok = doc.results.filter((x) => x.ok).length
        if (cli.code !== 1) throw new Error(`${label} (blackholed) exited ${cli.code}: ${cli.err.slice(0, 400)}`)
        add(`blackholed: ${label}, to process exit`, cli.ms)
        add(`blackholed: ${label}, the fleet itself`, doc.durationMs)
        ;(okCounts[label] ??= []).push(ok)
      }
      for (const p of peers(5)) add(`blackholed: ${p.name}, 5 s timeout`, (await timed(p.argv)).ms)
    }
  } finally {
    labCli('fanout', '0')
    fs.rmSync(tmp, { recursive: true, force: true })
  }
  console.log(`\n${'what'.padEnd(66)} ${'median'.padStart(8)}   all`)
  for (const [k, v] of Object.entries(rows))
    console.log(`${k.padEnd(66)} ${s(median(v)).padStart(8)}   ${v.map((x) => (x / 1000).toFixed(2)).join(' ')}`)
  for (const [k, v] of Object.entries(okCounts))
    console.log(`blackholed: ${k}: healthy nodes answered per round: ${v.join(' ')} of ${N - HOLES}`)
  const cold = median(rows['kinspect fleet, cold (new session, in process)'])
  const coldCli = median(rows['kinspect fleet, cold (the CLI process, to its exit)'])
  const peerCold = Math.min(...peers().map((p) => median(rows[`${p.name}, cold`])))
  const w = median(warm)
  const hole = median(rows['blackholed: kinspect fleet --deadline 5s (overall), to process exit'])
  console.log(
    `\ncold vs the fastest peer: ${(peerCold / cold).toFixed(1)}x in process, ${(peerCold / coldCli).toFixed(1)}x as a process (target 3x)`,
  )
  console.log(`warm vs the fastest peer's cold: ${(peerCold / w).toFixed(0)}x (target 20x)`)
  console.log(`blackholed with --deadline 5s, spawn to process exit: ${s(hole)} (target: 5 s + 10% = 5.50 s)`)
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e)
  process.exit(1)
})
