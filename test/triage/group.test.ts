// Grouping and ranking on symptoms (triage's own data, not API objects): the cause's row takes its effects, replicas
// share a row, a stuck rollout takes its pods, passing states alone make no row, and the order is by impact.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { buildRows } from '../../src/triage/group.ts'
import { commandStep, objectKey, recipeStep } from '../../src/triage/objects.ts'
import type { ObjectRef, Symptom } from '../../src/triage/types.ts'

const pod = (name: string, ns = 'shop'): ObjectRef => ({ kind: 'Pod', namespace: ns, name })
const deploy = (name: string): ObjectRef => ({ kind: 'Deployment', namespace: 'shop', name })
const key = objectKey

function sym(over: Partial<Symptom> & Pick<Symptom, 'code' | 'object'>): Symptom {
  return {
    severity: 'fail',
    layer: 'pod',
    symptom: over.code,
    evidence: `${over.object.name} evidence`,
    next: commandStep(`look at ${over.object.name}`),
    causes: [],
    ...over,
  }
}

test('a Service without ready endpoints because its pods crash-loop is one row: the crash loop, the Service as its effect', () => {
  const rows = buildRows([
    sym({
      code: 'svc-no-endpoints',
      layer: 'service',
      object: { kind: 'Service', namespace: 'shop', name: 'orders' },
      symptom: 'no ready endpoints',
      causes: [key(pod('orders-1')), key(pod('orders-2'))],
      next: recipeStep('svc', { service: 'shop/orders' }),
    }),
    sym({
      code: 'crashloop',
      object: pod('orders-1'),
      owner: deploy('orders'),
      next: recipeStep('crashloop', { pod: 'shop/orders-1' }),
    }),
    sym({
      code: 'crashloop',
      object: pod('orders-2'),
      owner: deploy('orders'),
      next: recipeStep('crashloop', { pod: 'shop/orders-2' }),
    }),
    sym({
      code: 'workload-unavailable',
      layer: 'workload',
      object: deploy('orders'),
      symptom: '2 of 2 replicas unavailable',
      causes: [key(pod('orders-1'))],
    }),
  ])
  assert.is(rows.length, 1)
  assert.equal(
    [rows[0].object, rows[0].next.command, rows[0].also],
    ['Pod shop/orders-1', 'kinspect run crashloop --pod shop/orders-1', ['Pod shop/orders-2']],
  )
  assert.equal(
    rows[0].effects.map((e) => [e.object, e.symptom]),
    [
      ['Service shop/orders', 'no ready endpoints'],
      ['Deployment shop/orders', '2 of 2 replicas unavailable'],
    ],
  )
})

test('chains collapse to the first cause: APIService -> Service -> pods -> node', () => {
  const node = { kind: 'Node', name: 'lab-2' }
  const rows = buildRows([
    sym({
      code: 'metrics-api',
      layer: 'cluster',
      severity: 'warn',
      object: { kind: 'APIService', name: 'v1beta1.metrics.k8s.io' },
      causes: ['Service/kube-system/metrics-server'],
    }),
    sym({
      code: 'svc-no-endpoints',
      layer: 'service',
      object: { kind: 'Service', namespace: 'kube-system', name: 'metrics-server' },
      causes: [key(pod('ms-1', 'kube-system'))],
    }),
    sym({ code: 'not-ready', object: pod('ms-1', 'kube-system'), causes: [key(node)] }),
    sym({ code: 'node-notready', layer: 'node', object: node }),
  ])
  assert.equal(
    rows.map((r) => r.object),
    ['Node lab-2'],
  )
  assert.equal(rows[0].effects.map((e) => e.object).sort(), [
    'APIService v1beta1.metrics.k8s.io',
    'Pod kube-system/ms-1',
    'Service kube-system/metrics-server',
  ])
})

test('a stuck rollout takes the pods of its Deployment (the rollout recipe hands over); other pods keep their rows', () => {
  const rows = buildRows([
    sym({ code: 'not-ready', object: pod('checkout-v2-1'), owner: deploy('checkout') }),
    sym({ code: 'crashloop', object: pod('other-1'), owner: deploy('other') }),
    sym({
      code: 'rollout-stuck',
      layer: 'workload',
      object: deploy('checkout'),
      next: recipeStep('rollout', { deployment: 'shop/checkout' }),
    }),
  ])
  assert.equal(
    rows.map((r) => [r.object, r.effects.map((e) => e.object)]),
    [
      ['Deployment shop/checkout', ['Pod shop/checkout-v2-1']],
      ['Pod shop/other-1', []],
    ],
  )
})

