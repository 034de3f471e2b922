// recipes/kube-proxy-drift.md on the lab: healthy, every Service of shop matches its slices on all three nodes; with
// stale-rules on (kube-proxy stopped on lab-2, a web pod replaced) it names lab-2, and only lab-2, for every Service
// that selects the web pods (checked by faultchecks.ts, as the node-pod run in transport-pod-faults.e2e.ts is). The
// fault is always turned off again.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { driftStaleRules, runRecipeJson } from './faultchecks.ts'
import { failures, kinspectRun, scenario, stepFindings } from './lab.ts'

const RULES = 'Rules against the slices, node by node'
const WEB = ['shop/web', 'shop/web-local', 'shop/web-nodeport']

test.after(async () => {
  await scenario('stale-rules', 'off') // ALWAYS leave the lab healthy, even when an assertion failed
})

test('healthy lab: every Service of shop matches its EndpointSlices on lab-[1-3] (exit 0)', async () => {
  const { code, report, err } = await kinspectRun('kube-proxy-drift', ['-o', 'json'])
  assert.ok(report, err)
  assert.equal(failures(report!), [])
  assert.is(code, 0, err)
  const ok = stepFindings(report!, RULES)
    .filter((f) => f.severity === 'ok')
    .map((f) => f.message)
  for (const svc of WEB)
    assert.ok(
      ok.some((m) => m.startsWith(`${svc}: the rules of lab-[1-3] match its EndpointSlices`)),
      `${svc}: ${ok.join(' | ')}`,
    )
  assert.match(
    stepFindings(report!, 'Which nodes, and does kube-proxy run there?')[0].message,
    /^kube-proxy runs on lab-\[1-3\]$/,
  )
})

test('stale-rules on (lab-2): the recipe names lab-2, and only lab-2, as stale, says its kube-proxy is not running, and clears lab-1 and lab-3', async () => {
  try {
    await scenario('stale-rules', 'on')
    driftStaleRules(await runRecipeJson('kube-proxy-drift', [], 1))

    // one Service by name gives the same verdict
    const one = await kinspectRun('kube-proxy-drift', ['--service', 'shop/web', '-o', 'json'])
    assert.is(one.code, 1, one.err)
    assert.equal(
      stepFindings(one.report!, RULES)
        .filter((f) => f.severity === 'fail')
        .map((f) => f.message.split(':')[0]),
      ['shop/web'],
    )
  } finally {
    await scenario('stale-rules', 'off')
  }
})

test.run()
