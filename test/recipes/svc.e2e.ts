// recipes/svc.md on the lab: svc-no-endpoints fails on the selector of shop/orders, svc-targetport on the port
// nothing listens on (shop/web-badport), stale-rules on the node's rules for shop/web; the healthy lab reports
// nothing failing for shop/web. The fault findings are checked by faultchecks.ts, which holds the node-pod runs
// (transport-pod-faults.e2e.ts) to the same. The faults are always turned off again.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { runRecipeJson, svcNoEndpoints, svcStaleRules, svcTargetPort } from './faultchecks.ts'
import { failures, kinspectRun, podNodeOf, scenario, stepFindings } from './lab.ts'

/** Runs `kinspect run svc --service SERVICE --from shop/client -o json` and returns the report (exit code checked). */
async function runSvc(service: string, exit: number, extra: string[] = ['--from', 'shop/client']) {
  const { code, report, err } = await kinspectRun('svc', ['--service', service, ...extra, '-o', 'json'])
  assert.ok(report, err)
  assert.is(code, exit, `exit code; failures: ${failures(report!).join('\n')}\n${err}`)
  return report!
}

const POD = 'web-[a-z0-9]+-[a-z0-9]+'

test.after(async () => {
  // ALWAYS leave the lab healthy, even when an assertion failed
  for (const f of ['svc-no-endpoints', 'svc-targetport', 'stale-rules'] as const) await scenario(f, 'off')
})

test('svc-no-endpoints on: shop/orders fails on its selector app=orders, which no pod has', async () => {
  try {
    await scenario('svc-no-endpoints', 'on')
    svcNoEndpoints(await runRecipeJson('svc', ['--service', 'shop/orders', '--from', 'shop/client'], 1))
  } finally {
    await scenario('svc-no-endpoints', 'off')
  }
})

test('svc-targetport on: shop/web-badport fails because nothing listens on targetPort 9090 in the web pods (they listen on 8080)', async () => {
  try {
    await scenario('svc-targetport', 'on')
    svcTargetPort(await runRecipeJson('svc', ['--service', 'shop/web-badport', '--from', 'shop/client'], 1))
  } finally {
    await scenario('svc-targetport', 'off')
  }
})

test('stale-rules on (lab-2): without a client, shop/web fails on the rules of lab-2 (an endpoint node), which still DNAT to the deleted pod while its kube-proxy is stopped; lab-3 is fine', async () => {
  try {
    await scenario('stale-rules', 'on')
    svcStaleRules(await runRecipeJson('svc', ['--service', 'shop/web'], 1))
  } finally {
    await scenario('stale-rules', 'off')
  }
})

test("stale-rules on (lab-2), a client on lab-3: the rules on the client's node are fine, so the recipe does not blame them", async () => {
  try {
    await scenario('stale-rules', 'on')
    const report = await runSvc('shop/web', 0)
    assert.equal(
      stepFindings(report, 'kube-proxy rules on the node').map((f) => f.severity),
      ['ok'],
    )
    assert.match(stepFindings(report, 'kube-proxy rules on the node')[0].message, `on ${podNodeOf('shop', 'client')} `)
  } finally {
    await scenario('stale-rules', 'off')
  }
})

test('healthy lab: svc --service shop/web --from shop/client reports nothing failing (exit 0)', async () => {
  const report = await runSvc('shop/web', 0)
  assert.equal(failures(report), [])
  assert.is(report.summary.fail, 0)
  assert.is(report.summary.warn, 0)
  const tp = stepFindings(report, 'targetPort against the containers')
  assert.is(tp.length, 2)
  for (const f of tp)
    assert.match(
      f.message,
      new RegExp(
        `^shop/web port http 80/TCP -> http: shop/${POD} listens on TCP 8080 \\(the container port named http\\)$`,
      ),
    )
  assert.match(
    stepFindings(report, 'kube-proxy rules on the node')[0].message,
    new RegExp(
      `^ok: shop/web on ${podNodeOf('shop', 'client')} .*2 endpoints on 2 addresses, the rules match the EndpointSlices$`,
    ),
  )
  const conn = stepFindings(report, 'Connection test from the client pod')
  assert.match(
    conn[0].message,
    /^shop\/client connects to shop\/web at 10\.96\.\d+\.\d+:80 \(6 of 6 tries\) and to each of its 2 endpoints directly$/,
  )
})

test('without --from the connection test is skipped with an info finding', async () => {
  const report = await runSvc('shop/web', 0, [])
  assert.equal(
    stepFindings(report, 'Connection test from the client pod').map((f) => [f.severity, f.message]),
    [
      [
        'info',
        'no client pod given: connection test skipped; run again with --from NAMESPACE/POD (any running pod; it needs no tools of its own)',
      ],
    ],
  )
  assert.is(report.summary.fail, 0)
})

test.run()
