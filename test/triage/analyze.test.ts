// The analyzers and the ranking on objects captured from the lab under each fault case: each fault is one row with
// the right symptom, evidence and next command (its parameters filled in); the healthy lab has no row.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { analyze, exitOf } from '../../src/triage/index.ts'
import { listRecipeEntries, recipeDirs } from '../../src/recipes/loader.ts'
import { validateParams } from '../../src/recipes/params.ts'
import type { TriageRow, TriageScope } from '../../src/triage/types.ts'
import { CASES, capture, labSnapshot } from './lab-snapshot.ts'

const ALL: TriageScope = { allNamespaces: true }
const SHOP: TriageScope = { namespaces: ['shop'] }
const rowsOf = (name: string, scope: TriageScope = ALL) => analyze(labSnapshot(name, scope))
const brief = (r: TriageRow) => [r.severity, r.object, r.symptom]
const podName = (name: string, prefix: string) =>
  (capture(name).lists.pods.find((p) => p.metadata.namespace === 'shop' && p.metadata.name.startsWith(prefix))?.metadata
    .name ?? assert.unreachable(`no ${prefix} pod in ${name}`)) as string

test('every captured case is there, and the captures are what the lab printed (three nodes, the scenarios named)', () => {
  assert.equal(CASES, [
    'crashloop',
    'dns-down',
    'healthy',
    'image-missing',
    'metrics-unavailable',
    'node-notready',
    'oomkill',
    'pending-resources',
    'pending-taint',
    'rollout-stuck',
    'svc-no-endpoints',
    'svc-targetport',
    'three-faults',
  ])
  assert.equal(capture('three-faults').scenarios, ['dns-down', 'crashloop', 'svc-targetport'])
  assert.equal(
    capture('healthy').lists.nodes.map((n) => n.metadata.name),
    ['lab-1', 'lab-2', 'lab-3'],
  )
})

test('the healthy lab: no row in any scope, although its events hold an hour of other scenarios (gone pods, old probe failures)', () => {
  assert.ok(capture('healthy').lists.events.length > 20, 'the capture has Warning events to ignore')
  for (const scope of [ALL, SHOP, { namespaces: ['shop', 'kube-system'] }])
    assert.equal(rowsOf('healthy', scope), [], JSON.stringify(scope))
})

test('crashloop: one row, the crash loop, pointing at the crashloop recipe for that pod', () => {
  const pod = podName('crashloop', 'crasher-')
  for (const scope of [ALL, SHOP]) {
    const rows = rowsOf('crashloop', scope)
    assert.equal(rows.map(brief), [['fail', `Pod shop/${pod}`, 'CrashLoopBackOff']])
    assert.match(rows[0].evidence, /^last run exited 3 \(Error\) \d+s ago; \d+ restarts?$/)
    assert.equal(rows[0].next, {
      recipe: 'crashloop',
      params: { pod: `shop/${pod}` },
      command: `kinspect run crashloop --pod shop/${pod}`,
    })
    assert.ok(
      rows[0].events.some((e) => e.reason === 'BackOff' && e.count >= 1),
      'its BackOff events are attached',
    )
  }
})

test('dns-down: the cluster DNS row (CoreDNS scaled to 0) from any namespace, the dns recipe run from a pod in scope', () => {
  for (const scope of [ALL, SHOP]) {
    const rows = rowsOf('dns-down', scope)
    assert.equal(rows.map(brief), [['fail', 'Service kube-system/kube-dns', 'cluster DNS down: no ready endpoint']])
    assert.is(
      rows[0].evidence,
      'kube-system/kube-dns has no ready endpoint: Deployment coredns is scaled to 0 replicas; every lookup from a pod fails',
    )
    assert.is(rows[0].next.recipe, 'dns')
    assert.match(rows[0].next.command, /^kinspect run dns --pod shop\/[a-z0-9-]+$/)
  }
})

