// recipes/svc.md on the lab: svc-no-endpoints fails on the selector of shop/orders, svc-targetport on the port
// nothing listens on (shop/web-badport), stale-rules on the node's rules for shop/web; the healthy lab reports
// nothing failing for shop/web. The faults are always turned off again.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
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
    const report = await runSvc('shop/orders', 1)
    const sel = stepFindings(report, 'Selector and pods')
    assert.is(sel.length, 1)
    assert.is(sel[0].severity, 'fail')
    assert.match(
      sel[0].message,
      /^no pod in namespace shop matches the selector app=orders of shop\/orders: it gets no endpoints \(step 2\), and kube-proxy rejects connections to a Service without endpoints \(step 4\); pods with app labels: .*\(app=web\)/,
    )
    assert.is(
      sel[0].evidence!.command,
      'kubectl get pods -n shop -l app=orders -o wide\nkubectl get pods -n shop --show-labels',
    )
    assert.match(sel[0].evidence!.output, 'selector: app=orders')
    assert.match(
      sel[0].evidence!.output,
      '$ kubectl get pods -n shop -l app=orders -o wide\nNo resources found in shop namespace.',
    )
    assert.match(sel[0].evidence!.output, new RegExp(`${POD} +app=web,`))
    assert.match(sel[0].remedy!, 'make the selector and the pod labels agree')

    const eps = stepFindings(report, 'EndpointSlices: ready and not ready')
    assert.equal(
      eps.map((f) => [f.severity, f.message]),
      [['fail', 'shop/orders has no endpoints (no pod matches its selector, previous step)']],
    )
    assert.match(
      stepFindings(report, 'targetPort against the containers')[0].message,
      /^skipped: no running pod matches the selector/,
    )
    // The rules agree with the (empty) slices: the node rejects, which is right, so it is not the failure.
    assert.equal(
      stepFindings(report, 'kube-proxy rules on the node').map((f) => f.severity),
      ['info'],
    )
    const conn = stepFindings(report, 'Connection test from the client pod')
    assert.is(conn.length, 1)
    assert.is(conn[0].severity, 'fail')
    assert.match(conn[0].message, /^6 of 6 connections from shop\/client to shop\/orders at 10\.96\.\d+\.\d+:80 failed/)
    assert.match(conn[0].remedy!, 'no ready endpoint')
  } finally {
    await scenario('svc-no-endpoints', 'off')
  }
})

test('svc-targetport on: shop/web-badport fails because nothing listens on targetPort 9090 in the web pods (they listen on 8080)', async () => {
  try {
    await scenario('svc-targetport', 'on')
    const report = await runSvc('shop/web-badport', 1)
    assert.match(stepFindings(report, 'Selector and pods')[0].message, /^2 pods match the selector app=web/)
    const eps = stepFindings(report, 'EndpointSlices: ready and not ready')
    assert.equal(
      eps.map((f) => f.severity),
      ['ok'],
    )
    assert.match(eps[0].message, /has 2 ready endpoints: 10\.244\.\d+\.\d+:9090 /)

    const tp = stepFindings(report, 'targetPort against the containers')
    assert.is(tp.length, 2, JSON.stringify(tp))
    for (const f of tp) {
      assert.is(f.severity, 'fail')
      assert.match(
        f.message,
        new RegExp(
          `^shop/web-badport port http 80/TCP -> 9090: nothing listens on TCP 9090 in shop/${POD} \\(it listens on 8080\\); connections to the Service are refused$`,
        ),
      )
      const pod = /# shop\/(\S+)'s network namespace$/.exec(f.evidence!.command)![1]
      assert.match(
        f.evidence!.command,
        new RegExp(
          `^ssh ${podNodeOf('shop', pod)} nsenter -t PID -n (ss -ltn|cat /proc/net/tcp)  # shop/${POD}'s network namespace$`,
        ),
      )
      assert.match(f.evidence!.output, 'declared: web: http=8080/TCP')
      assert.match(f.evidence!.output, /listening \(TCP\): \S*:8080/)
      assert.match(f.remedy!, "set the Service's targetPort to the port the application listens on (8080)")
    }
    assert.equal(
      stepFindings(report, 'kube-proxy rules on the node').map((f) => f.severity),
      ['ok'],
    )
    const conn = stepFindings(report, 'Connection test from the client pod')
    assert.is(conn.length, 3, JSON.stringify(conn)) // each endpoint, then the ClusterIP
    assert.ok(conn.every((f) => f.severity === 'fail'))
    assert.match(
      conn[0].message,
      /^endpoint 10\.244\.\d+\.\d+:9090 \(web-.*\) of shop\/web-badport does not accept connections from shop\/client: connection refused$/,
    )
    assert.match(
      conn[2].message,
      /^6 of 6 connections from shop\/client to shop\/web-badport at 10\.96\.\d+\.\d+:80 failed \(connection refused\)$/,
    )
    assert.match(conn[2].evidence!.output, /10\.244\.\d+\.\d+:9090 +FAILED: connection refused/)
  } finally {
    await scenario('svc-targetport', 'off')
  }
})

test('stale-rules on (lab-2): without a client, shop/web fails on the rules of lab-2 (an endpoint node), which still DNAT to the deleted pod while its kube-proxy is stopped; lab-3 is fine', async () => {
  try {
    await scenario('stale-rules', 'on')
    const report = await runSvc('shop/web', 1, [])
    const eps = stepFindings(report, 'EndpointSlices: ready and not ready')
    assert.equal(
      eps.map((f) => f.severity),
      ['ok'],
    )

    const rules = stepFindings(report, 'kube-proxy rules on the node')
    assert.equal(rules.map((f) => f.severity).sort(), ['fail', 'ok'], JSON.stringify(rules))
    const bad = rules.find((f) => f.severity === 'fail')!
    const m =
      /^mismatch: shop\/web on lab-2 \((iptables|nftables|ipvs)[^)]*\): stale http (10\.244\.\d+\.\d+):8080 \(in the rules, in no EndpointSlice\); missing http (10\.244\.\d+\.\d+):8080 pod shop\/web-\S+ \(usable in the slices, no rule\); kube-proxy is not running on lab-2$/.exec(
        bad.message,
      )
    assert.ok(m, bad.message)
    assert.match(rules.find((f) => f.severity === 'ok')!.message, /^ok: shop\/web on lab-3 /)
    // The stale address is no endpoint any more; the missing one is.
    assert.not.match(eps[0].message, `${m![2]}:8080`)
    assert.match(eps[0].message, `${m![3]}:8080`)
    assert.match(bad.evidence!.output, new RegExp(`-> ${m![2].replace(/\./g, '\\.')}:8080`))
    assert.match(bad.evidence!.output, '$ pgrep -a kube-proxy\n(no kube-proxy process)')
    assert.match(bad.evidence!.command, /ssh lab-2 pgrep -a kube-proxy$/)
    assert.match(bad.remedy!, 'start kube-proxy on lab-2')
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
