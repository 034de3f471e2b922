// recipes/dns.md on the lab: dns-down fails (no CoreDNS pod, no endpoint, the node rejects, TIMEOUT from the pod);
// dns-ndots warns on the NXDOMAIN walk of shop/dns-ndots; stale-rules on the client's node with a CoreDNS pod replaced
// times a query out mid-walk, and the recipe names the timeout (not "does not exist") and the stale rule that step 3
// found; the healthy lab reports nothing failing for shop/client and shop/distroless. dns-down's and dns-ndots's
// findings are checked by faultchecks.ts, as the node-pod runs (transport-pod-faults.e2e.ts) are. The faults are
// always turned off again.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { Writable } from 'node:stream'
import { runRecipe, type ReportData } from '../../src/recipes/index.ts'
import { headlessShell } from '../../src/repl/index.ts'
import { kjson, kubectl, labSession } from '../net/labkit.ts'
import { dnsDown, dnsNdots, runRecipeJson } from './faultchecks.ts'
import { failures, kinspectRun, podNodeOf, scenario, stepFindings } from './lab.ts'

test.after(async () => {
  // ALWAYS leave the lab healthy, even when an assertion failed
  await scenario('dns-down', 'off')
  await scenario('dns-ndots', 'off')
  await scenario('stale-rules', 'off')
})

const sink = () =>
  new Writable({
    write(_c, _e, cb) {
      cb()
    },
  })

/** The CoreDNS pods as kubectl sees them: name, IP, ready. */
const corednsPods = () =>
  (kjson('get', 'pods', '-n', 'kube-system', '-l', 'k8s-app=kube-dns').items as any[]).map((p) => ({
    name: p.metadata.name as string,
    ip: (p.status?.podIP ?? '') as string,
    ready: (p.status?.conditions ?? []).some((c: any) => c.type === 'Ready' && c.status === 'True'),
    deleting: Boolean(p.metadata.deletionTimestamp),
  }))
/** The ready addresses of the kube-dns EndpointSlices. */
const dnsSliceIPs = () =>
  (kjson('get', 'endpointslices', '-n', 'kube-system', '-l', 'kubernetes.io/service-name=kube-dns').items as any[])
    .flatMap((s) =>
      (s.endpoints ?? []).filter((e: any) => e.conditions?.ready !== false).map((e: any) => e.addresses[0] as string),
    )
    .sort()

async function waitFor(what: string, ok: () => boolean, timeoutMs = 90_000): Promise<void> {
  const t0 = Date.now()
  while (!ok()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 1000))
  }
}

test('stale-rules on the client\'s node and a CoreDNS pod replaced: a query that times out mid-walk is named as the cause, never "does not exist"', async () => {
  const clientNode = podNodeOf('shop', 'client')
  const session = await labSession()
  try {
    // kube-proxy stops on the client's node; then one CoreDNS pod is replaced, so that node still DNATs a share of
    // the queries for 10.96.0.10 to an address no pod has any more.
    await scenario('stale-rules', 'on', clientNode)
    const before = corednsPods()
    assert.is(before.filter((p) => p.ready).length, 2, JSON.stringify(before))
    const victim = before[0]
    kubectl('delete', 'pod', '-n', 'kube-system', victim.name, '--wait=true', '--grace-period=1')
    await waitFor('a new CoreDNS pod, ready and in the slices', () => {
      const ips = dnsSliceIPs()
      return (
        ips.length === 2 && !ips.includes(victim.ip) && corednsPods().filter((p) => p.ready && !p.deleting).length === 2
      )
    })

    // Each query takes a new flow, and each new flow goes to the dead address with probability 1/2: run until a walk
    // has a TIMEOUT followed by an answered candidate (about one run in three), checking every run on the way.
    let mixed: { report: ReportData; walk: NonNullable<ReturnType<typeof stepFindings>[number]> } | undefined
    const seen: string[] = []
    for (let run = 1; run <= 20 && !mixed; run++) {
      const report = (
        await runRecipe(
          'dns',
          { pod: 'shop/client', timeout: '1' },
          { session, shell: headlessShell, output: sink(), format: 'json' },
        )
      ).toJSON() as ReportData
      const rules = stepFindings(report, "The kube-dns rules on the pod's node")[0]
      assert.is(rules.severity, 'fail', rules.message)
      assert.match(
        rules.message,
        new RegExp(
          `^mismatch: kube-system/kube-dns on ${clientNode} .*stale dns(-tcp)? ${victim.ip.replace(/\./g, '\\.')}:53`,
        ),
      )
      const walk = stepFindings(report, 'resolv.conf and the search list').find((f) => f.severity !== 'info')!
      const lines = walk
        .evidence!.output.split('\n')
        .map((l) => /^\s*\d+\s+(\S+)\s+@(\S+)\s+(\S+)/.exec(l))
        .filter((m): m is RegExpExecArray => m !== null)
        .map((m) => ({ name: m[1], to: m[2], rcode: m[3] }))
      seen.push(lines.map((l) => `${l.name}=${l.rcode}`).join(' '))
      // Whatever the run, "does not exist" needs every candidate answered NXDOMAIN.
      if (/does not exist/.test(walk.message))
        assert.ok(
          lines.every((l) => l.rcode === 'NXDOMAIN'),
          `${walk.message}\n${walk.evidence!.output}`,
        )
      const t = lines.findIndex((l) => l.rcode === 'TIMEOUT')
      if (t >= 0 && lines.slice(t + 1).some((l) => l.rcode === 'NXDOMAIN')) mixed = { report, walk }
    }
    assert.ok(mixed, `no walk with a TIMEOUT before an answer in 20 runs:\n${seen.join('\n')}`)
    const { report, walk } = mixed!
    const lines = walk
      .evidence!.output.split('\n')
      .map((l) => /^\s*\d+\s+(\S+)\s+@(\S+)\s+(\S+)/.exec(l))
      .filter((m): m is RegExpExecArray => m !== null)
    const first = lines.find((m) => m[3] === 'TIMEOUT')!
    assert.is(walk.severity, 'fail')
    assert.not.match(walk.message, 'does not exist')
    assert.ok(
      walk.message.startsWith(
        `kubernetes.default does not resolve from shop/client, and whether it exists was not seen: ${first[1]} got no answer from 10.96.0.10 within 1 s (TIMEOUT), which ends the glibc search walk`,
      ),
      walk.message,
    )
    assert.match(walk.message, 'kubernetes.default was answered NXDOMAIN')
    assert.match(walk.message, /The lookup failed because of the timeout$/)
    // The candidate that would have answered was never asked when the first one timed out.
    if (first[1] === 'kubernetes.default.shop.svc.cluster.local')
      assert.match(
        walk.message,
        'so kubernetes.default.svc.cluster.local and kubernetes.default.cluster.local were never asked',
      )
    // It points to the step that found the likely cause: the stale rule on the client's node.
    assert.match(
      walk.remedy!,
      `step 3 found the likely cause: ${clientNode}'s rules still send a share of new flows for 10.96.0.10 to ${victim.ip}:53`,
    )
    assert.is(report.exitCode, 1)
  } finally {
    await scenario('stale-rules', 'off')
    await session.close()
  }
})

