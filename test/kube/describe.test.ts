// describe*() builders from captured objects: container states, restarts, conditions, events, lease age, endpoints.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fs from 'node:fs'
import path from 'node:path'
import { describeGeneric, describeNode, describePod, describeService, endpointInfos, stateInfo } from '../../src/kube/describe.ts'
import { sortEvents } from '../../src/kube/status.ts'

const fx = (f: string) => JSON.parse(fs.readFileSync(path.join(import.meta.dirname, '../fixtures/kube', f), 'utf8'))

test('pod: running container with a Last State from its previous crash', () => {
  const d = describePod(fx('pod-web-restarted.json'))
  assert.is(d.name, 'web-6d4b8f7c9-x2kqp')
  assert.is(d.namespace, 'shop')
  assert.is(d.node, 'lab-1')
  assert.is(d.phase, 'Running')
  assert.is(d.status, 'Running')
  assert.is(d.restarts, 1)
  assert.is(d.controlledBy, 'ReplicaSet/web-6d4b8f7c9')
  assert.equal(d.ips, ['10.244.0.12'])
  const c = d.containers[0]
  assert.equal(c.state, { state: 'Running', startedAt: '2025-11-22T18:20:04Z' })
  assert.equal(c.lastState, { state: 'Terminated', reason: 'Error', message: undefined, exitCode: 2, signal: undefined, startedAt: '2025-11-22T18:00:02Z', finishedAt: '2025-11-22T18:20:03Z' })
  assert.equal([c.ready, c.restartCount, c.ports], [true, 1, ['8080/TCP (http)']])
  assert.equal(d.conditions.map((x) => `${x.type}=${x.status}`), ['PodReadyToStartContainers=True', 'Initialized=True', 'Ready=True', 'ContainersReady=True', 'PodScheduled=True'])
})

test('pod: CrashLoopBackOff waiting state, exit code of the last run, Ready=False with its reason, sorted events', () => {
  const d = describePod(fx('pod-crashloop.json'), fx('events-crash.json').items)
  assert.is(d.status, 'CrashLoopBackOff')
  assert.is(d.restarts, 5)
  const main = d.containers.find((c) => c.name === 'main')!
  assert.is(main.state.state, 'Waiting')
  assert.is(main.state.reason, 'CrashLoopBackOff')
  assert.match(main.state.message!, /^back-off 2m40s/)
  assert.equal([main.lastState?.state, main.lastState?.exitCode, main.lastState?.reason], ['Terminated', 1, 'Error'])
  assert.is(d.containers.find((c) => c.name === 'sidecar')!.lastState, undefined)
  assert.equal(d.conditions.find((c) => c.type === 'Ready'), { type: 'Ready', status: 'False', reason: 'ContainersNotReady', message: 'containers with unready status: [main]' })
  assert.equal(d.events.map((e) => [e.reason, e.count, e.from]), [['Scheduled', 1, 'default-scheduler'], ['Pulled', 6, 'kubelet, lab-1'], ['BackOff', 12, 'kubelet, lab-1']])
  assert.is(d.events[2].first, '2025-11-22T18:00:10Z')
  assert.is(d.events[2].last, '2025-11-22T18:09:30Z')
})

test('pod: init containers reported with Init:N/M status', () => {
  const d = describePod(fx('pod-init.json'))
  assert.is(d.status, 'Init:0/2')
  assert.equal(d.initContainers.map((c) => [c.name, c.init, c.state.state]), [['wait-db', true, 'Running'], ['migrate', true, 'Waiting']])
  assert.is(d.containers[0].state.reason, 'PodInitializing')
})

test('stateInfo: signal and unknown', () => {
  assert.equal(stateInfo({ terminated: { exitCode: 137, signal: 9, reason: 'OOMKilled' } }), { state: 'Terminated', reason: 'OOMKilled', message: undefined, exitCode: 137, signal: 9, startedAt: undefined, finishedAt: undefined })
  assert.is(stateInfo({}), undefined)
  const pod = fx('pod-web-restarted.json')
  pod.status.containerStatuses = []
  assert.equal(describePod(pod).containers[0].state, { state: 'Waiting', reason: 'no status yet' })
})

