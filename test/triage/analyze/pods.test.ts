// podSymptom's order and grace periods on pods built here (shapes chosen to sit on each boundary; the lab's own
// scenarios are in test/triage/analyze.test.ts).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { Pod } from '../../../src/kube/types.ts'
import { GRACE, podSymptom } from '../../../src/triage/analyze/pods.ts'

const NOW = Date.parse('2026-11-30T10:00:00Z')
const ago = (s: number) => new Date(NOW - s * 1000).toISOString()
const snap = { now: NOW, events: [], replicasets: [] }

function pod(o: { age: number; phase: string; node?: string; statuses?: object[]; conditions?: object[] }): Pod {
  return {
    metadata: { name: 'p', namespace: 'shop', uid: 'u1', creationTimestamp: ago(o.age) },
    spec: {
      containers: [
        { name: 'a', image: 'img:a' },
        { name: 'b', image: 'img:b' },
      ],
      nodeName: o.node,
    },
    status: { phase: o.phase, containerStatuses: o.statuses ?? [], conditions: o.conditions ?? [] },
  } as unknown as Pod
}
const restarted = (finishedAgo: number) => ({
  name: 'a',
  image: 'img:a',
  ready: false,
  restartCount: 1,
  state: { running: {} },
  lastState: { terminated: { exitCode: 1, reason: 'Error', finishedAt: ago(finishedAgo) } },
})

test('an unscheduled pod within its grace has no symptom, whatever its containers say', () => {
  const young = pod({ age: GRACE.pendingSeconds - 10, phase: 'Pending', statuses: [restarted(5)] })
  assert.is(podSymptom(young, snap), undefined)
  const old = pod({ age: GRACE.pendingSeconds + 10, phase: 'Pending' })
  assert.equal([podSymptom(old, snap)?.code, podSymptom(old, snap)?.symptom], ['pending', 'Pending: not scheduled'])
})

test('a scheduled Pending pod within its starting grace goes on to the later checks', () => {
  const p = pod({ age: 30, phase: 'Pending', node: 'lab-1', statuses: [restarted(5)] })
  const s = podSymptom(p, snap)
  assert.equal([s?.code, s?.severity], ['restarting', 'warn'])
  assert.equal(s?.causes, [], 'a restart is not blamed on the node')
  const late = pod({ age: GRACE.startingSeconds + 1, phase: 'Pending', node: 'lab-1' })
  const l = podSymptom(late, snap)
  assert.equal([l?.code, l?.symptom, l?.causes], ['pending', 'Pending: containers not started', ['Node//lab-1']])
})

test('an image pull comes before a crash loop, and names the container when there are several', () => {
  const p = pod({
    age: 600,
    phase: 'Running',
    node: 'lab-2',
    statuses: [
      { name: 'a', image: 'img:a', ready: false, restartCount: 3, state: { waiting: { reason: 'CrashLoopBackOff' } } },
      {
        name: 'b',
        image: 'img:b',
        ready: false,
        restartCount: 0,
        state: { waiting: { reason: 'ImagePullBackOff', message: 'failed to pull: manifest unknown: img:b' } },
      },
    ],
  })
  const s = podSymptom(p, snap)
  assert.equal([s?.code, s?.symptom], ['image-pull', 'ImagePullBackOff'])
  assert.match(s?.evidence ?? '', /^b: img:b: /)
})

test('Running and not Ready counts only after its grace', () => {
  const notReady = (since: number) =>
    pod({
      age: 3600,
      phase: 'Running',
      node: 'lab-3',
      statuses: [{ name: 'a', image: 'img:a', ready: false, restartCount: 0, state: { running: {} } }],
      conditions: [{ type: 'Ready', status: 'False', lastTransitionTime: ago(since) }],
    })
  assert.is(podSymptom(notReady(GRACE.notReadySeconds - 10), snap), undefined)
  const s = podSymptom(notReady(GRACE.notReadySeconds + 10), snap)
  assert.equal([s?.code, s?.symptom, s?.causes], ['not-ready', 'Running, not Ready', ['Node//lab-3']])
})

test.run()
