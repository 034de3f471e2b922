// kinspect triage on the lab. Three faults at once (dns-down, crashloop, svc-targetport): three rows, ranked, each
// with the right recipe and parameters; all off: nothing, exit 0. Node reads find stale-rules on lab-2; a read-only
// user's forbidden lists are NOT SEEN with what to grant. Every fault is turned off again, whatever happens.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawn, spawnSync } from 'node:child_process'
import path from 'node:path'
import { labEnvVars, labPaths } from '../lab/layout.ts'
import { scenario } from '../recipes/lab.ts'
import type { TriageData } from '../../src/triage/types.ts'

const root = path.resolve(import.meta.dirname, '../..')
const env = { ...process.env, ...labEnvVars(), NO_COLOR: '1', KINSPECT_FROM_SOURCE: '1' }
const FAULTS = ['dns-down', 'crashloop', 'svc-targetport'] as const

/** `kinspect triage ARGS`: exit code, output, and the report when -o json. */
function triage(
  args: string[],
  extraEnv: Record<string, string> = {},
): Promise<{ code: number | null; out: string; err: string; report?: TriageData }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(root, 'bin', 'kinspect.mjs'), 'triage', ...args], {
      cwd: root,
      env: { ...env, ...extraEnv },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    let err = ''
    child.stdout.on('data', (d) => (out += d))
    child.stderr.on('data', (d) => (err += d))
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000)
    child.on('error', reject)
    child.on('exit', (code) => {
      clearTimeout(timer)
      let report: TriageData | undefined
      if (args.includes('json')) {
        try {
          report = JSON.parse(out)
        } catch {
          return reject(
            new Error(`kinspect triage ${args.join(' ')} did not print JSON (exit ${code}):\n${out}\n${err}`),
          )
        }
      }
      resolve({ code, out, err, report })
    })
  })
}

const crasherPod = () =>
  spawnSync('kubectl', ['get', 'pods', '-n', 'shop', '-l', 'app=crasher', '-o', 'jsonpath={.items[0].metadata.name}'], {
    env,
    encoding: 'utf8',
  }).stdout.trim()

test.after(async () => {
  // ALWAYS leave the lab healthy, even when an assertion failed
  for (const f of [...FAULTS, 'stale-rules'] as const) await scenario(f, 'off')
})

