// kinspect triage without a usable cluster: no kubeconfig is an error (exit 2); an API server that refuses
// connections makes every check NOT SEEN with the reason, and exit 2 (it could not look). No lab needed.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { PassThrough } from 'node:stream'
import { main, type CliIO } from '../../src/cli.ts'

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kinspect-triage-cli-'))
// Port 1 on loopback: nothing listens, the connection is refused at once.
const kubeconfig = path.join(tmp, 'kubeconfig')
fs.writeFileSync(
  kubeconfig,
  `apiVersion: v1
kind: Config
clusters: [{name: dead, cluster: {server: "http://127.0.0.1:1"}}]
users: [{name: u, user: {token: not-a-secret-token}}]
contexts: [{name: dead, context: {cluster: dead, user: u, namespace: shop}}]
current-context: dead
`,
)

function io(env: Record<string, string | undefined>): CliIO & { out: () => string; err: () => string } {
  const stdout = new PassThrough()
  const stderr = new PassThrough()
  let o = ''
  let e = ''
  stdout.on('data', (d) => (o += d))
  stderr.on('data', (d) => (e += d))
  return {
    stdin: new PassThrough(),
    stdout,
    stderr,
    env: { HOME: tmp, XDG_CONFIG_HOME: path.join(tmp, 'xdg'), NO_COLOR: '1', ...env },
    cwd: tmp,
    prog: 'kinspect',
    out: () => o,
    err: () => e,
  }
}

test('an API server that refuses connections: every check NOT SEEN with the reason, no row, exit 2', async () => {
  const r = io({ KUBECONFIG: kubeconfig })
  assert.is(await main(['triage', '-n', 'shop,web', '-o', 'json'], r), 2)
  const j = JSON.parse(r.out())
  assert.equal(
    [j.status, j.exitCode, j.rows, j.scope, j.context],
    ['incomplete', 2, [], { namespaces: ['shop', 'web'] }, 'dead'],
  )
  assert.ok(j.checks.length >= 19, `${j.checks.length} checks`)
  for (const c of j.checks)
    assert.equal([c.status, c.reason], ['not-seen', 'connection refused by http://127.0.0.1:1'], c.check)
  const t = io({ KUBECONFIG: kubeconfig })
  assert.is(await main(['triage'], t), 2)
  assert.match(t.out(), 'NOT SEEN pods in shop: connection refused by http://127.0.0.1:1')
  assert.match(t.out(), /Result: nothing found, but \d+ check\(s\) could not look \(exit 2\)$/m)
})

test('no kubeconfig: the error and its hint, exit 2; bad arguments: usage, exit 2', async () => {
  const r = io({ KUBECONFIG: path.join(tmp, 'missing') })
  assert.is(await main(['triage', '-o', 'json'], r), 2)
  assert.match(JSON.parse(r.out()).error.message, /no kubeconfig found/)
  assert.match(r.err(), /^error: no kubeconfig found/)
  const u = io({ KUBECONFIG: kubeconfig })
  assert.is(await main(['triage', '-A', '-n', 'shop'], u), 2)
  assert.match(u.err(), /^kinspect: triage: -A and -n shop cannot be combined\n/)
})

test.after(() => fs.rmSync(tmp, { recursive: true, force: true }))
test.run()