test('svc-targetport and svc-no-endpoints: the Service row says what the pods declare, or that the selector matches nothing', () => {
  const tp = rowsOf('svc-targetport', SHOP)
  assert.equal(tp.map(brief), [['fail', 'Service shop/web-badport', 'targetPort matches no container port']])
  assert.is(tp[0].evidence, 'port http 80/TCP -> targetPort 9090: the 2 selected pods declare http=8080/TCP')
  assert.is(tp[0].next.command, 'kinspect run svc --service shop/web-badport')
  const ne = rowsOf('svc-no-endpoints', SHOP)
  assert.equal(ne.map(brief), [['fail', 'Service shop/orders', 'no ready endpoints']])
  assert.is(ne[0].evidence, 'selector app=orders matches no pod in shop')
  assert.is(ne[0].next.command, 'kinspect run svc --service shop/orders')
})

test('metrics-unavailable: with kube-system in scope the Service is the cause and the APIService its effect; from shop, the APIService row points at that Service', () => {
  const all = rowsOf('metrics-unavailable')
  assert.equal(all.map(brief), [['fail', 'Service kube-system/metrics-server', 'no ready endpoints']])
  assert.is(all[0].evidence, 'selector k8s-app=kinspect-lab-nothing matches no pod in kube-system')
  assert.equal(
    all[0].effects.map((e) => [e.object, e.symptom]),
    [['APIService v1beta1.metrics.k8s.io', 'metrics API unavailable']],
  )
  assert.match(
    all[0].effects[0].evidence,
    /^Available=False \(MissingEndpoints\): endpoints for service\/metrics-server in "kube-system" have no addresses/,
  )
  const shop = rowsOf('metrics-unavailable', SHOP)
  assert.equal(shop.map(brief), [['warn', 'APIService v1beta1.metrics.k8s.io', 'metrics API unavailable']])
  assert.is(shop[0].next.command, 'kinspect run svc --service kube-system/metrics-server')
})

test('node-notready: the node row first, with what it takes down (a web replica, a CoreDNS replica) as its effects', () => {
  for (const scope of [ALL, SHOP]) {
    const rows = rowsOf('node-notready', scope)
    assert.equal(rows.map(brief), [['fail', 'Node lab-2', 'NotReady']])
    assert.match(
      rows[0].evidence,
      /^Ready=Unknown \(NodeStatusUnknown\) for \d+s: Kubelet stopped posting node status\.; lease renewed \d+s ago \(duration \d+s\)$/,
    )
    assert.is(rows[0].next.command, 'kinspect run node --node lab-2')
    assert.equal(rows[0].effects.map((e) => e.object).sort(), ['Deployment shop/web', 'Service kube-system/kube-dns'])
  }
})

test("pending-resources, pending-taint: the scheduler's verdict as evidence, the pending recipe for that pod", () => {
  const big = rowsOf('pending-resources', SHOP)
  assert.equal(big.map(brief), [['fail', 'Pod shop/pending-big', 'Pending: unschedulable']])
  assert.match(big[0].evidence, /^0\/3 nodes are available: 3 Insufficient cpu\.$/)
  assert.is(big[0].next.command, 'kinspect run pending --pod shop/pending-big')
  const taint = rowsOf('pending-taint', SHOP)
  assert.equal(taint.map(brief), [['fail', 'Pod shop/pending-taint', 'Pending: unschedulable']])
  assert.match(taint[0].evidence, 'had untolerated taint {kinspect.dev/pending-taint: demo}')
  assert.is(taint[0].next.command, 'kinspect run pending --pod shop/pending-taint')
})

test('oomkill and image-missing: the oom and image-pull recipes, with the limit and the pull error as evidence', () => {
  const oom = rowsOf('oomkill', SHOP)
  assert.equal(oom.map(brief), [['fail', 'Pod shop/memhog', 'OOMKilled, restarting']])
  assert.match(oom[0].evidence, /^OOMKilled \(exit 137\) \d+s ago at a 32Mi limit; \d+ restarts?$/)
  assert.is(oom[0].next.command, 'kinspect run oom --pod shop/memhog')
  const img = rowsOf('image-missing', SHOP)
  assert.equal(
    img.map((r) => [r.object, r.next.command]),
    [
      ['Pod shop/image-missing', 'kinspect run image-pull --pod shop/image-missing'],
      ['Pod shop/image-never', 'kinspect run image-pull --pod shop/image-never'],
    ],
  )
  assert.match(
    img[0].evidence,
    /^registry\.invalid\/kinspect\/missing:1\.0: lookup registry\.invalid on [\d.]+:53: .*network is unreachable$/,
  )
  assert.is(img[1].symptom, 'ErrImageNeverPull')
  assert.is(
    img[1].evidence,
    'kinspect.local/missing:1.0: Container image "kinspect.local/missing:1.0" is not present with pull policy of Never',
  )
})

