// describe/render from API objects captured from the lab with kubectl -o json (test/fixtures/kube/lab-*.json).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fs from 'node:fs'
import path from 'node:path'
import { describeNode, describePod, describeService } from '../../src/kube/describe.ts'
import { sortEvents } from '../../src/kube/status.ts'
import { podRows } from '../../src/render/kube.ts'
import { renderDescription } from '../../src/render/kubeDescribe.ts'

const fx = (f: string) => JSON.parse(fs.readFileSync(path.join(import.meta.dirname, '../fixtures/kube', f), 'utf8'))

test('crasher (exit 3, restarted): state, last state, exit codes and restarts as in its JSON', () => {
  const pod = fx('lab-pod-crasher.json')
  const cs = pod.status.containerStatuses[0]
  const d = describePod(pod, fx('lab-events-crasher.json').items)
  assert.is(d.restarts, cs.restartCount)
  assert.is(d.status, 'Error') // kubectl get pods showed "Error" for this capture
  const c = d.containers[0]
  assert.equal([c.state.state, c.state.exitCode, c.state.reason], ['Terminated', 3, 'Error'])
  assert.equal([c.lastState?.state, c.lastState?.exitCode, c.lastState?.finishedAt], ['Terminated', cs.lastState.terminated.exitCode, cs.lastState.terminated.finishedAt])
  assert.is(d.controlledBy, `ReplicaSet/${pod.metadata.ownerReferences[0].name}`)
  const times = d.events.map((e) => Date.parse(e.last!))
  assert.equal(times, [...times].sort((a, b) => a - b))
  assert.ok(d.events.some((e) => e.reason === 'BackOff' || e.reason === 'Started'))
  const text = renderDescription(d, { color: false })
  assert.match(text, /Last State:\s+Terminated\n\s+Reason:\s+Error\n\s+Exit Code:\s+3/)
  const row = podRows([pod], { now: Date.parse(cs.lastState.terminated.finishedAt) + 20_000 }).rows[0]
  assert.equal([row[1], (row[2] as { text: string }).text, (row[3] as { text: string }).text], ['0/1', 'Error', `${cs.restartCount} (20s ago)`])
})

test('web pod, its service and EndpointSlice: endpoints point at the web pods', () => {
  const pod = fx('lab-pod-web.json')
  const d = describePod(pod, fx('lab-events-web.json').items)
  assert.equal([d.status, d.restarts, d.ip], ['Running', 0, pod.status.podIP])
  assert.is(d.events.length, fx('lab-events-web.json').items.length)
  const slices = fx('lab-endpointslices-web.json').items
  const s = describeService(fx('lab-svc-web.json'), slices)
  assert.equal(s.selector, { app: 'web' })
  const addrs = slices.flatMap((x: any) => x.endpoints.flatMap((e: any) => e.addresses)).sort()
  assert.equal(s.endpoints.map((e) => e.address).sort(), addrs)
  assert.ok(s.endpoints.some((e) => e.address === pod.status.podIP && e.target === `pod/${pod.metadata.name}`))
})

test('node lab-1 with its lease', () => {
  const node = fx('lab-node.json')
  const lease = fx('lab-lease.json')
  const now = Date.parse(lease.spec.renewTime) + 7_000
  const d = describeNode(node, lease, [fx('lab-pod-web.json')], [], now)
  assert.is(d.name, 'lab-1')
  assert.is(d.status, 'Ready')
  assert.equal(d.addresses.find((a) => a.type === 'InternalIP'), { type: 'InternalIP', address: '10.99.0.1' })
  assert.is(d.lease?.renewAgeSeconds, 7)
  assert.is(d.capacity.pods, node.status.capacity.pods)
  assert.equal(d.conditions.map((c) => c.type).sort(), node.status.conditions.map((c: any) => c.type).sort())
})

test('sortEvents on captured events: non-decreasing times', () => {
  const evs = sortEvents([...fx('lab-events-web.json').items].reverse())
  const t = evs.map((e: any) => Date.parse(e.lastTimestamp || e.eventTime || e.firstTimestamp))
  assert.equal(t, [...t].sort((a, b) => a - b))
})

test.run()
