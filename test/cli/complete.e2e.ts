// Completion against the lab: `kinspect __complete` names namespaces, contexts, nodes and pods from the cluster,
// honouring the command line's own -n. Reads only. Run under the lab lock:
//   flock -w 3600 /tmp/kinspect-lab-e2e.lock node --import tsx test/cli/complete.e2e.ts
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { CONTEXT, NODES, labEnvVars } from '../lab/layout.ts'

const root = path.resolve(import.meta.dirname, '../..')
const bin = path.join(root, 'bin', 'kinspect.mjs')
const home = fs.mkdtempSync(path.join(os.tmpdir(), 'kinspect-complete-e2e-'))
const env = { ...process.env, ...labEnvVars(), HOME: home, NO_COLOR: '1' }

/** The candidates for WORDS (the last one being typed), one a line. */
function complete(...words: string[]): string[] {
  const r = spawnSync(process.execPath, [bin, '__complete', ...words], { env, encoding: 'utf8', timeout: 60_000 })
  assert.is(r.status, 0, r.stderr)
  assert.is(r.stderr, '')
  return r.stdout.split('\n').filter(Boolean)
}

test('namespaces and contexts after -n and --context', () => {
  const ns = complete('run', 'crashloop', '-n', '')
  for (const n of ['default', 'kube-system', 'shop']) assert.ok(ns.includes(n), ns.join(' '))
  assert.equal(complete('-n', 'sh'), ['shop'])
  assert.ok(complete('--context', '').includes(CONTEXT))
})

test('nodes for fleet and for a node parameter; pods of the namespace on the line for a pod parameter', () => {
  const names = NODES.map((n) => n.name)
  for (const n of names) assert.ok(complete('fleet', '').includes(n), n)
  assert.ok(complete('run', 'node', '--node', 'lab').includes(names[0]))
  const pods = complete('-n', 'shop', 'run', 'crashloop', '--pod', 'web')
  assert.ok(pods.length >= 2 && pods.every((p) => p.startsWith('web')), pods.join(' '))
  assert.equal(complete('-n', 'kube-system', 'run', 'crashloop', '--pod', 'web'), [])
})

test('kubectl plugin completion: `kubectl __complete inspect ...` (real kubectl) offers what kinspect offers', () => {
  // As installed: kubectl-inspect and kubectl_complete-inspect on PATH (npm links both from package.json "bin").
  const dir = fs.mkdtempSync(path.join(home, 'path-'))
  fs.symlinkSync(bin, path.join(dir, 'kubectl-inspect'))
  fs.symlinkSync(path.join(root, 'bin', 'kubectl_complete-inspect'), path.join(dir, 'kubectl_complete-inspect'))
  const kubectl = (...words: string[]) => {
    const r = spawnSync('kubectl', ['__complete', ...words], {
      env: { ...env, PATH: `${dir}:${process.env.PATH}` },
      encoding: 'utf8',
      timeout: 60_000,
    })
    assert.is(r.status, 0, r.stderr)
    return r.stdout.split('\n').filter(Boolean)
  }
  assert.ok(
    kubectl('ins').some((l) => l.startsWith('inspect\t')),
    'kubectl lists the plugin',
  )
  assert.equal(kubectl('inspect', 'run', 'cr'), ['crashloop', ':0'])
  assert.equal(kubectl('inspect', '-n', 'sh'), ['shop', ':0'])
  assert.ok(kubectl('inspect', 'fleet', '').includes(NODES[0].name))
})

test.after(() => fs.rmSync(home, { recursive: true, force: true }))
test.run()
