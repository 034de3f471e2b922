// Triage benchmark: `kinspect triage` for one namespace and for -A as a user runs it (a new process: start-up,
// client-node, TLS, every list, analysis, rendering), the same triage() warm in this process, and the peer
// `kubectl get all -A -o json` (one process reading pods, Services, workloads of every namespace), interleaved.
// Targets: ≤ 2 s for a namespace, ≤ 5 s for -A. Usage: node --import tsx bench/triage.ts [RUNS]  (default 10; the lab)
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { labEnvVars, labPaths } from '../test/lab/layout.ts'
import { Kube, loadKubeconfig } from '../src/kube/index.ts'
import { triage } from '../src/triage/index.ts'
import { renderTable } from '../src/render/table.ts'
import { median } from './common.ts'

const root = path.resolve(import.meta.dirname, '..')
const RUNS = Math.min(50, Math.max(1, Number(process.argv[2] ?? 10)))
const env = { ...process.env, ...labEnvVars(), NO_COLOR: '1' }
const dist = fs.existsSync(path.join(root, 'dist', 'cli.cjs'))

/** ms from spawn to exit; exit codes 0 and 1 are both a finished triage (1: it found something). */
function timed(cmd: string, args: string[], extra: NodeJS.ProcessEnv = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now()
    const child = spawn(cmd, args, { env: { ...env, ...extra }, stdio: ['ignore', 'ignore', 'pipe'] })
    let err = ''
    child.stderr.on('data', (d) => (err += d))
    child.on('error', reject)
    child.on('exit', (code) =>
      code === 0 || code === 1
        ? resolve(performance.now() - t0)
        : reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${err.trim()}`)),
    )
  })
}

const kinspect = (args: string[]) =>
  timed(process.execPath, [path.join(root, 'bin', 'kinspect.mjs'), 'triage', ...args], {
    KINSPECT_FROM_SOURCE: dist ? '0' : '1',
  })
const kube = new Kube(loadKubeconfig({ kubeconfig: labPaths().kubeconfig }), { namespace: 'shop' })
const session = { kube, namespace: 'shop', context: 'kinspect-lab' }
const warm = async (scope: Parameters<typeof triage>[1]) => {
  const t0 = performance.now()
  await triage(session, scope)
  return performance.now() - t0
}

const cases: Array<[string, () => Promise<number>]> = [
  [`kinspect triage -n shop (new process, ${dist ? 'dist/' : 'source via tsx'})`, () => kinspect(['-n', 'shop'])],
  [`kinspect triage -A (new process, ${dist ? 'dist/' : 'source via tsx'})`, () => kinspect(['-A'])],
  ['triage() -n shop, warm in-process', () => warm({ scope: { namespaces: ['shop'] } })],
  ['triage() -A, warm in-process', () => warm({ scope: { allNamespaces: true } })],
  [
    'peer: kubectl get all -A -o json',
    () => timed('kubectl', ['--kubeconfig', labPaths().kubeconfig, 'get', 'all', '-A', '-o', 'json']),
  ],
]
for (const [, f] of cases) await f() // warm file caches and this process's connection
const samples = cases.map(() => [] as number[])
for (let i = 0; i < RUNS; i++) for (const [k, [, f]] of cases.entries()) samples[k].push(await f())
kube.close()

const pods = (
  await new Kube(loadKubeconfig({ kubeconfig: labPaths().kubeconfig })).pods(undefined, { allNamespaces: true })
).length
console.log(
  `# triage, ${RUNS} runs each, interleaved; ${os.cpus().length} CPUs, load ${os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}; ${pods} pods in the cluster`,
)
if (!dist)
  console.log('# dist/ is not built (npm run build): the CLI runs from source through tsx (about 0.3 s more start-up)')
console.log(
  renderTable(
    ['WHAT', 'MEDIAN', 'MIN', 'MAX'],
    cases.map(([name], k) => [
      name,
      `${median(samples[k]).toFixed(0)} ms`,
      `${Math.min(...samples[k]).toFixed(0)} ms`,
      `${Math.max(...samples[k]).toFixed(0)} ms`,
    ]),
    { color: false },
  ),
)
const ns = median(samples[0])
const all = median(samples[1])
console.log(
  `targets: namespace ≤ 2000 ms: ${ns <= 2000 ? 'met' : 'NOT met'} (${ns.toFixed(0)} ms); -A ≤ 5000 ms: ${all <= 5000 ? 'met' : 'NOT met'} (${all.toFixed(0)} ms)`,
)
process.exit(0)
