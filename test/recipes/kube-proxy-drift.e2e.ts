// recipes/kube-proxy-drift.md on the lab: healthy, every Service of shop matches its slices on all three nodes; with
// stale-rules on (kube-proxy stopped on lab-2, a web pod replaced) it names lab-2, and only lab-2, for every Service
// that selects the web pods. The fault is always turned off again.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
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
    const { code, report, err } = await kinspectRun('kube-proxy-drift', ['-o', 'json'])
    assert.ok(report, err)
    assert.is(code, 1, `exit code; failures: ${failures(report!).join('\n')}\n${err}`)
    const rules = stepFindings(report!, RULES)
    const fails = rules.filter((f) => f.severity === 'fail')
    assert.ok(fails.length >= 1, JSON.stringify(rules))
    for (const f of fails) {
      // every failing finding is about lab-2 alone
      assert.match(
        f.message,
        /^shop\/[a-z-]+: the rules of lab-2 are stale: they still DNAT to 10\.244\.\d+\.\d+:8080 \(in no EndpointSlice: pods that are gone\)/,
      )
      assert.match(f.message, /; kube-proxy is not running on lab-2$/)
      assert.not.match(f.message, /lab-[13]|lab-\[/)
      assert.match(f.evidence!.command, /^ssh lab-2 /)
      assert.match(f.remedy!, /^start kube-proxy on lab-2/)
    }
    assert.ok(
      fails.some((f) => f.message.startsWith('shop/web: ')),
      'shop/web is among them',
    )
    const ok = rules.filter((f) => f.severity === 'ok').map((f) => f.message)
    assert.ok(
      ok.some((m) => m.startsWith('shop/web: the rules of lab-[1,3] match its EndpointSlices')),
      ok.join(' | '),
    )
    // nothing else anywhere in the report blames another node
    assert.equal(
      failures(report!).filter((m) => !m.includes('lab-2')),
      [],
    )
    const proxy = stepFindings(report!, 'Which nodes, and does kube-proxy run there?').map((f) => f.message)
    assert.ok(proxy.includes('kube-proxy runs on lab-[1,3]'), proxy.join(' | '))

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