test('dns-down on: fails on the missing CoreDNS pods, the empty kube-dns endpoints, the rejecting node and the TIMEOUT from shop/client', async () => {
  try {
    await scenario('dns-down', 'on')
    dnsDown(await runRecipeJson('dns', ['--pod', 'shop/client'], 1))

    // The same in text form: the FAIL lines and the summary.
    const text = await kinspectRun('dns', ['--pod', 'shop/client'])
    assert.is(text.code, 1, text.err)
    assert.match(text.out, /\[2\/7\] CoreDNS pods and the kube-dns endpoints\n  FAIL  no CoreDNS pod/)
    assert.match(text.out, /Result: FAIL: \d+ failed/)
  } finally {
    await scenario('dns-down', 'off')
  }
})

test('dns-ndots on: warns that external.lab.example resolves from shop/dns-ndots only after 4 NXDOMAIN answers', async () => {
  try {
    await scenario('dns-ndots', 'on')
    dnsNdots(await runRecipeJson('dns', ['--pod', 'shop/dns-ndots', '--name', 'external.lab.example'], 0))
  } finally {
    await scenario('dns-ndots', 'off')
  }
})

for (const from of ['shop/client', 'shop/distroless']) {
  test(`healthy lab: dns --pod ${from} reports nothing failing and kubernetes.default resolves (exit 0)`, async () => {
    const { code, report, err } = await kinspectRun('dns', ['--pod', from, '-o', 'json'])
    assert.ok(report, err)
    assert.equal(failures(report!), [])
    assert.is(code, 0, err)
    assert.is(report!.summary.fail, 0)
    const walk = stepFindings(report!, 'resolv.conf and the search list').find((f) => f.severity === 'ok')
    assert.match(
      walk?.message ?? '',
      new RegExp(
        `^kubernetes\\.default resolves from ${from} to A 10\\.96\\.0\\.1 as kubernetes\\.default\\.svc\\.cluster\\.local`,
      ),
    )
    const direct = stepFindings(report!, 'Ask the DNS servers directly')
    assert.is(direct.length, 3, JSON.stringify(direct)) // the Service and 2 CoreDNS pods
    assert.ok(
      direct.every((f) => f.severity === 'ok'),
      JSON.stringify(direct),
    )
    const [ns, name] = from.split('/')
    assert.match(
      stepFindings(report!, "The kube-dns rules on the pod's node")[0].message,
      new RegExp(`^ok: kube-system/kube-dns on ${podNodeOf(ns, name)} .*the rules match the EndpointSlices$`),
    )
  })
}

test.run()
