// Start-up of a one-shot command: median time from spawning `kinspect -e 1` to its exit, with `node -e 0` and
// `kubectl version --client` measured in the same run (interleaved, so load affects each the same).
// Usage: node --import tsx bench/eval.ts [RUNS] [LABEL=BIN...]   (default 10 runs of bin/kinspect.mjs, which picks
// dist/ or the sources itself; LABEL=BIN measures other copies of the launcher in the same run, e.g. an old one)
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { median } from './common.ts'

const root = path.resolve(import.meta.dirname, '..')
const bin = path.join(root, 'bin', 'kinspect.mjs')
const runs = Number(process.argv[2] ?? 10)
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kinspect-bench-eval-'))
// -e 1 needs no cluster; a kubeconfig that does not exist keeps the run off any cluster.
const { KINSPECT_CONFIG: _c, ...base } = process.env
const env = { ...base, KUBECONFIG: path.join(dir, 'none'), HOME: dir, XDG_CONFIG_HOME: dir }

/** ms from spawn to exit; rejects when the command fails. */
function time(cmd: string, args: string[], e: NodeJS.ProcessEnv = process.env): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now()
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], env: e })
    let err = ''
    child.stderr.on('data', (d) => (err += d))
    child.on('error', reject)
    child.on('exit', (code) =>
      code === 0
        ? resolve(performance.now() - t0)
        : reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${err}`)),
    )
  })
}

const bins = process.argv.slice(3).map((a) => a.split('=') as [string, string])
const cases: [string, () => Promise<number>][] = [
  ...(bins.length ? bins : [['kinspect', bin] as [string, string]]).map(
    ([label, b]): [string, () => Promise<number>] => [
      `${label} -e 1`,
      () => time(process.execPath, [b, '-e', '1'], env),
    ],
  ),
  ['kubectl version --client', () => time('kubectl', ['version', '--client'])],
  ['node -e 0', () => time(process.execPath, ['-e', '0'])],
]
const xs: number[][] = cases.map(() => [])
for (const [, f] of cases) await f() // warm the file cache
for (let i = 0; i < runs; i++) for (const [j, [, f]] of cases.entries()) xs[j].push(await f())
console.log(
  `# ${runs} runs each, interleaved, ${os.cpus().length} CPUs, load ${os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}; dist/ built: ${fs.existsSync(path.join(root, 'dist', 'cli.cjs'))}`,
)
for (const [j, [name]] of cases.entries())
  console.log(
    `${name.padEnd(30)} median ${median(xs[j]).toFixed(0).padStart(5)} ms   min ${Math.min(...xs[j])
      .toFixed(0)
      .padStart(5)}   max ${Math.max(...xs[j])
      .toFixed(0)
      .padStart(5)}`,
  )
fs.rmSync(dir, { recursive: true, force: true })
