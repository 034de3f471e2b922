// The network helpers with SSH unavailable: `lab ssh off` (every sshd stopped, the config without ssh settings), then
// each helper's e2e file again with KINSPECT_E2E_TRANSPORT=pod, so every node command goes through a node pod (the
// files check that, and that no pod is left). SSH is turned on again whatever happens.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import path from 'node:path'
import { kinspectPods } from './labkit.ts'

const root = path.resolve(import.meta.dirname, '../..')
const FILES = [
  'test/net/netns.e2e.ts',
  'test/net/veth.e2e.ts',
  'test/net/dns.e2e.ts',
  'test/net/conntrack.e2e.ts',
  'test/net/discover.e2e.ts',
  'test/net/svc/svc-rules.e2e.ts',
]

function lab(...args: string[]): void {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(root, 'test/lab/cli.ts'), ...args], {
    cwd: root,
    encoding: 'utf8',
    timeout: 120_000,
  })
  assert.is(r.status, 0, `lab ${args.join(' ')}: ${r.stdout}${r.stderr}`)
}

// Never leave the lab with ssh off: if this file is stopped (the test runner's timeout sends SIGTERM), the child is
// stopped and ssh turned on before exiting.
let child: ChildProcess | undefined
for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
  process.once(sig, () => {
    child?.kill('SIGTERM')
    spawnSync(process.execPath, ['--import', 'tsx', path.join(root, 'test/lab/cli.ts'), 'ssh', 'on'], {
      cwd: root,
      stdio: 'inherit',
      timeout: 120_000,
    })
    process.exit(1)
  })
}

/** Runs one test file with the pod transport (bounded to 10 minutes); its exit code and output. */
function runFile(file: string): Promise<{ status: number | null; out: string }> {
  return new Promise((resolve) => {
    let out = ''
    child = spawn(process.execPath, ['--import', 'tsx', path.join(root, file)], {
      cwd: root,
      env: { ...process.env, KINSPECT_E2E_TRANSPORT: 'pod', FORCE_COLOR: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    child.stdout!.on('data', (d) => (out += d))
    child.stderr!.on('data', (d) => (out += d))
    const timer = setTimeout(() => child?.kill('SIGTERM'), 10 * 60_000)
    child.on('exit', (status) => {
      clearTimeout(timer)
      child = undefined
      resolve({ status, out })
    })
  })
}

test.before(() => lab('ssh', 'off'))
test.after(() => lab('ssh', 'on'))

for (const file of FILES) {
  test(`${file} over the node pod, with ssh off`, async () => {
    const r = await runFile(file)
    const out = r.out
    const total = Number(/Total:\s+(\d+)/.exec(out)?.[1] ?? NaN)
    const passed = Number(/Passed:\s+(\d+)/.exec(out)?.[1] ?? NaN)
    const skipped = Number(/Skipped:\s+(\d+)/.exec(out)?.[1] ?? 0)
    assert.ok(
      r.status === 0 && total > 0 && passed === total && skipped === 0,
      `${file}: exit ${r.status}, ${passed}/${total} passed\n${out}`,
    )
    console.log(`    ${file}: ${passed}/${total} passed over the node pod`)
  })
}

test('no kinspect pod is left', () => {
  assert.equal(kinspectPods(), [])
})

test.run()
