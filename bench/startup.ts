// Start-up benchmark: median time from spawning `kinspect` to its prompt (built dist/ and from source via
// tsx), next to `kubectl version --client` measured in the same run as the peer.
// Usage: node --import tsx bench/startup.ts [RUNS]   (default 20)
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { labEnvVars, labPaths } from '../test/lab/layout.ts'

const root = path.resolve(import.meta.dirname, '..')
const bin = path.join(root, 'bin', 'kinspect.mjs')
const runs = Number(process.argv[2] ?? 20)

/** The lab's environment when the lab is there, else a throw-away kubeconfig and .recipes (same parsing work). */
function benchEnv(): { env: NodeJS.ProcessEnv; what: string } {
  if (fs.existsSync(labPaths().kubeconfig))
    return { env: { ...process.env, ...labEnvVars() }, what: 'lab kubeconfig and .recipes' }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kinspect-bench-'))
  fs.writeFileSync(
    path.join(dir, 'kubeconfig'),
    `apiVersion: v1\nkind: Config\ncurrent-context: bench\nclusters:\n- name: bench\n  cluster: {server: 'https://127.0.0.1:1'}\nusers:\n- name: bench\n  user: {token: x}\ncontexts:\n- name: bench\n  context: {cluster: bench, user: bench, namespace: shop}\n`,
  )
  fs.writeFileSync(
    path.join(dir, '.recipes'),
    'context: bench\nnamespace: shop\nnodes:\n  - match: "lab-*"\n    user: root\n    port: 2222\n',
  )
  return {
    env: { ...process.env, KUBECONFIG: path.join(dir, 'kubeconfig'), KINSPECT_CONFIG: path.join(dir, '.recipes') },
    what: 'a throw-away kubeconfig (unreachable server) and .recipes',
  }
}

/** ms from spawn to the first prompt on stdout; then .exit. */
function timeToPrompt(env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now()
    const child = spawn(process.execPath, [bin], { env, stdio: ['pipe', 'pipe', 'pipe'] })
    let out = ''
    let t = -1
    child.stdout.on('data', (d) => {
      out += d
      if (t < 0 && /> $/.test(out)) {
        t = performance.now() - t0
        child.stdin.end('.exit\n')
      }
    })
    child.on('error', reject)
    child.on('exit', (code) =>
      t >= 0 ? resolve(t) : reject(new Error(`kinspect exited ${code} before its prompt: ${out}`)),
    )
  })
}

/** ms from spawn to exit of a command. */
function timeCommand(cmd: string, args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now()
    const child = spawn(cmd, args, { stdio: 'ignore' })
    child.on('error', reject)
    child.on('exit', () => resolve(performance.now() - t0))
  })
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}

async function series(
  name: string,
  f: () => Promise<number>,
): Promise<{ name: string; median: number; min: number; max: number }> {
  await f() // warm the file cache
  const xs: number[] = []
  for (let i = 0; i < runs; i++) xs.push(await f())
  return { name, median: median(xs), min: Math.min(...xs), max: Math.max(...xs) }
}

const { env, what } = benchEnv()
const distBuilt = fs.existsSync(path.join(root, 'dist', 'cli.js'))
const rows = []
if (distBuilt)
  rows.push(await series('kinspect to prompt (dist/)', () => timeToPrompt({ ...env, KINSPECT_FROM_SOURCE: '0' })))
rows.push(await series('kinspect to prompt (source, tsx)', () => timeToPrompt({ ...env, KINSPECT_FROM_SOURCE: '1' })))
rows.push(await series('kubectl version --client', () => timeCommand('kubectl', ['version', '--client'])))
rows.push(await series('node -e 0 (floor)', () => timeCommand(process.execPath, ['-e', '0'])))

console.log(
  `# start-up, ${runs} runs each, ${os.cpus().length} CPUs, load ${os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}; config: ${what}`,
)
if (!distBuilt) console.log('# dist/ is not built (npm run build): only the source path is measured')
for (const r of rows)
  console.log(
    `${r.name.padEnd(36)} median ${r.median.toFixed(0).padStart(5)} ms   min ${r.min.toFixed(0).padStart(5)}   max ${r.max.toFixed(0).padStart(5)}`,
  )
const dist = rows.find((r) => r.name.includes('dist/'))
if (dist)
  console.log(`budget 300 ms: ${dist.median <= 300 ? 'met' : 'NOT met'} (dist median ${dist.median.toFixed(0)} ms)`)
