// kubectl's status logic: printPod's READY/STATUS/RESTARTS, node status and roles (src/kube/status.ts).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { nodeRoles, nodeStatus, podColumns } from '../../src/kube/status.ts'
import type { Pod } from '../../src/kube/types.ts'

import { capture, kubectlTable, pick } from './labkube.ts'

const pods = capture('pods')
const kubectlPods = kubectlTable(pods.text)
/** READY and STATUS as kubectl get pods printed them for the captured pod NAME. */
const printed = (name: string) => kubectlPods.rows.find((r) => r[0] === name)!.slice(1, 3)
const pod = (status: Pod['status'], spec: Partial<Pod['spec']> = {}, meta: object = {}): Pod => ({
  metadata: { name: 'p', ...meta },
  spec: { containers: [{ name: 'a' }], ...spec },
  status,
})
const running = { running: { startedAt: '2025-01-01T00:00:00Z' } }

test('podColumns: READY and STATUS as kubectl printed them; restarts with the last restart time; completed', () => {
  for (const p of pods.items) {
    const c = podColumns(p)
    assert.equal([c.ready, c.status], printed(p.metadata.name), p.metadata.name)
  }
  const web = pick(pods.items, 'Pod', 'web')
  assert.equal(podColumns(web), {
    ready: '1/1',
    status: 'Running',
    restarts: 1,
    lastRestart: web.status.containerStatuses[0].lastState.terminated.finishedAt,
  })
  const crash = pick(pods.items, 'Pod', 'crash')
  const main = crash.status.containerStatuses.find((c: any) => c.name === 'main')
  assert.equal(podColumns(crash), {
    ready: '1/2',
    status: 'CrashLoopBackOff',
    restarts: main.restartCount,
    lastRestart: main.lastState.terminated.finishedAt,
  })
  assert.equal(podColumns(pick(pods.items, 'Pod', 'web-canary')), {
    ready: '0/1',
    status: 'Running',
    restarts: 0,
    lastRestart: undefined,
  })
  const done = pod({
    phase: 'Succeeded',
    containerStatuses: [
      {
        name: 'a',
        ready: false,
        restartCount: 0,
        image: 'i',
        state: { terminated: { exitCode: 0, reason: 'Completed' } },
      },
    ],
  })
  assert.equal(podColumns(done), { ready: '0/1', status: 'Completed', restarts: 0, lastRestart: undefined })
})

test('podColumns: terminated without reason -> ExitCode:N / Signal:N; pending without statuses', () => {
  const exit = pod({
    phase: 'Running',
    containerStatuses: [
      { name: 'a', ready: false, restartCount: 0, image: 'i', state: { terminated: { exitCode: 3 } } },
    ],
  })
  assert.is(podColumns(exit).status, 'ExitCode:3')
  const sig = pod({
    phase: 'Running',
    containerStatuses: [
      { name: 'a', ready: false, restartCount: 0, image: 'i', state: { terminated: { exitCode: 0, signal: 9 } } },
    ],
  })
  assert.is(podColumns(sig).status, 'Signal:9')
  assert.equal(podColumns(pod({ phase: 'Pending' })), {
    ready: '0/1',
    status: 'Pending',
    restarts: 0,
    lastRestart: undefined,
  })
  assert.is(podColumns(pod({ phase: 'Failed', reason: 'Evicted' })).status, 'Evicted')
})

