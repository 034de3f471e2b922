// The real CLI against the lab: piped REPL input, -e, and a start without a cluster.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { CONTEXT, NODE, labEnvVars } from './lab/layout.ts'
import { KINSPECT_BIN, spawnKinspect } from './cli/spawn.ts'

const root = path.resolve(import.meta.dirname, '..')
const bin = KINSPECT_BIN
const home = fs.mkdtempSync(path.join(os.tmpdir(), 'kinspect-e2e-'))
const baseEnv = { ...process.env, HOME: home, NO_COLOR: '1', KINSPECT_HISTORY: path.join(home, 'history') }

const run = spawnKinspect

// The lab's shop namespace: web (2 replicas), client, distroless, ndots.
const SHOP_PODS = 5

test('REPL on piped stdin: prompt ctx:ns, (await pods()).length, .exit', async () => {
  const r = await run([], '(await pods()).length\n.exit\n', { ...baseEnv, ...labEnvVars() })
  assert.is(r.code, 0, r.err)
  assert.ok(r.out.startsWith(`${CONTEXT}:shop> `), r.out)
  const m = /> (\d+)\n/.exec(r.out)
  assert.ok(m, r.out)
  assert.ok(Number(m![1]) >= SHOP_PODS, `pods in shop: ${m![1]}`)
  assert.not.match(r.out, 'error:')
  assert.not.match(r.out, 'cluster:')
})

test('-e evaluates one expression with the globals; -n sets the namespace', async () => {
  const env = { ...baseEnv, ...labEnvVars() }
  const r = await run(['-e', "(await nodes()).map(n => n.metadata.name).join(',')"], '', env)
  assert.is(r.code, 0, r.err)
  assert.match(r.out, new RegExp(`^'(.*,)?${NODE}(,.*)?'\n$`))
  const ns = await run(['-n', 'kube-system', '-e', 'session.namespace'], '', env)
  assert.is(ns.out, "'kube-system'\n")
  const bad = await run(['-e', "await pod('no-such-pod')"], '', env)
  assert.is(bad.code, 1)
  assert.match(bad.err, /^error: .*no-such-pod.*not found/)
  assert.match(bad.err, '\nhint: ')
})

test('node() reaches lab-1 over SSH from the REPL', async () => {
  const r = await run([], "(await node('lab-1').$`cat /proc/sys/kernel/ostype`).text()\n", {
    ...baseEnv,
    ...labEnvVars(),
  })
  assert.is(r.code, 0, r.err)
  assert.match(r.out, "'Linux'")
})

test('no cluster (KUBECONFIG=/nonexistent): one line why, then the prompt, and the shell works', async () => {
  const r = await run([], '6 * 7\n(await pods()).length\n.exit\n', {
    ...baseEnv,
    ...labEnvVars(),
    KUBECONFIG: '/nonexistent',
  })
  assert.is(r.code, 0, r.err)
  const lines = r.out.split('\n')
  assert.match(lines[0], /^cluster: no kubeconfig: .*\/nonexistent/)
  assert.is(lines.filter((l) => l.startsWith('cluster:')).length, 1)
  assert.ok(lines[1].startsWith(`${CONTEXT}:shop> `), lines[1])
  assert.match(r.out, '> 42\n')
  assert.match(r.out, 'error: no kubeconfig found')
  assert.match(r.out, 'hint: ')
})

test.after(() => fs.rmSync(home, { recursive: true, force: true }))
test('installed as kubectl-inspect, `kubectl inspect` runs kinspect as a kubectl plugin', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kinspect-plugin-'))
  fs.symlinkSync(bin, path.join(dir, 'kubectl-inspect'))
  const env = { ...baseEnv, ...labEnvVars(), PATH: `${dir}:${process.env.PATH}` }
  const r = spawnSync('kubectl', ['inspect', '-e', '(await nodes()).map(n => n.metadata.name).join()'], {
    env,
    encoding: 'utf8',
    timeout: 60_000,
  })
  fs.rmSync(dir, { recursive: true, force: true })
  assert.is(r.status, 0, r.stderr)
  assert.match(r.stdout, new RegExp(NODE))
})

test('npm start: from a shell with no kubeconfig to kinspect on the lab, with a line saying what it did', () => {
  const env: NodeJS.ProcessEnv = { ...baseEnv }
  for (const k of ['KUBECONFIG', 'KINSPECT_CONFIG', 'KINSPECT_SSH_CONFIG', 'KINSPECT_KNOWN_HOSTS']) delete env[k]
  const r = spawnSync(
    'npm',
    ['start', '-s', '--', '-e', 'nodes().then((ns) => ns.map((n) => n.metadata.name).join(","))'],
    { cwd: root, env, encoding: 'utf8', timeout: 300_000 },
  )
  assert.is(r.status, 0, r.stderr)
  assert.match(r.stdout, /lab-1,lab-2,lab-3/)
  assert.match(
    r.stderr,
    /^npm start: (the lab was already up|started the lab); kinspect uses KUBECONFIG=\S+kubeconfig/m,
  )
})

test.run()
