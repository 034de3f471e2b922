// describe/render on the lab's own workloads and scenarios: the crashloop scenario's shop/crasher
// (test/fixtures/lab/kubectl-*-crashloop.json, `npm run lab -- capture`), shop/web behind its Services and lab-1
// with its Lease (test/fixtures/lab/kube/, `npm run lab -- capture kube`).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fs from 'node:fs'
import path from 'node:path'
import { describeNode, describePod, describeService } from '../../src/kube/describe.ts'
import { sortEvents } from '../../src/kube/status.ts'
import { podRows } from '../../src/render/kube.ts'
import { renderDescription } from '../../src/render/kube-describe.ts'
import { capture, eventsOf, kubectlTable, pick } from './labkube.ts'

const lab = (f: string) => JSON.parse(fs.readFileSync(path.join(import.meta.dirname, '../fixtures/lab', f), 'utf8'))

test('crasher (crashloop scenario: exit 3, restarting): state, last state, exit codes and restarts as in its JSON', () => {
  const pod = lab('kubectl-pods-crashloop.json').items[0]
  const events = eventsOf(lab('kubectl-events-crashloop.json').items, pod)
  const cs = pod.status.containerStatuses[0]
  assert.ok(cs.restartCount >= 1)
  const d = describePod(pod, events)
  assert.is(d.restarts, cs.restartCount)
  assert.is(d.status, 'CrashLoopBackOff')
  const c = d.containers[0]
  assert.equal([c.state.state, c.state.reason], ['Waiting', 'CrashLoopBackOff'])
  assert.match(
    c.state.message!,
    new RegExp(
      `^back-off \\d+s restarting failed container=app pod=${pod.metadata.name}_shop\\(${pod.metadata.uid}\\)$`,
    ),
  )
  assert.equal(
    [c.lastState?.state, c.lastState?.exitCode, c.lastState?.reason, c.lastState?.finishedAt],
    ['Terminated', 3, 'Error', cs.lastState.terminated.finishedAt],
  )
  assert.is(d.controlledBy, `ReplicaSet/${pod.metadata.ownerReferences[0].name}`)
  assert.ok(events.length > 0)
  assert.is(d.events.length, events.length)
  const times = d.events.map((e) => Date.parse(e.last!))
  assert.equal(
    times,
    [...times].sort((a, b) => a - b),
  )
  // the events were read just after the pod: every start it counts is among them (it may have restarted since)
  const started = d.events.filter((e) => e.reason === 'Started')
  assert.is(started.length, 1)
  assert.ok(started[0].count >= cs.restartCount + 1, `${started[0].count} starts`)
  const text = renderDescription(d, { color: false })
  assert.match(text, /Last State:\s+Terminated\n\s+Reason:\s+Error\n\s+Exit Code:\s+3/)
  const row = podRows([pod], { now: Date.parse(cs.lastState.terminated.finishedAt) + 20_000 }).rows[0]
  assert.equal(
    [row[1], (row[2] as { text: string }).text, (row[3] as { text: string }).text],
    ['0/1', 'CrashLoopBackOff', `${cs.restartCount} (20s ago)`],
  )
})

test('shop/web pods, their Service and EndpointSlices: endpoints point at the web pods on lab-2 and lab-3', () => {
  const pods = capture('pods-shop').items.filter((p) => p.metadata.labels?.app === 'web')
  assert.equal(pods.map((p) => p.spec.nodeName).sort(), ['lab-2', 'lab-3'])
  const c = capture('describe-svc-web-nodeport')
  const slices = c.items.filter((i) => i.kind === 'EndpointSlice')
  const s = describeService(pick(c.items, 'Service', 'web-nodeport'), slices)
  assert.equal(s.selector, { app: 'web' })
  const addrs = slices.flatMap((x: any) => x.endpoints.flatMap((e: any) => e.addresses)).sort()
  assert.equal(s.endpoints.map((e) => e.address).sort(), addrs)
  for (const pod of pods) {
    const d = describePod(pod)
    assert.equal([d.status, d.restarts, d.ip], ['Running', 0, pod.status.podIP])
    assert.ok(
      s.endpoints.some(
        (e) =>
          e.address === pod.status.podIP &&
          e.target === `pod/${pod.metadata.name}` &&
          e.node === pod.spec.nodeName &&
          e.ready,
      ),
    )
  }
})

test('nodes lab-1, lab-2, lab-3 with the addresses of the lab, lab-1 with its lease', () => {
  const nodes = capture('nodes')
  const k = kubectlTable(nodes.text).rows
  assert.equal(
    nodes.items.map(
      (n) => describeNode(n, undefined, [], [], nodes.now).addresses.find((a) => a.type === 'InternalIP')!.address,
    ),
    ['10.99.0.1', '10.99.0.2', '10.99.0.3'],
  )
  assert.equal(
    k.map((r) => r[5]),
    ['10.99.0.1', '10.99.0.2', '10.99.0.3'],
  )
  const c = capture('describe-node-lab-1')
  const node = pick(c.items, 'Node', 'lab-1')
  const lease = pick(c.items, 'Lease', 'lab-1')
  const now = Date.parse(lease.spec.renewTime) + 7_000
  const d = describeNode(node, lease, [], [], now)
  assert.equal([d.name, d.status], ['lab-1', 'Ready'])
  assert.is(d.lease?.renewAgeSeconds, 7)
  assert.is(d.capacity.pods, node.status.capacity.pods)
  assert.equal(d.conditions.map((x) => x.type).sort(), node.status.conditions.map((x: any) => x.type).sort())
})

test('sortEvents on captured events: non-decreasing times', () => {
  for (const items of [capture('events').items, lab('kubectl-events-crashloop.json').items]) {
    const evs = sortEvents([...items].reverse())
    const t = evs.map((e: any) =>
      Date.parse(e.series?.lastObservedTime || e.lastTimestamp || e.eventTime || e.firstTimestamp),
    )
    assert.is(t.length, items.length)
    assert.equal(
      t,
      [...t].sort((a, b) => a - b),
    )
  }
})

test.run()