test('podColumns: init containers (Init:N/M, Init:Error, Init:CrashLoopBackOff), sidecars count in READY', () => {
  assert.equal(podColumns(pick(pods.items, 'Pod', 'initwait')), {
    ready: '0/1',
    status: 'Init:0/2',
    restarts: 0,
    lastRestart: undefined,
  })
  const initErr = pod(
    {
      phase: 'Pending',
      initContainerStatuses: [
        {
          name: 'i',
          ready: false,
          restartCount: 2,
          image: 'x',
          state: { terminated: { exitCode: 1, reason: 'Error' } },
        },
      ],
    },
    { initContainers: [{ name: 'i' }] },
  )
  assert.equal([podColumns(initErr).status, podColumns(initErr).restarts], ['Init:Error', 2])
  const initBack = pod(
    {
      phase: 'Pending',
      initContainerStatuses: [
        { name: 'i', ready: false, restartCount: 2, image: 'x', state: { waiting: { reason: 'CrashLoopBackOff' } } },
      ],
    },
    { initContainers: [{ name: 'i' }] },
  )
  assert.is(podColumns(initBack).status, 'Init:CrashLoopBackOff')
  const initExit = pod(
    {
      phase: 'Pending',
      initContainerStatuses: [
        { name: 'i', ready: false, restartCount: 0, image: 'x', state: { terminated: { exitCode: 2 } } },
      ],
    },
    { initContainers: [{ name: 'i' }] },
  )
  assert.is(podColumns(initExit).status, 'Init:ExitCode:2')
  const sidecar = pod(
    {
      phase: 'Running',
      conditions: [
        { type: 'Initialized', status: 'True' },
        { type: 'Ready', status: 'True' },
      ],
      initContainerStatuses: [
        { name: 'proxy', ready: true, started: true, restartCount: 1, image: 'x', state: running },
      ],
      containerStatuses: [{ name: 'a', ready: true, restartCount: 0, image: 'i', state: running }],
    },
    { initContainers: [{ name: 'proxy', restartPolicy: 'Always' }] },
  )
  assert.equal(podColumns(sidecar), { ready: '2/2', status: 'Running', restarts: 1, lastRestart: undefined })
})

test('podColumns: Completed with a running container -> Running/NotReady; deletion -> Terminating / Unknown', () => {
  const mixed = (ready: string) =>
    pod(
      {
        phase: 'Running',
        conditions: [{ type: 'Ready', status: ready }],
        containerStatuses: [
          { name: 'a', ready: true, restartCount: 0, image: 'i', state: running },
          {
            name: 'b',
            ready: false,
            restartCount: 0,
            image: 'i',
            state: { terminated: { exitCode: 0, reason: 'Completed' } },
          },
        ],
      },
      { containers: [{ name: 'a' }, { name: 'b' }] },
    )
  assert.is(podColumns(mixed('True')).status, 'Running')
  assert.is(podColumns(mixed('False')).status, 'NotReady')
  const del = pod({ phase: 'Running' }, {}, { deletionTimestamp: '2025-01-01T00:00:00Z' })
  assert.is(podColumns(del).status, 'Terminating')
  assert.is(podColumns(pod({ phase: 'Running', reason: 'NodeLost' }, {}, { deletionTimestamp: 'x' })).status, 'Unknown')
  assert.is(podColumns(pod({ phase: 'Succeeded' }, {}, { deletionTimestamp: 'x' })).status, 'Succeeded')
  assert.is(
    podColumns(
      pod({ phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'SchedulingGated' }] }),
    ).status,
    'SchedulingGated',
  )
})

test('node status and roles: as kubectl get nodes printed them, Ready and NotReady', () => {
  for (const name of ['nodes', 'nodes-notready']) {
    const c = capture(name)
    const k = kubectlTable(c.text).rows
    for (const n of c.items) {
      const row = k.find((r) => r[0] === n.metadata.name)!
      assert.equal([nodeStatus(n), nodeRoles(n).join(',') || '<none>'], [row[1], row[2]], `${name} ${n.metadata.name}`)
    }
  }
  const n = pick(capture('nodes-notready').items, 'Node', 'lab-2')
  assert.is(nodeStatus(n), 'NotReady')
  assert.is(n.status.conditions.find((c: any) => c.type === 'Ready').status, 'Unknown')
  n.spec.unschedulable = true
  assert.is(nodeStatus(n), 'NotReady,SchedulingDisabled')
  assert.is(nodeStatus({ metadata: { name: 'x' } }), 'Unknown')
  assert.equal(
    nodeRoles({
      metadata: {
        name: 'x',
        labels: { 'kubernetes.io/role': 'infra', 'node-role.kubernetes.io/worker': '', 'node-role.kubernetes.io/': '' },
      },
    }),
    ['infra', 'worker'],
  )
})

test.run()
