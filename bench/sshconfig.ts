// Resolving a fleet's ssh settings: 100 names through the pool (ssh -G in a few sh loops, see sshg-batch.ts) against
// 100 `ssh -G` spawned by node one after another, and the built-in reader; wall time and this process's CPU (what
// the fleet's own handshakes compete with). No lab needed. Usage: node --import tsx bench/sshconfig.ts [NAMES] [ROUNDS]
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { SshPool } from '../src/exec/ssh/pool.ts'
import { resolveHost } from '../src/exec/ssh/sshconfig.ts'
import { findSsh } from '../src/exec/ssh/sshg.ts'
import { countArg, median } from './common.ts'

const NAMES = countArg(2, 100, 1, 1000)
const ROUNDS = countArg(3, 3, 1, 20)
const ssh = findSsh()
if (!ssh) throw new Error('no OpenSSH client: `ssh -V` failed')
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kinspect-bench-sshconfig-'))
const file = path.join(dir, 'ssh_config')
// A config shaped like a fleet's: a few specific hosts, a pattern for the nodes, a catch-all.
fs.writeFileSync(
  file,
  'Host bastion\n  HostName 192.0.2.1\n  User ops\nHost node-*\n  HostName %h.fleet.example\n  ProxyJump bastion\n  Port 2222\nHost *\n  User root\n  IdentityFile ~/.ssh/id_ed25519\n  StrictHostKeyChecking yes\n',
)
const names = Array.from({ length: NAMES }, (_, i) => `node-${i}`)

function sshG(name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(ssh!.path, ['-G', '-F', file, '--', name], { stdio: 'ignore' })
    child.on('error', reject)
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`ssh -G ${name} exited ${code}`))))
  })
}

const runs: Record<string, number[]> = { serial: [], pool: [], builtin: [], serialCpu: [], poolCpu: [] }
const cpu = (c: NodeJS.CpuUsage) => (c.user + c.system) / 1000
for (let r = 0; r < ROUNDS; r++) {
  let c0 = process.cpuUsage()
  let t0 = performance.now()
  for (const n of names) await sshG(n)
  runs.serial.push(performance.now() - t0)
  runs.serialCpu.push(cpu(process.cpuUsage(c0)))
  const pool = new SshPool({ configs: [{ text: fs.readFileSync(file, 'utf8'), path: file }] })
  c0 = process.cpuUsage()
  t0 = performance.now()
  await pool.resolveAll(names)
  runs.pool.push(performance.now() - t0)
  runs.poolCpu.push(cpu(process.cpuUsage(c0)))
  await pool.close()
  const text = fs.readFileSync(file, 'utf8')
  t0 = performance.now()
  for (const n of names) resolveHost(n, { text, path: file })
  runs.builtin.push(performance.now() - t0)
}
fs.rmSync(dir, { recursive: true, force: true })
const [s, p, b] = [median(runs.serial), median(runs.pool), median(runs.builtin)]
console.log(`${ssh.version}; ${os.cpus().length} cores; ${NAMES} names, median of ${ROUNDS} rounds`)
const [sc, pc] = [median(runs.serialCpu), median(runs.poolCpu)]
console.log(`pool.resolveAll (ssh -G, sh loops): ${p.toFixed(0)} ms, ${pc.toFixed(0)} ms of this process's CPU`)
console.log(
  `ssh -G spawned one after another:   ${s.toFixed(0)} ms (${(s / p).toFixed(1)}x the pool), ${sc.toFixed(0)} ms of CPU`,
)
console.log(`built-in reader:                    ${b.toFixed(0)} ms`)