test('rollout-stuck: the Deployment row (the rollout recipe) takes the new pod whose readiness fails', () => {
  const rows = rowsOf('rollout-stuck', SHOP)
  assert.equal(rows.map(brief), [['fail', 'Deployment shop/checkout', 'rollout stuck (ProgressDeadlineExceeded)']])
  assert.match(
    rows[0].evidence,
    /^ReplicaSet "checkout-[a-z0-9]+" has timed out progressing\.; 2\/2 available, 1 updated; new ReplicaSet checkout-[a-z0-9]+ 0\/1 ready, old checkout-[a-z0-9]+ 2\/2$/,
  )
  assert.is(rows[0].next.command, 'kinspect run rollout --deployment shop/checkout')
  assert.equal(rows[0].effects.length, 1)
  assert.match(rows[0].effects[0].object, /^Pod shop\/checkout-[a-z0-9]+-[a-z0-9]+$/)
  assert.match(rows[0].effects[0].evidence, /Readiness probe failed: cat: can't open '\/tmp\/ready'/)
})

test('three faults at once: three rows, ranked cluster DNS, the Service, the crash loop, each with its recipe', () => {
  const crasher = podName('three-faults', 'crasher-')
  for (const scope of [ALL, { namespaces: ['shop', 'kube-system'] }, SHOP]) {
    const rows = rowsOf('three-faults', scope)
    assert.equal(
      rows.map((r) => [r.rank, r.object, r.next.recipe, r.next.params]),
      [
        [1, 'Service kube-system/kube-dns', 'dns', { pod: rows[0].next.params!.pod }],
        [2, 'Service shop/web-badport', 'svc', { service: 'shop/web-badport' }],
        [3, `Pod shop/${crasher}`, 'crashloop', { pod: `shop/${crasher}` }],
      ],
    )
    assert.match(rows[0].next.params!.pod, /^shop\//)
    assert.is(exitOf(rows, [], { ran: false, nodes: [] }), 1)
  }
})

test('every next command of every case names a shipped recipe with parameters that recipe accepts', async () => {
  const recipes = new Map((await listRecipeEntries(recipeDirs({ recipeDirs: [] }))).map((e) => [e.name, e.recipe!]))
  let n = 0
  for (const c of CASES) {
    for (const scope of [ALL, SHOP]) {
      for (const r of rowsOf(c, scope)) {
        if (!r.next.recipe) continue
        const recipe = recipes.get(r.next.recipe)
        assert.ok(recipe, `${c}: no recipe ${r.next.recipe}`)
        validateParams(recipe!, r.next.params ?? {}, 'flag')
        n++
      }
    }
  }
  assert.ok(n >= 20, `${n} next commands checked`)
})

test('exit status: 1 with rows, 2 with nothing found but a check not seen or a node not read, 0 otherwise', () => {
  const rows = rowsOf('svc-targetport')
  const off = { ran: false, nodes: [] }
  assert.is(exitOf(rows, [{ check: 'events in shop', status: 'not-seen', reason: '403' }], off), 1)
  assert.is(exitOf([], [{ check: 'events in shop', status: 'not-seen', reason: '403' }], off), 2)
  assert.is(
    exitOf([], [], {
      ran: true,
      transport: 'ssh',
      nodes: [{ node: 'lab-2', status: 'not-read', reason: 'SSH: refused' }],
    }),
    2,
  )
  assert.is(exitOf([], [{ check: 'pods in shop', status: 'seen', count: 5 }], off), 0)
})

test.run()