test('a passing state alone makes no row (onlyAsEffect); under a cause, or with an effect of its own, it shows', () => {
  const short = sym({
    code: 'workload-unavailable',
    layer: 'workload',
    severity: 'warn',
    object: deploy('web'),
    onlyAsEffect: true,
    causes: [key(pod('web-1'))],
  })
  assert.equal(buildRows([short]), [])
  const withCause = buildRows([short, sym({ code: 'crashloop', object: pod('web-1'), owner: deploy('web') })])
  assert.equal(
    withCause.map((r) => [r.object, r.effects.map((e) => e.object)]),
    [['Pod shop/web-1', ['Deployment shop/web']]],
  )
  const rolling = sym({
    code: 'rollout-stuck',
    layer: 'workload',
    severity: 'warn',
    object: deploy('web'),
    onlyAsEffect: true,
  })
  assert.equal(buildRows([rolling]), [])
  assert.equal(
    buildRows([rolling, sym({ code: 'not-ready', object: pod('web-2'), owner: deploy('web') })]).map((r) => [
      r.object,
      r.severity,
    ]),
    [['Deployment shop/web', 'fail']],
  )
})

test('ranking: failures first, then node, cluster, workload, Service, pod, event; a warn cause with a failing effect fails', () => {
  const rows = buildRows([
    sym({
      code: 'events',
      layer: 'event',
      severity: 'warn',
      object: { kind: 'PersistentVolumeClaim', namespace: 'shop', name: 'data' },
    }),
    sym({ code: 'crashloop', object: pod('a-1') }),
    sym({ code: 'svc-targetport', layer: 'service', object: { kind: 'Service', namespace: 'shop', name: 'b' } }),
    sym({
      code: 'cluster-dns',
      layer: 'cluster',
      object: { kind: 'Service', namespace: 'kube-system', name: 'kube-dns' },
    }),
    sym({ code: 'node-pressure', layer: 'node', severity: 'warn', object: { kind: 'Node', name: 'lab-3' } }),
    sym({ code: 'not-ready', object: pod('c-1'), causes: ['Node//lab-3'] }),
  ])
  assert.equal(
    rows.map((r) => [r.rank, r.severity, r.object]),
    [
      [1, 'fail', 'Node lab-3'],
      [2, 'fail', 'Service kube-system/kube-dns'],
      [3, 'fail', 'Service shop/b'],
      [4, 'fail', 'Pod shop/a-1'],
      [5, 'warn', 'PersistentVolumeClaim shop/data'],
    ],
  )
})

test('Warning events attach to the rows of their objects, effects included, summed per reason', () => {
  const ev = (name: string, reason: string, count: number, message: string, t: string) => ({
    metadata: { name: `${name}.${t}`, namespace: 'shop' },
    type: 'Warning',
    reason,
    count,
    message,
    lastTimestamp: t,
    involvedObject: { kind: 'Pod', namespace: 'shop', name },
  })
  const rows = buildRows(
    [
      sym({ code: 'crashloop', object: pod('a-1'), owner: deploy('a') }),
      sym({ code: 'crashloop', object: pod('a-2'), owner: deploy('a') }),
    ],
    [
      ev('a-1', 'BackOff', 3, 'Back-off restarting failed container', '2026-01-01T00:00:01Z'),
      ev('a-1', 'BackOff', 2, 'Back-off restarting failed container app', '2026-01-01T00:00:05Z'),
      ev('a-2', 'BackOff', 4, 'Back-off b', '2026-01-01T00:00:03Z'),
      ev('zzz', 'BackOff', 9, 'not ours', '2026-01-01T00:00:03Z'),
    ],
  )
  assert.equal(
    rows[0].events.map((e) => [e.object, e.reason, e.count, e.message]),
    [
      ['Pod/shop/a-1', 'BackOff', 5, 'Back-off restarting failed container app'],
      ['Pod/shop/a-2', 'BackOff', 4, 'Back-off b'],
    ],
  )
})

test.run()
