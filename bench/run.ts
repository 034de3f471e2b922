// Runs the named benchmarks (default: all but lab), each printing its own table with its peer.
// Usage: npm run bench [-- pods ssh startup top triage lab]
import { spawnSync } from 'node:child_process'
import path from 'node:path'

const all = ['startup', 'pods', 'ssh', 'top', 'triage']
const names = process.argv.slice(2).length ? process.argv.slice(2) : all
let failed = 0
for (const n of names) {
  console.log(`\n## bench/${n}.ts`)
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, `${n}.ts`)], {
    stdio: 'inherit',
    timeout: 30 * 60_000,
  })
  if (r.status !== 0) failed++
}
process.exit(failed ? 1 : 0)
