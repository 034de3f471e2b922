// Kube tables (rows as data, then text) and the describe layout.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fs from 'node:fs'
import path from 'node:path'
import { endpointSliceRows, eventRows, genericRows, kubeRows, nodeRows, podRows, renderKubeList, serviceRows } from '../../src/render/kube.ts'
import { renderDescription, renderEvents } from '../../src/render/kubeDescribe.ts'
import { describeNode, describePod, describeService } from '../../src/kube/describe.ts'

const fx = (f: string) => JSON.parse(fs.readFileSync(path.join(import.meta.dirname, '../fixtures/kube', f), 'utf8'))
const now = Date.parse('2025-11-22T18:30:17Z')
const text = (c: unknown) => (c && typeof c === 'object' ? (c as { text: string }).text : String(c ?? ''))
const plain = (rows: unknown[][]) => rows.map((r) => r.map(text))

test('pod rows: kubectl columns, NAMESPACE only when several namespaces', () => {
  const pods = [fx('pod-web-restarted.json'), fx('pod-crashloop.json'), fx('pod-init.json')]
  const r = podRows(pods, { now })
  assert.equal(r.headers, ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE', 'IP', 'NODE'])
  assert.equal(plain(r.rows), [
    ['web-6d4b8f7c9-x2kqp', '1/1', 'Running', '1 (10m ago)', '30m', '10.244.0.12', 'lab-1'],
    ['crash', '1/2', 'CrashLoopBackOff', '5 (21m ago)', '30m', '10.244.0.20', 'lab-1'],
    ['initwait', '0/1', 'Init:0/2', '0', '30m', '10.244.0.21', 'lab-1'],
  ])
  const other = { ...fx('pod-crashloop.json'), metadata: { ...fx('pod-crashloop.json').metadata, namespace: 'kube-system' } }
  assert.equal(podRows([pods[0], other], { now }).headers[0], 'NAMESPACE')
  assert.equal(podRows([pods[0]], { now, namespaceColumn: true }).rows[0][0], 'shop')
  const bare = podRows([{ metadata: { name: 'new' }, spec: { containers: [{ name: 'a' }] } }], { now })
  assert.equal(plain(bare.rows), [['new', '0/1', '', '0', '<unknown>', '<none>', '<none>']])
})

test('service, node, endpoint and event rows', () => {
  assert.equal(plain(serviceRows([fx('svc-web.json'), fx('svc-web-nodeport.json')], { now }).rows), [
    ['web', 'ClusterIP', '10.96.120.7', '<none>', '80/TCP', '30m', 'app=web'],
    ['web-nodeport', 'NodePort', '10.96.33.2', '<none>', '80:30080/TCP', '30m', 'app=web'],
  ])
  assert.equal(plain(nodeRows([fx('node-lab-1.json')], { now }).rows), [['lab-1', 'Ready', 'control-plane', '40m', 'v1.33.13', '10.99.0.1']])
  assert.equal(plain(endpointSliceRows(fx('endpointslices-web.json').items).rows), [
    ['web-abcde', '10.244.0.13', 'false', 'pod/web-6d4b8f7c9-7wz2m', 'lab-1', 'http 8080/TCP'],
    ['web-abcde', '10.244.0.12', 'true', 'pod/web-6d4b8f7c9-x2kqp', 'lab-1', 'http 8080/TCP'],
  ])
  const ev = eventRows(fx('events-crash.json').items, { now })
  assert.equal(plain(ev.rows)[0], ['20m (x12 over 30m)', 'Warning', 'BackOff', 'pod/crash', 'Back-off restarting failed container main in pod crash_shop(7d7d7d7d-1111-2222-3333-444455556666)'])
  assert.equal(plain(ev.rows)[1].slice(0, 4), ['30m', 'Normal', 'Scheduled', 'pod/crash'])
})

test('generic rows: NAME AGE; workloads add READY UP-TO-DATE AVAILABLE; kubeRows dispatches on kind', () => {
  const cm = { kind: 'ConfigMap', metadata: { name: 'cfg', creationTimestamp: '2025-11-22T18:30:00Z' } }
  assert.equal(genericRows([cm], { now }), { headers: ['NAME', 'AGE'], rows: [['cfg', '17s']] })
  const dep = { kind: 'Deployment', metadata: { name: 'web', creationTimestamp: '2025-11-22T18:00:00Z' }, spec: { replicas: 2 }, status: { readyReplicas: 2, updatedReplicas: 2, availableReplicas: 2 } }
  assert.equal(plain(genericRows([dep], { now }).rows), [['web', '2/2', '2', '2', '30m']])
  assert.equal(kubeRows('Node', [fx('node-lab-1.json')], { now }).headers[1], 'STATUS')
  assert.equal(kubeRows('Lease', [fx('lease-lab-1.json')], { now }).headers, ['NAME', 'AGE'])
})

test('renderKubeList: text, empty message naming the namespace, colour only when asked', () => {
  const t = renderKubeList('Pod', [fx('pod-crashloop.json')], { now, color: false })
  assert.is(t, ['NAME    READY   STATUS             RESTARTS      AGE   IP            NODE', 'crash   1/2     CrashLoopBackOff   5 (21m ago)   30m   10.244.0.20   lab-1'].join('\n'))
  assert.is(renderKubeList('Pod', [], { namespace: 'shop', color: false }), 'No resources found in shop namespace.')
  assert.is(renderKubeList('Pod', [], { color: false }), 'No resources found.')
  const c = renderKubeList('Pod', [fx('pod-crashloop.json')], { now, color: true })
  assert.match(c, /\x1b\[31mCrashLoopBackOff\x1b\[39m/)
  assert.is(c.replace(/\x1b\[[0-9;]*m/g, ''), t)
})

test('describe pod text: like kubectl describe (State, Last State, Exit Code, Restart Count, Conditions, Events)', () => {
  const t = renderDescription(describePod(fx('pod-crashloop.json'), fx('events-crash.json').items), { now, color: false })
  assert.match(t, /^Name:\s+crash$/m)
  assert.match(t, /^Node:\s+lab-1\/10\.99\.0\.1$/m)
  assert.match(t, /^Status:\s+Running  \(CrashLoopBackOff\)$/m)
  assert.match(t, /  main:\n(.*\n)*?\s+State:\s+Waiting\n\s+Reason:\s+CrashLoopBackOff\n\s+Message:\s+back-off 2m40s.*\n\s+Last State:\s+Terminated\n\s+Reason:\s+Error\n\s+Exit Code:\s+1\n/)
  assert.match(t, /^\s+Restart Count:\s+5$/m)
  assert.match(t, /^Conditions:\n\s+Type\s+Status\s+Reason\s+Message\n/m)
  assert.match(t, /^\s+Ready\s+False\s+ContainersNotReady\s+containers with unready status: \[main\]$/m)
  assert.match(t, /^Events:\n\s+Type\s+Reason\s+Age\s+From\s+Message\n\s+Normal\s+Scheduled\s+30m\s+default-scheduler\s+Successfully assigned shop\/crash to lab-1$/m)
  assert.match(t, /^\s+Warning\s+BackOff\s+20m \(x12 over 30m\)\s+kubelet, lab-1\s+Back-off restarting/m)
  assert.is(renderEvents([]), 'Events:  <none>')
})

test('describe node text: conditions with messages, addresses, capacity/allocatable, lease age', () => {
  const d = describeNode(fx('node-lab-1.json'), fx('lease-lab-1.json'), [fx('pod-crashloop.json')], [], now)
  const t = renderDescription(d, { now, color: false })
  assert.match(t, /^Lease:\s+holder lab-1, renewed 2025-11-22T18:30:05\.123456Z \(12s ago\)$/m)
  assert.match(t, /^\s+MemoryPressure\s+False\s+2025-11-22T18:30:00Z \(17s ago\)\s+KubeletHasSufficientMemory\s+kubelet has sufficient memory available$/m)
  assert.match(t, /^Addresses:\n  InternalIP: 10\.99\.0\.1\n  Hostname: lab-1$/m)
  assert.match(t, /^\s+memory\s+4027520Ki\s+3925120Ki$/m)
  assert.match(t, /^Non-terminated Pods: \(1 in total\)\n\s+Namespace\s+Name\s+Phase\n\s+shop\s+crash\s+Running$/m)
})

test('describe service text: selector, ports, endpoints with readiness', () => {
  const t = renderDescription(describeService(fx('svc-web-nodeport.json'), fx('endpointslices-web.json').items), { now, color: false })
  assert.match(t, /^Selector:\s+app=web$/m)
  assert.match(t, /^Port:\s+http  80\/TCP\nTargetPort:\s+8080\/TCP\nNodePort:\s+http  30080\/TCP$/m)
  assert.match(t, /^Endpoints:\s+10\.244\.0\.12,10\.244\.0\.13 \(not ready\)$/m)
  assert.match(t, /^Endpoint details \(http 8080\/TCP\):$/m)
  const none = renderDescription(describeService(fx('svc-web.json'), []), { now, color: false })
  assert.match(none, /^Endpoints:\s+<none>$/m)
})

test.run()
