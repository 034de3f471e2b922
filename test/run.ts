// The test command: brings the lab up when e2e tests are selected, runs every uvu
// file in its own process, and ends with one "N passed, N failed" line.
// Skipped tests count as failed, and so does a file that registers no test (see run-account.ts).
// Usage: npm test [-- --unit] [-- FILTER...]
import { spawn, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { labPaths } from './lab/layout.ts'
import { accountFile } from './run-account.ts'
import { seedBase, seedEnv } from './run-seed.ts'

const root = path.resolve(import.meta.dirname, '..')
/** The lab lock (flock): held by each e2e file and by `up`, as by anyone who switches scenarios by hand. */
const LAB_LOCK = '/tmp/kinspect-lab-e2e.lock'
const args = process.argv.slice(2)
const unitOnly = args.includes('--unit')
const filters = args.filter((a) => !a.startsWith('--'))

function walk(dir: string): string[] {
  const out: string[] = []
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    if (e.name === 'node_modules' || e.name.startsWith('go') || e.name === 'fixtures') continue
    const p = path.join(dir, e.name)
    if (e.isDirectory()) out.push(...walk(p))
    else if (/\.(test|e2e)\.ts$/.test(e.name)) out.push(p)
  }
  return out.sort()
}

let files = walk(path.join(root, 'test'))
if (unitOnly) files = files.filter((f) => f.endsWith('.test.ts'))
if (filters.length) files = files.filter((f) => filters.some((x) => f.includes(x)))
// Unit tests first, then the lab's own scenario tests last (they break and mend the lab).
const rank = (f: string) => (f.endsWith('.test.ts') ? 0 : f.includes(`${path.sep}lab${path.sep}`) ? 2 : 1)
files.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b))

const seeds = seedBase(root)
console.log(`# property-test seeds: ${seeds.said}`)
const PRELOAD = path.join(root, 'test/property-seed.ts')

let passed = 0
let failed = 0
const failures: string[] = []

if (files.some((f) => f.endsWith('.e2e.ts'))) {
  console.log('# lab: making sure it is up (npm run lab -- up)')
  const r = spawnSync(
    'flock',
    ['-w', '3600', LAB_LOCK, process.execPath, '--import', 'tsx', path.join(root, 'test/lab/cli.ts'), 'up'],
    { stdio: 'inherit', cwd: root },
  )
  if (r.status !== 0) {
    console.log(`# lab: could not start (exit ${r.status}); every e2e test counts as failed. See the lab output above.`)
    const e2e = files.filter((f) => f.endsWith('.e2e.ts'))
    failed += e2e.length
    failures.push(...e2e.map((f) => `${path.relative(root, f)} (lab not up)`))
    files = files.filter((f) => f.endsWith('.test.ts'))
  }
}

interface FileRun {
  stdout: string
  out: string
  status: number | null
  signal: NodeJS.Signals | null
  timedOut: boolean
  ms: number
}