test('node: conditions with messages, addresses, resources, lease renewal age, non-terminated pods', () => {
  const now = Date.parse('2025-11-22T18:30:17Z')
  const done = { ...fx('pod-init.json'), status: { phase: 'Succeeded' } }
  const d = describeNode(fx('node-lab-1.json'), fx('lease-lab-1.json'), [fx('pod-web-restarted.json'), done, fx('pod-crashloop.json')], [], now)
  assert.is(d.status, 'Ready')
  assert.equal(d.roles, ['control-plane'])
  assert.equal(d.conditions.find((c) => c.type === 'Ready'), { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status', lastHeartbeatTime: '2025-11-22T18:30:00Z', lastTransitionTime: '2025-11-22T17:50:10Z' })
  assert.equal(d.addresses, [{ type: 'InternalIP', address: '10.99.0.1' }, { type: 'Hostname', address: 'lab-1' }])
  assert.equal([d.capacity.pods, d.allocatable.memory], ['150', '3925120Ki'])
  assert.equal(d.lease, { holder: 'lab-1', renewTime: '2025-11-22T18:30:05.123456Z', renewAgeSeconds: 12, durationSeconds: 40 })
  assert.equal(d.pods.map((p) => p.name), ['crash', 'web-6d4b8f7c9-x2kqp'])
  assert.equal(d.podCIDRs, ['10.244.0.0/24'])
  assert.is(d.nodeInfo.kubeletVersion, 'v1.33.13')
  const noLease = describeNode({ ...fx('node-lab-1.json'), spec: { unschedulable: true } }, undefined, [], [], now)
  assert.is(noLease.lease, undefined)
  assert.is(noLease.status, 'Ready,SchedulingDisabled')
})

test('service: selector, ports, endpoints flattened and sorted, slice ports', () => {
  const slices = fx('endpointslices-web.json').items
  const d = describeService(fx('svc-web-nodeport.json'), slices)
  assert.equal(d.selector, { app: 'web' })
  assert.equal(d.ports, [{ name: 'http', port: 80, targetPort: '8080', protocol: 'TCP', nodePort: 30080 }])
  assert.equal(d.endpoints.map((e) => [e.address, e.ready, e.target]), [['10.244.0.12', true, 'pod/web-6d4b8f7c9-x2kqp'], ['10.244.0.13', false, 'pod/web-6d4b8f7c9-7wz2m']])
  assert.equal(d.endpointPorts, ['http 8080/TCP'])
  assert.is(describeService(fx('svc-web.json'), []).ports[0].targetPort, 'http')
  assert.equal(endpointInfos([{ ...slices[0], endpoints: undefined }]), [])
})

test('sortEvents: last time of lastTimestamp / series / eventTime / firstTimestamp, stable', () => {
  const ev = (n: string, t: Record<string, unknown>) => ({ metadata: { name: n }, involvedObject: {}, ...t }) as any
  const list = [
    ev('c', { lastTimestamp: '2025-01-01T00:00:03Z', firstTimestamp: '2025-01-01T00:00:00Z' }),
    ev('a', { eventTime: '2025-01-01T00:00:01.5Z' }),
    ev('d', { eventTime: '2025-01-01T00:00:00Z', series: { count: 3, lastObservedTime: '2025-01-01T00:00:04Z' } }),
    ev('b1', { firstTimestamp: '2025-01-01T00:00:02Z' }),
    ev('b2', { lastTimestamp: '2025-01-01T00:00:02Z' }),
    ev('z', {}),
  ]
  assert.equal(sortEvents(list).map((e) => e.metadata.name), ['z', 'a', 'b1', 'b2', 'c', 'd'])
})

test('generic: keeps the object', () => {
  const o = { kind: 'ConfigMap', metadata: { name: 'x', namespace: 'y' } }
  assert.equal(describeGeneric(o), { kind: 'ConfigMap', name: 'x', namespace: 'y', object: o, events: [] })
})

test.run()
