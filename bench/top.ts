// top() benchmark: median of a warm `kube.top()` (pods of every namespace, and nodes) vs spawning `kubectl top`.
// Both read the same metrics-server through the aggregation layer; the difference is process start and discovery.
// Usage: node --import tsx bench/top.ts [RUNS]   (default 20; needs the lab: npm run lab -- up)
import { spawnSync } from 'node:child_process'
import { performance } from 'node:perf_hooks'
import { labPaths } from '../test/lab/layout.ts'
import { Kube, loadKubeconfig } from '../src/kube/index.ts'
import { renderTable } from '../src/render/table.ts'
import { median } from './common.ts'

const KC = labPaths().kubeconfig
const RUNS = Math.min(100, Math.max(1, Number(process.argv[2] ?? 20)))

function kubectlMs(args: string[]): number {
  const t0 = performance.now()
  const r = spawnSync('kubectl', ['--kubeconfig', KC, ...args], { encoding: 'utf8', timeout: 30_000 })
  if (r.status !== 0)
    throw new Error(`kubectl ${args.join(' ')} failed: ${(r.stderr || r.error?.message || '').trim()}`)
  return performance.now() - t0
}
async function oursMs(fn: () => Promise<unknown[]>): Promise<number> {
  const t0 = performance.now()
  const rows = await fn()
  if (rows.length === 0) throw new Error('top() returned no rows: is metrics-server serving? (kubectl top nodes)')
  return performance.now() - t0
}

const kube = new Kube(loadKubeconfig({ kubeconfig: KC }))
const cases: Array<[string, () => Promise<unknown[]>, string[]]> = [
  ["top('pods', {allNamespaces: true})", () => kube.top('pods', { allNamespaces: true }), ['top', 'pods', '-A']],
  ["top('nodes')", () => kube.top('nodes'), ['top', 'nodes']],
]
const rows: string[][] = []
for (const [name, fn, args] of cases) {
  await fn() // warm: TLS connection open
  const ours: number[] = []
  const theirs: number[] = []
  for (let i = 0; i < RUNS; i++) {
    ours.push(await oursMs(fn))
    theirs.push(kubectlMs(args))
  }
  const a = median(ours)
  const b = median(theirs)
  rows.push([name, `${a.toFixed(1)} ms`, `kubectl ${args.join(' ')}`, `${b.toFixed(0)} ms`, `${(b / a).toFixed(1)}×`])
}
console.log(
  renderTable(['KINSPECT (warm, median)', 'MS', 'PEER (new process, median)', 'MS', 'RATIO'], rows, { color: false }),
)
console.log(`runs: ${RUNS} each, interleaved`)
process.exit(0)
