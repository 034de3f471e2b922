// Lab timings: `up` from a torn-down lab (binaries and images cached) and each scenario's on/off switch.
// Peer: kubectl's own round trip (`kubectl get --raw /readyz`) measured in the same run, for scale.
// Usage: npm run bench -- lab   (takes the lab down and up: do not run while tests use the lab)
import { spawnSync } from 'node:child_process'
import path from 'node:path'
import { SCENARIOS } from '../test/lab/scenarios.ts'
import { labPaths } from '../test/lab/layout.ts'

const cli = path.resolve(import.meta.dirname, '../test/lab/cli.ts')
function timed(args: string[]): number {
  const t0 = performance.now()
  const r = spawnSync(process.execPath, ['--import', 'tsx', cli, ...args], { encoding: 'utf8', timeout: 300_000 })
  if (r.status !== 0) throw new Error(`lab ${args.join(' ')} failed: ${r.stderr.slice(-500)}`)
  return (performance.now() - t0) / 1000
}
function kubectlReadyz(): number {
  const t0 = performance.now()
  spawnSync('kubectl', ['--kubeconfig', labPaths().kubeconfig, 'get', '--raw', '/readyz'], { timeout: 30_000 })
  return (performance.now() - t0) / 1000
}

const rows: Array<[string, string]> = []
timed(['down'])
rows.push(['up from down (cached)', `${timed(['up']).toFixed(1)} s`])
for (const s of SCENARIOS) {
  const on = timed(['scenario', s.name, 'on'])
  const off = timed(['scenario', s.name, 'off'])
  rows.push([`scenario ${s.name}`, `on ${on.toFixed(1)} s / off ${off.toFixed(1)} s`])
}
rows.push(['peer: kubectl get --raw /readyz', `${kubectlReadyz().toFixed(2)} s`])
const w = Math.max(...rows.map((r) => r[0].length))
for (const [k, v] of rows) console.log(`${k.padEnd(w)}  ${v}`)
