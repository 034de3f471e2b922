// describe*() builders from captured objects: container states, restarts, conditions, events, lease age, endpoints.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import {
  describeGeneric,
  describeNode,
  describePod,
  describeService,
  endpointInfos,
  stateInfo,
} from '../../src/kube/describe.ts'
import { sortEvents } from '../../src/kube/status.ts'
import { capture, describeContainers, eventsOf, kubectlTable, describeSection, pick } from './labkube.ts'

/** The pod of a describe capture and its events (as describe reads them), with kubectl's text. */
function podCapture(name: string) {
  const c = capture(`describe-pod-${name}`)
  const pod = pick(c.items, 'Pod', name)
  return { ...c, pod, events: eventsOf(c.items, pod) }
}
/** A description's containers as kubectl describe lays out State … Restart Count (Started/Finished left out). */
function stateLines(cs: ReturnType<typeof describePod>['containers']): Record<string, [string, string][]> {
  const out: Record<string, [string, string][]> = {}
  for (const c of cs) {
    const lines: [string, string][] = []
    for (const [label, s] of [
      ['State', c.state],
      ['Last State', c.lastState],
    ] as const) {
      if (!s) continue
      lines.push([label, s.state])
      if (s.reason) lines.push(['  Reason', s.reason])
      if (s.state === 'Terminated' && s.message) lines.push(['  Message', s.message])
      if (s.exitCode !== undefined) lines.push(['  Exit Code', String(s.exitCode)])
      if (s.signal) lines.push(['  Signal', String(s.signal)])
    }
    lines.push(['Ready', c.ready ? 'True' : 'False'], ['Restart Count', String(c.restartCount)])
    out[c.name] = lines
  }
  return out
}

test('pod: running container with a Last State from its one failed start (exit 2), as kubectl describe showed it', () => {
  const { pod, events, text } = podCapture('web')
  const d = describePod(pod, events)
  assert.match(d.name, /^web-[a-z0-9]+-[a-z0-9]{5}$/)
  assert.equal(
    [d.namespace, d.node, d.phase, d.status, d.restarts],
    [pod.metadata.namespace, 'lab-2', 'Running', 'Running', 1],
  )
  assert.is(d.controlledBy, `ReplicaSet/${pod.metadata.ownerReferences[0].name}`)
  assert.equal(d.ips, [pod.status.podIP])
  const cs = pod.status.containerStatuses[0]
  const c = d.containers[0]
  assert.equal(c.state, { state: 'Running', startedAt: cs.state.running.startedAt })
  const t = cs.lastState.terminated
  assert.equal(c.lastState, {
    state: 'Terminated',
    reason: 'Error',
    message: undefined,
    exitCode: 2,
    signal: undefined,
    startedAt: t.startedAt,
    finishedAt: t.finishedAt,
  })
  assert.equal([c.ready, c.restartCount, c.ports], [true, 1, ['8080/TCP (http)']])
  assert.equal(
    d.conditions.map((x) => `${x.type}=${x.status}`),
    ['PodReadyToStartContainers=True', 'Initialized=True', 'Ready=True', 'ContainersReady=True', 'PodScheduled=True'],
  )
  assert.equal(stateLines(d.containers), describeContainers(text, 'Containers'))
})