/** Runs one test file in its own process (an e2e file under the lab lock); bounded to 15 minutes. */
function runFile(f: string): Promise<FileRun> {
  // e2e files take the lab lock, as every command that changes the lab does (docs/CONTRIBUTING.md), so a scenario
  // switched by someone else's run never lands in the middle of one.
  const e2e = f.endsWith('.e2e.ts')
  const node = [process.execPath, '--import', 'tsx', '--import', PRELOAD, f]
  const argv = e2e ? ['-w', '3600', LAB_LOCK, ...node] : node.slice(1)
  const t0 = Date.now()
  return new Promise((resolve) => {
    const child = spawn(e2e ? 'flock' : process.execPath, argv, {
      cwd: root,
      env: { ...process.env, FORCE_COLOR: '0', ...seedEnv(seeds.base, path.relative(root, f), process.env) },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    let timedOut = false
    const timer = setTimeout(() => {
      timedOut = true
      child.kill('SIGKILL')
    }, 15 * 60_000)
    child.on('close', (status, signal) => {
      clearTimeout(timer)
      resolve({ stdout, out: stdout + stderr, status, signal, timedOut, ms: Date.now() - t0 })
    })
    child.on('error', (e) => {
      clearTimeout(timer)
      resolve({
        stdout,
        out: `${stdout}${stderr}${e.message}`,
        status: null,
        signal: null,
        timedOut: false,
        ms: Date.now() - t0,
      })
    })
  })
}

function report(f: string, r: FileRun): void {
  const rel = path.relative(root, f)
  const v = accountFile(r.stdout, { status: r.status, signal: r.signal, timedOut: r.timedOut })
  passed += v.passed
  failed += v.failed
  const left = f.endsWith('.e2e.ts') ? leftoverNodePods() : []
  if (left.length) failed += 1
  console.log(
    `${v.failed ? 'FAIL' : 'ok  '} ${rel}  (${v.passed} passed, ${v.failed} failed${v.skipped ? `, ${v.skipped} skipped` : ''}, ${(r.ms / 1000).toFixed(1)}s)${v.reason ? `: ${v.reason}` : ''}`,
  )
  if (v.failed) {
    failures.push(`${rel}: ${v.reason}`)
    console.log(
      r.out
        .split('\n')
        .map((l) => `    ${l}`)
        .join('\n'),
    )
  }
  if (left.length)
    console.log(`    left ${left.length} kinspect node pod(s)/DaemonSet(s) behind (now deleted): ${left.join(', ')}`)
}

// Unit files run two at a time (this machine has two cores; each file is its own process), reported in order;
// e2e files one at a time, since they share the lab.
const units = files.filter((f) => !f.endsWith('.e2e.ts'))
const e2es = files.filter((f) => f.endsWith('.e2e.ts'))
const UNIT_JOBS = Math.max(1, Number(process.env.KINSPECT_TEST_JOBS) || 2)
const pending = units.map(() => undefined as Promise<FileRun> | undefined)
let next = 0
const startNext = (): void => {
  if (next >= units.length) return
  const i = next++
  pending[i] = runFile(units[i]).then((r) => (startNext(), r))
}
for (let k = 0; k < UNIT_JOBS; k++) startNext()
for (let i = 0; i < units.length; i++) report(units[i], await pending[i]!)
for (const f of e2es) report(f, await runFile(f))

// Node pods and fleet DaemonSets (label app.kubernetes.io/managed-by=kinspect) an e2e file left on the lab; they are
// deleted (a DaemonSet first: it would make its pods again) so the next file starts clean.
function leftoverNodePods(): string[] {
  const kc = ['--kubeconfig', labPaths().kubeconfig]
  const sel = 'app.kubernetes.io/managed-by=kinspect'
  const list = (kind: string) =>
    (
      spawnSync(
        'kubectl',
        [
          ...kc,
          'get',
          kind,
          '-A',
          '-l',
          sel,
          '-o',
          'jsonpath={range .items[*]}{.metadata.namespace}/{.metadata.name} {end}',
        ],
        { encoding: 'utf8', timeout: 30_000 },
      ).stdout ?? ''
    )
      .split(' ')
      .filter(Boolean)
  const sets = list('daemonsets')
  for (const d of sets)
    spawnSync('kubectl', [...kc, 'delete', 'daemonset', '-n', d.split('/')[0], d.split('/')[1], '--wait=false'], {
      timeout: 30_000,
    })
  const left = list('pods')
  for (const p of left)
    spawnSync(
      'kubectl',
      [...kc, 'delete', 'pod', '-n', p.split('/')[0], p.split('/')[1], '--grace-period=1', '--wait=false'],
      { timeout: 30_000 },
    )
  return [...sets.map((d) => `daemonset ${d}`), ...left]
}

if (failures.length) console.log(`\nfailed files:\n${failures.map((f) => `  ${f}`).join('\n')}`)
console.log(`${passed} passed, ${failed} failed`)
process.exit(failed || passed === 0 ? 1 : 0)