test('three faults at once: triage ranks all three, each pointing to the right recipe with its parameters', async () => {
  try {
    for (const f of FAULTS) await scenario(f, 'on')
    const pod = crasherPod()
    assert.match(pod, /^crasher-/)
    const { code, report, err } = await triage(['-n', 'shop,kube-system', '-o', 'json'])
    assert.ok(report, err)
    assert.is(code, 1, err)
    console.log(`# triage -n shop,kube-system with three faults: ${report!.durationMs} ms`)
    const rows = report!.rows.map((r) => [r.rank, r.severity, r.object, r.next.recipe, r.next.params])
    assert.equal(rows, [
      [1, 'fail', 'Service kube-system/kube-dns', 'dns', report!.rows[0].next.params],
      [2, 'fail', 'Service shop/web-badport', 'svc', { service: 'shop/web-badport' }],
      [3, 'fail', `Pod shop/${pod}`, 'crashloop', { pod: `shop/${pod}` }],
    ])
    assert.match(report!.rows[0].next.command, /^kinspect run dns --pod shop\/[a-z0-9-]+$/)
    assert.is(
      report!.rows[0].evidence,
      'kube-system/kube-dns has no ready endpoint: Deployment coredns is scaled to 0 replicas; every lookup from a pod fails',
    )
    assert.is(
      report!.rows[1].evidence,
      'port http 80/TCP -> targetPort 9090: the 2 selected pods declare http=8080/TCP',
    )
    assert.match(report!.rows[2].evidence, /^last run exited 3 \(Error\) \d+s ago; \d+ restarts?$/)
    assert.ok(
      report!.checks.every((c) => c.status === 'seen'),
      JSON.stringify(report!.checks),
    )

    // The same over every namespace: the three rows keep their order (other namespaces may add rows of their own).
    const all = await triage(['-A', '-o', 'json'])
    const mine = all.report!.rows.filter((r) =>
      ['Service kube-system/kube-dns', 'Service shop/web-badport', `Pod shop/${pod}`].includes(r.object),
    )
    assert.equal(
      mine.map((r) => r.next.command.replace(/--pod shop\/(?!crasher)\S+/, '--pod shop/POD')),
      [
        'kinspect run dns --pod shop/POD',
        'kinspect run svc --service shop/web-badport',
        `kinspect run crashloop --pod shop/${pod}`,
      ],
    )
    console.log(`# triage -A with three faults: ${all.report!.durationMs} ms`)

    // As text: one table, the exact commands, the result line.
    const text = await triage(['-n', 'shop,kube-system'])
    assert.is(text.code, 1)
    assert.match(text.out, /^#\s+SEVERITY\s+OBJECT\s+SYMPTOM\s+EVIDENCE\s+NEXT$/m)
    assert.match(
      text.out,
      new RegExp(`^3 +FAIL +Pod shop/${pod} +CrashLoopBackOff .* kinspect run crashloop --pod shop/${pod}$`, 'm'),
    )
    assert.match(text.out, /^Result: 3 problems \(looked at \d+ pods, \d+ Services, \d+ workloads, 3 nodes; exit 1\)$/m)
  } finally {
    for (const f of [...FAULTS].reverse()) await scenario(f, 'off')
  }
})

test('all three off: triage reports nothing and exits 0', async () => {
  const { code, report, err } = await triage(['-n', 'shop,kube-system', '-o', 'json'])
  assert.ok(report, err)
  assert.equal(
    report!.rows.map((r) => `${r.object}: ${r.symptom}: ${r.evidence}`),
    [],
  )
  assert.is(code, 0, err)
  assert.equal([report!.status, report!.exitCode], ['ok', 0])
  const text = await triage([])
  assert.is(text.code, 0)
  assert.match(text.out, /^Result: nothing wrong in namespace shop \(looked at \d+ pods/m)
  assert.match(
    text.out,
    'Node checks: off: --nodes reads conntrack and kube-proxy rules on the nodes over SSH or a node pod',
  )
  // A namespace that exists and holds nothing is looked at; a mistyped one is an error, not "nothing wrong".
  const empty = await triage(['-n', 'kube-public'])
  assert.is(empty.code, 0, empty.err)
  assert.match(empty.out, /^Result: nothing wrong in namespace kube-public \(looked at 0 pods/m)
  const typo = await triage(['-n', 'shpo'])
  assert.is(typo.code, 2)
  assert.is(typo.out, '')
  assert.match(
    typo.err,
    /^error: namespace "shpo" does not exist in context kinspect-lab\nhint: namespaces: .*\bshop\b/,
  )
})

test("--nodes over SSH: the healthy lab reads clean; with stale-rules, lab-2's drift is a row pointing at svc from a pod on lab-2", async () => {
  const clean = await triage(['-n', 'shop', '--nodes', '-o', 'json'])
  assert.ok(clean.report, clean.err)
  assert.equal([clean.report!.nodeChecks.ran, clean.report!.nodeChecks.transport], [true, 'ssh'])
  assert.equal(clean.report!.nodeChecks.nodes.map((n) => [n.node, n.status]).sort(), [
    ['lab-1', 'read'],
    ['lab-2', 'read'],
    ['lab-3', 'read'],
  ])
  assert.equal(
    clean.report!.rows.map((r) => r.object),
    [],
  )
  try {
    await scenario('stale-rules', 'on')
    const { report, err } = await triage(['-n', 'shop', '--nodes', '-o', 'json'])
    assert.ok(report, err)
    const drift = report!.rows.filter((r) => r.code === 'rules-drift')
    assert.equal(
      drift.map((r) => r.object),
      ['Node lab-2'],
    )
    assert.match(
      drift[0].evidence,
      /^mismatch: shop\/web: stale http 10\.244\.\d+\.\d+:8080 \(in the rules, in no EndpointSlice\)/,
    )
    assert.match(drift[0].next.command, /^kinspect run svc --service shop\/web(-\S+)? --from shop\/[a-z0-9-]+$/)
    const from = drift[0].next.params!.from.split('/')[1]
    const node = spawnSync('kubectl', ['get', 'pod', from, '-n', 'shop', '-o', 'jsonpath={.spec.nodeName}'], {
      env,
      encoding: 'utf8',
    }).stdout
    assert.is(node, 'lab-2', 'the client pod of the next command runs on the drifting node')
  } finally {
    await scenario('stale-rules', 'off')
  }
})

test('a read-only user: nodes, leases and the APIService are NOT SEEN with what to grant; the rest is seen; exit 2', async () => {
  const { code, report, err } = await triage(['-n', 'shop', '-o', 'json'], { KUBECONFIG: labPaths().kubeconfigView })
  assert.ok(report, err)
  assert.is(code, 2, err)
  const notSeen = report!.checks.filter((c) => c.status === 'not-seen')
  assert.equal(notSeen.map((c) => c.check).sort(), ['metrics APIService', 'node leases', 'nodes'])
  assert.match(
    notSeen.find((c) => c.check === 'nodes')!.reason!,
    /^403 Forbidden: nodes is forbidden: User "[^"]+" cannot list resource "nodes"/,
  )
  assert.is(
    notSeen.find((c) => c.check === 'nodes')!.grant,
    'list nodes (cluster-wide) (check: kubectl auth can-i list nodes)',
  )
  assert.is(
    notSeen.find((c) => c.check === 'node leases')!.grant,
    'list leases in namespace kube-node-lease (check: kubectl auth can-i list leases -n kube-node-lease)',
  )
  assert.ok(report!.checks.filter((c) => c.check.endsWith(' in shop')).every((c) => c.status === 'seen'))
  const text = await triage(['-n', 'shop'], { KUBECONFIG: labPaths().kubeconfigView })
  assert.match(
    text.out,
    /^NOT SEEN nodes: 403 Forbidden: .*\n +grant: list nodes \(cluster-wide\) \(check: kubectl auth can-i list nodes\)$/m,
  )
})

test.run()