test('pod: CrashLoopBackOff waiting state, exit code of the last run, Ready=False with its reason, sorted events', () => {
  const { pod, events, text } = podCapture('crash')
  const d = describePod(pod, events)
  const mainStatus = pod.status.containerStatuses.find((c: any) => c.name === 'main')
  assert.is(d.status, 'CrashLoopBackOff')
  assert.ok(mainStatus.restartCount >= 2)
  assert.is(d.restarts, mainStatus.restartCount)
  const main = d.containers.find((c) => c.name === 'main')!
  assert.equal([main.state.state, main.state.reason], ['Waiting', 'CrashLoopBackOff'])
  assert.match(main.state.message!, /^back-off \d+s restarting failed container=main pod=crash_/)
  assert.equal([main.lastState?.state, main.lastState?.exitCode, main.lastState?.reason], ['Terminated', 1, 'Error'])
  assert.is(d.containers.find((c) => c.name === 'sidecar')!.lastState, undefined)
  assert.equal(
    d.conditions.find((c) => c.type === 'Ready'),
    { type: 'Ready', status: 'False', reason: 'ContainersNotReady', message: 'containers with unready status: [main]' },
  )
  assert.equal(stateLines(d.containers), describeContainers(text, 'Containers'))
  // events: kubectl describe's order, reasons and counts; From with the reporting host
  const k = kubectlTable(describeSection(text, 'Events'), 2).rows
  assert.equal(
    d.events.map((e) => [e.type, e.reason, e.message]),
    k.map((r) => [r[0], r[1], r[4]]),
  )
  assert.equal(
    d.events.map((e) => e.count),
    k.map((r) => Number(/\(x(\d+) over/.exec(r[2])?.[1] ?? 1)),
  )
  assert.equal(
    d.events.map((e) => e.from),
    k.map((r) => (r[3] === 'kubelet' ? 'kubelet, lab-1' : r[3])),
  )
  const backoff = d.events.find((e) => e.reason === 'BackOff')!
  const raw = events.find((e: any) => e.reason === 'BackOff')
  assert.equal([backoff.first, backoff.last], [raw.firstTimestamp, raw.lastTimestamp])
  const scheduled = d.events[0]
  assert.equal(
    [scheduled.reason, scheduled.from, scheduled.last],
    ['Scheduled', 'default-scheduler', events.find((e: any) => e.reason === 'Scheduled').eventTime],
  )
})

test('pod: init containers reported with Init:N/M status', () => {
  const { pod, text } = podCapture('initwait')
  const d = describePod(pod)
  assert.equal([d.phase, d.status], ['Pending', 'Init:0/2'])
  assert.equal(
    d.initContainers.map((c) => [c.name, c.init, c.state.state]),
    [
      ['wait-db', true, 'Running'],
      ['migrate', true, 'Waiting'],
    ],
  )
  assert.equal([d.initContainers[1].state.reason, d.containers[0].state.reason], ['PodInitializing', 'PodInitializing'])
  assert.equal(stateLines(d.initContainers), describeContainers(text, 'Init Containers'))
  assert.equal(stateLines(d.containers), describeContainers(text, 'Containers'))
})

test('stateInfo: signal and unknown', () => {
  assert.equal(stateInfo({ terminated: { exitCode: 137, signal: 9, reason: 'OOMKilled' } }), {
    state: 'Terminated',
    reason: 'OOMKilled',
    message: undefined,
    exitCode: 137,
    signal: 9,
    startedAt: undefined,
    finishedAt: undefined,
  })
  assert.is(stateInfo({}), undefined)
  const pod = podCapture('web').pod
  pod.status.containerStatuses = []
  assert.equal(describePod(pod).containers[0].state, { state: 'Waiting', reason: 'no status yet' })
})

test('node: conditions with messages, addresses, resources, lease renewal age, non-terminated pods', () => {
  const c = capture('describe-node-lab-1')
  const node = pick(c.items, 'Node', 'lab-1')
  const lease = pick(c.items, 'Lease', 'lab-1')
  const pods = c.items.filter((i) => i.kind === 'Pod')
  const done = { ...pick(pods, 'Pod', 'initwait'), status: { phase: 'Succeeded' } }
  const d = describeNode(node, lease, [...pods.filter((p) => p.metadata.name !== 'initwait'), done], [], c.now)
  assert.is(d.status, 'Ready')
  assert.equal(d.roles, []) // the lab's nodes carry no node-role label: kubectl printed ROLES <none>
  const ready = node.status.conditions.find((x: any) => x.type === 'Ready')
  assert.equal(
    d.conditions.find((x) => x.type === 'Ready'),
    {
      type: 'Ready',
      status: 'True',
      reason: 'KubeletReady',
      message: 'kubelet is posting ready status',
      lastHeartbeatTime: ready.lastHeartbeatTime,
      lastTransitionTime: ready.lastTransitionTime,
    },
  )
  assert.equal(d.addresses, [
    { type: 'InternalIP', address: '10.99.0.1' },
    { type: 'Hostname', address: 'lab-1' },
  ])
  assert.equal([d.capacity.pods, d.allocatable.memory], [node.status.capacity.pods, node.status.allocatable.memory])
  assert.equal(d.lease, {
    holder: 'lab-1',
    renewTime: lease.spec.renewTime,
    renewAgeSeconds: Math.round((c.now - Date.parse(lease.spec.renewTime)) / 1000),
    durationSeconds: lease.spec.leaseDurationSeconds,
  })
  const want = pods
    .filter((p) => p.metadata.name !== 'initwait')
    .map((p) => `${p.metadata.namespace}/${p.metadata.name}`)
    .sort()
  assert.equal(
    d.pods.map((p) => `${p.namespace}/${p.name}`),
    want,
  )
  assert.ok(want.includes(`${pods[0].metadata.namespace}/crash`))
  assert.equal(d.podCIDRs, node.spec.podCIDRs ?? [])
  assert.is(d.nodeInfo.kubeletVersion, node.status.nodeInfo.kubeletVersion)
  assert.match(d.nodeInfo.containerRuntimeVersion, /^containerd:\/\/1\.6\./)
  const noLease = describeNode({ ...node, spec: { unschedulable: true } }, undefined, [], [], c.now)
  assert.is(noLease.lease, undefined)
  assert.is(noLease.status, 'Ready,SchedulingDisabled')
  const nr = capture('describe-node-lab-2-notready')
  assert.is(describeNode(pick(nr.items, 'Node', 'lab-2'), undefined, [], [], nr.now).status, 'NotReady')
})

test('service: selector, ports, endpoints flattened and sorted, slice ports', () => {
  const c = capture('describe-svc-frontend')
  const slices = c.items.filter((i) => i.kind === 'EndpointSlice')
  const d = describeService(pick(c.items, 'Service', 'frontend'), slices)
  assert.equal(d.selector, { tier: 'frontend' })
  assert.equal(d.ports, [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP', nodePort: undefined }])
  const eps = slices
    .flatMap((s: any) => s.endpoints)
    .map((e: any) => [e.addresses[0], e.conditions.ready, `pod/${e.targetRef.name}`])
  eps.sort((a: any, b: any) => a[0].localeCompare(b[0], undefined, { numeric: true }))
  assert.equal(
    d.endpoints.map((e) => [e.address, e.ready, e.target]),
    eps,
  )
  assert.equal(d.endpoints.map((e) => e.ready).sort(), [false, true])
  assert.equal(d.endpointPorts, ['http 8080/TCP'])
  const np = capture('describe-svc-web-nodeport')
  assert.equal(describeService(pick(np.items, 'Service', 'web-nodeport'), []).ports, [
    { name: 'http', port: 80, targetPort: '8080', protocol: 'TCP', nodePort: 30080 },
  ])
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
  assert.equal(
    sortEvents(list).map((e) => e.metadata.name),
    ['z', 'a', 'b1', 'b2', 'c', 'd'],
  )
})

test('generic: keeps the object', () => {
  const o = { kind: 'ConfigMap', metadata: { name: 'x', namespace: 'y' } }
  assert.equal(describeGeneric(o), { kind: 'ConfigMap', name: 'x', namespace: 'y', object: o, events: [] })
})

test.run()
