// kubectl's column text: HumanDuration, RESTARTS, service columns, labels, status colours.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import {
  age,
  formatLabels,
  humanDuration,
  restartsCell,
  serviceExternalIP,
  servicePorts,
  statusStyle,
} from '../../src/render/kube-format.ts'
import { podColumns } from '../../src/kube/status.ts'
import { capture, kubectlTable } from '../kube/labkube.ts'
const S = 1000
const M = 60 * S
const H = 60 * M
const D = 24 * H

test('humanDuration matches kubectl at each boundary', () => {
  const cases: [number, string][] = [
    [-3 * S, '<invalid>'],
    [-1 * S, '0s'],
    [0, '0s'],
    [59 * S, '59s'],
    [119 * S, '119s'],
    [120 * S, '2m'],
    [150 * S, '2m30s'],
    [9 * M + 59 * S, '9m59s'],
    [10 * M + 30 * S, '10m'],
    [179 * M, '179m'],
    [3 * H, '3h'],
    [3 * H + 5 * M, '3h5m'],
    [8 * H + 5 * M, '8h'],
    [47 * H, '47h'],
    [2 * D, '2d'],
    [2 * D + 5 * H, '2d5h'],
    [8 * D + 5 * H, '8d'],
    [729 * D, '729d'],
    [730 * D, '2y'],
    [731 * D, '2y1d'],
    [8 * 365 * D + 5 * D, '8y'],
  ]
  for (const [ms, want] of cases) assert.is(humanDuration(ms), want, `${ms} ms`)
  assert.is(age(undefined), '<unknown>')
  assert.is(age('garbage'), '<unknown>')
  assert.is(age('2025-01-01T00:00:00Z', Date.parse('2025-01-01T00:05:00Z')), '5m')
})

test('restartsCell: the RESTARTS kubectl printed for each captured pod', () => {
  const c = capture('pods')
  const k = kubectlTable(c.text)
  const col = k.headers.indexOf('RESTARTS')
  for (const p of c.items)
    assert.is(restartsCell(podColumns(p), c.now), k.rows.find((r) => r[0] === p.metadata.name)![col], p.metadata.name)
  assert.equal(k.rows.map((r) => r[col]).filter((x) => x !== '0').length, 2) // web restarted once, crash several times
  assert.is(restartsCell({ ready: '1/1', status: 'Running', restarts: 0 }, c.now), '0')
  assert.is(restartsCell({ ready: '1/1', status: 'Running', restarts: 4 }, c.now), '4')
})

test('service ports, external IP: what kubectl get svc printed; LoadBalancer and ExternalName; labels', () => {
  const c = capture('services-shop')
  const k = kubectlTable(c.text)
  for (const svc of c.items) {
    const row = k.rows.find((r) => r[0] === svc.metadata.name)!
    assert.is(servicePorts(svc), row[k.headers.indexOf('PORT(S)')], svc.metadata.name)
    assert.is(serviceExternalIP(svc), row[k.headers.indexOf('EXTERNAL-IP')], svc.metadata.name)
  }
  assert.equal(
    c.items.map((s) => servicePorts(s)),
    ['80/TCP', '80:30081/TCP', '80:30080/TCP'],
  ) // web, web-local, web-nodeport
  assert.is(servicePorts({ metadata: { name: 'x' }, spec: {} }), '<none>')
  assert.is(serviceExternalIP({ metadata: { name: 'x' }, spec: { type: 'LoadBalancer' } }), '<pending>')
  assert.is(
    serviceExternalIP({
      metadata: { name: 'x' },
      spec: { type: 'LoadBalancer', externalIPs: ['1.2.3.4'] },
      status: { loadBalancer: { ingress: [{ ip: '5.6.7.8' }] } },
    }),
    '5.6.7.8,1.2.3.4',
  )
  assert.is(
    serviceExternalIP({ metadata: { name: 'x' }, spec: { type: 'ExternalName', externalName: 'db.example' } }),
    'db.example',
  )
  assert.is(formatLabels({ b: '2', a: '1' }), 'a=1,b=2')
  assert.is(formatLabels({}), '<none>')
})

test('statusStyle', () => {
  assert.equal(
    [
      'Running',
      'Completed',
      'Pending',
      'Init:0/2',
      'CrashLoopBackOff',
      'Init:Error',
      'ImagePullBackOff',
      'OOMKilled',
      'NotReady',
      'Weird',
    ].map(statusStyle),
    ['green', 'dim', 'yellow', 'yellow', 'red', 'red', 'red', 'red', 'red', undefined],
  )
})

test.run()
