// Latency of `true` on the lab node: pooled ssh2 channel vs a fresh `ssh` process vs OpenSSH ControlMaster.
// Usage: node --import tsx bench/ssh.ts [N]   (needs the lab: npm run lab -- up)
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { labEnvVars, labPaths } from '../test/lab/layout.ts'
// Host: lab-1 (root, bash) by default; lab-1-dash logs in with dash, which reads no rc files.
const NODE = process.argv[3] ?? 'lab-1'
import { NodeHandle } from '../src/exec/node.ts'
import { SshPool } from '../src/exec/ssh/pool.ts'
import { countArg } from './common.ts'

const N = countArg(2, 50, 1, 500)
const CALL_TIMEOUT_MS = 10_000
const lab = labPaths()

// Runs a process to completion (bounded); rejects on a non-zero exit.
function run(argv: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] })
    let err = ''
    child.stderr.on('data', (b) => (err += b))
    const t = setTimeout(() => child.kill('SIGKILL'), CALL_TIMEOUT_MS)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(t)
      code === 0 ? resolve() : reject(new Error(`${argv.join(' ')} exited ${code}: ${err.trim()}`))
    })
  })
}

// Interleaves the methods (rotating order each round) so load drift on the machine hits them alike.
async function measure(
  methods: { name: string; once: () => Promise<unknown> }[],
): Promise<{ name: string; ms: number[] }[]> {
  for (const m of methods) await m.once() // warm-up: connection set-up is not what is measured
  const ms = methods.map(() => [] as number[])
  for (let i = 0; i < N; i++) {
    for (let k = 0; k < methods.length; k++) {
      const j = (i + k) % methods.length
      const t0 = performance.now()
      await methods[j].once()
      ms[j].push(performance.now() - t0)
    }
  }
  return methods.map((m, j) => ({ name: m.name, ms: ms[j] }))
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]
}

async function main(): Promise<void> {
  if (!fs.existsSync(lab.sshConfig)) {
    console.error(`no lab ssh config at ${lab.sshConfig}: start the lab first (npm run lab -- up)`)
    process.exit(1)
  }
  const ssh = ['ssh', '-F', lab.sshConfig, '-o', `UserKnownHostsFile=${lab.knownHosts}`, '-o', 'BatchMode=yes']
  const ctl = fs.mkdtempSync(path.join(os.tmpdir(), 'kinspect-bench-'))
  const cm = [...ssh, '-o', 'ControlMaster=auto', '-o', `ControlPath=${ctl}/cm-%C`, '-o', 'ControlPersist=60']
  const pool = new SshPool({ env: { ...process.env, ...labEnvVars() } })
  const node = new NodeHandle(pool.exec(NODE)).timeout(CALL_TIMEOUT_MS)
  let results: { name: string; ms: number[] }[] = []
  try {
    results = await measure([
      { name: 'ssh2 pooled channel (node.$`true`)', once: () => node.$`true` },
      // As the shell runs every command: abortable, so its pid is announced first (sh -c … exec; src/exec/ssh/stop.ts).
      {
        name: '  the same, abortable (as in the shell)',
        once: () => node.with({ signal: new AbortController().signal }).$`true`,
      },
      { name: 'fresh ssh process', once: () => run([...ssh, NODE, 'true']) },
      { name: 'ssh via ControlMaster socket', once: () => run([...cm, NODE, 'true']) },
    ])
  } finally {
    await pool.close()
    await run([...cm, '-O', 'exit', NODE]).catch(() => {})
    fs.rmSync(ctl, { recursive: true, force: true })
  }
  console.log(`\`true\` on ${NODE}, N=${N} each, interleaved (after one warm-up call each)\n`)
  console.log(`${'method'.padEnd(40)} ${'median ms'.padStart(10)} ${'p90 ms'.padStart(8)}`)
  for (const r of results) {
    const s = [...r.ms].sort((a, b) => a - b)
    console.log(`${r.name.padEnd(40)} ${pct(s, 50).toFixed(1).padStart(10)} ${pct(s, 90).toFixed(1).padStart(8)}`)
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e)
  process.exit(1)
})
