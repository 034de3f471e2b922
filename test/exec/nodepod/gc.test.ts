// gcPlan on pod objects (made by buildNodePod, then aged): which kinspect pods are leftovers, and why.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { buildNodePod } from '../../../src/exec/nodepod/spec.ts'
import { buildNodeDaemonSet } from '../../../src/exec/nodepod/dsspec.ts'
import { gc, gcPlan, gcPlanDaemonSets, pidAlive } from '../../../src/exec/nodepod/gc.ts'
import type { NodePodApi } from '../../../src/exec/nodepod/api.ts'
import type { DaemonSet, Pod } from '../../../src/kube/types.ts'

const T0 = Date.parse('2025-11-29T08:00:00Z')
const min = 60_000

function pod(o: {
  node?: string
  session?: string
  host?: string
  pid?: number
  createdAt?: number
  beatAt?: number
  deadline?: number
  phase?: string
  deleting?: boolean
}): Pod {
  const created = o.createdAt ?? T0
  const p = buildNodePod(o.node ?? 'lab-1', {
    namespace: 'kube-system',
    session: o.session ?? 'other',
    user: 'u',
    host: o.host ?? 'laptop',
    pid: o.pid ?? 100,
    now: new Date(created),
    deadlineSeconds: o.deadline,
  })
  p.metadata.creationTimestamp = new Date(created).toISOString().replace(/\.\d+Z$/, 'Z')
  p.metadata.annotations!['kinspect.dev/heartbeat'] = new Date(o.beatAt ?? created).toISOString()
  p.status = { phase: o.phase ?? 'Running' }
  if (o.deleting) p.metadata.deletionTimestamp = new Date(T0).toISOString()
  return p
}
const ctx = (alive: number[] = []) => ({
  host: 'laptop',
  localPidAlive: (pid: number) => alive.includes(pid),
  session: 'mine',
})
const verdicts = (pods: Pod[], now: number, c = ctx()) => gcPlan(pods, now, c).map((e) => [e.leftover, e.reason])

test('a pod from this host whose process is gone is a leftover at once; one whose process lives is kept', () => {
  const now = T0 + 1 * min
  assert.equal(verdicts([pod({ pid: 100 }), pod({ pid: 200 })], now, ctx([200])), [
    [true, 'its session (pid 100 on laptop) is gone'],
    [false, 'live session on laptop (heartbeat 60 s ago)'],
  ])
})

test('a pod from another host is judged by its heartbeat: older than 5 minutes means its session is gone', () => {
  const fresh = pod({ host: 'ci-runner', beatAt: T0 + 9 * min })
  const stale = pod({ host: 'ci-runner', beatAt: T0 + 4 * min })
  const now = T0 + 10 * min
  assert.equal(verdicts([fresh, stale], now), [
    [false, 'live session on ci-runner (heartbeat 60 s ago)'],
    [true, 'heartbeat 6 min old (session on ci-runner)'],
  ])
  // the threshold is configurable
  assert.equal(
    gcPlan([stale], now, { ...ctx(), staleMinutes: 10 }).map((e) => e.leftover),
    [false],
  )
})

test('a live process with a stale heartbeat (e.g. pid reused) still counts as gone', () => {
  assert.equal(verdicts([pod({ pid: 300, beatAt: T0 })], T0 + 30 * min, ctx([300])), [
    [true, 'heartbeat 30 min old (session on laptop)'],
  ])
})

test('past its deadline or finished is a leftover whatever the heartbeat says', () => {
  const now = T0 + 61 * min
  assert.equal(
    verdicts(
      [
        pod({ deadline: 3600, beatAt: now }),
        pod({ phase: 'Succeeded', beatAt: now }),
        pod({ phase: 'Failed', beatAt: now }),
      ],
      now,
      ctx([100]),
    ),
    [
      [true, 'past its deadline (3600 s, created 61 min ago)'],
      [true, 'finished (Succeeded)'],
      [true, 'finished (Failed)'],
    ],
  )
})

test("the running session's pods and pods already being deleted are kept", () => {
  const now = T0 + 120 * min
  assert.equal(verdicts([pod({ session: 'mine', phase: 'Failed' }), pod({ deleting: true, phase: 'Failed' })], now), [
    [false, 'this session'],
    [false, 'being deleted'],
  ])
})

test('entries carry namespace, name, node and session', () => {
  const p = pod({ node: 'lab-2', session: 'abc' })
  const [e] = gcPlan([p], T0, ctx())
  assert.equal(
    { ...e, reason: undefined, leftover: undefined },
    {
      namespace: 'kube-system',
      name: p.metadata.name,
      node: 'lab-2',
      session: 'abc',
      reason: undefined,
      leftover: undefined,
    },
  )
})

test('pidAlive: this process is alive, a pid far above pid_max is not', () => {
  assert.is(pidAlive(process.pid), true)
  assert.is(pidAlive(2 ** 22 + 12345), false)
})

test('gc() deletes only the leftovers, lists all namespaces, and falls back to one when that is forbidden', async () => {
  const pods = [pod({ pid: 2 ** 22 + 1 }), pod({ session: 'mine' })]
  const deleted: string[] = []
  const listed: (string | undefined)[] = []
  const api = {
    async listPods(sel: string, ns?: string) {
      listed.push(ns)
      assert.is(sel, 'app.kubernetes.io/managed-by=kinspect')
      if (ns === undefined) throw Object.assign(new Error('forbidden'), { kind: 'forbidden' })
      return pods
    },
    async deletePod(ns: string, name: string) {
      deleted.push(`${ns}/${name}`)
    },
  } as unknown as NodePodApi
  const r = await gc(api, { namespace: 'kube-system', session: 'mine', host: 'laptop', now: T0 + min })
  assert.equal(listed, [undefined, 'kube-system'])
  assert.equal(deleted, [`kube-system/${pods[0].metadata.name}`])
  assert.equal(r.deleted, deleted)
  assert.equal(
    r.entries.map((e) => e.leftover),
    [true, false],
  )
  const dry = await gc(api, { namespace: 'kube-system', session: 'mine', host: 'laptop', now: T0 + min, dryRun: true })
  assert.equal(dry.deleted, [])
  assert.is(deleted.length, 1)
})

function daemonSet(o: {
  session?: string
  host?: string
  pid?: number
  createdAt?: number
  beatAt?: number
  deadline?: number
  deleting?: boolean
}): DaemonSet {
  const created = o.createdAt ?? T0
  const d = buildNodeDaemonSet(['lab-1', 'lab-2', 'lab-3'], {
    namespace: 'kube-system',
    session: o.session ?? 'other',
    user: 'u',
    host: o.host ?? 'laptop',
    pid: o.pid ?? 100,
    now: new Date(created),
    deadlineSeconds: o.deadline,
  })
  d.metadata.creationTimestamp = new Date(created).toISOString()
  d.metadata.annotations!['kinspect.dev/heartbeat'] = new Date(o.beatAt ?? created).toISOString()
  if (o.deleting) d.metadata.deletionTimestamp = new Date(T0).toISOString()
  return d
}

/** A pod as the DaemonSet controller makes it from the template (labels, owner, no annotations of its own). */
function dsPod(d: DaemonSet, node: string): Pod {
  return {
    metadata: {
      name: `${d.metadata.name}-abcde`,
      namespace: 'kube-system',
      labels: { ...d.spec.template.metadata.labels },
      ownerReferences: [
        { apiVersion: 'apps/v1', kind: 'DaemonSet', name: d.metadata.name, uid: 'u1', controller: true },
      ],
      creationTimestamp: new Date(T0 - 600 * min).toISOString(),
    },
    spec: { ...d.spec.template.spec, nodeName: node },
    status: { phase: 'Running' },
  }
}

test('fleet DaemonSets: past the deadline annotation, a gone process or a stale heartbeat make a leftover; live and own ones are kept', () => {
  const now = T0 + 21 * min
  const sets = [
    daemonSet({ deadline: 1200, beatAt: now }),
    daemonSet({ pid: 100, beatAt: now }),
    daemonSet({ host: 'ci', beatAt: T0 }),
    daemonSet({ host: 'ci', beatAt: now - min }),
    daemonSet({ session: 'mine', deadline: 60 }),
    daemonSet({ deleting: true, deadline: 60 }),
  ]
  const e = gcPlanDaemonSets(sets, now, ctx([]))
  assert.equal(
    e.map((x) => [x.leftover, x.reason]),
    [
      [true, 'past its deadline (2025-11-29T08:20:00.000Z, 60 s ago)'],
      [true, 'its session (pid 100 on laptop) is gone'],
      [true, 'heartbeat 21 min old (session on ci)'],
      [false, 'live session on ci (heartbeat 60 s ago)'],
      [false, 'this session'],
      [false, 'being deleted'],
    ],
  )
  assert.equal(
    { ...e[0], reason: '' },
    {
      namespace: 'kube-system',
      name: `daemonset/${sets[0].metadata.name}`,
      node: '3 nodes',
      session: 'other',
      leftover: true,
      reason: '',
    },
  )
})

test("a DaemonSet's pods are never leftovers one by one (the controller would make them again): their DaemonSet decides", () => {
  const d = daemonSet({ pid: 100 })
  const p = dsPod(d, 'lab-2')
  assert.equal(verdicts([p], T0 + 600 * min), [[false, `pod of daemonset ${d.metadata.name} (deleted with it)`]])
  delete p.metadata.labels!['kinspect.dev/daemonset'] // the owner reference alone is enough
  assert.equal(verdicts([p], T0 + 600 * min), [[false, `pod of daemonset ${d.metadata.name} (deleted with it)`]])
})

test('gc() deletes a leftover DaemonSet (not its pods), and lists DaemonSets in every namespace', async () => {
  const d = daemonSet({ pid: 2 ** 22 + 7 })
  const live = daemonSet({ pid: process.pid })
  const calls: string[] = []
  const api = {
    async listPods() {
      return [dsPod(d, 'lab-1'), dsPod(d, 'lab-2')]
    },
    async listDaemonSets(sel: string, ns?: string) {
      calls.push(`list-ds ${sel} ${ns ?? '*'}`)
      return [d, live]
    },
    async deletePod(ns: string, name: string) {
      calls.push(`delete-pod ${ns}/${name}`)
    },
    async deleteDaemonSet(ns: string, name: string) {
      calls.push(`delete-ds ${ns}/${name}`)
    },
  } as unknown as NodePodApi
  const r = await gc(api, { namespace: 'kube-system', session: 'mine', host: 'laptop', now: T0 + min })
  assert.equal(calls, ['list-ds app.kubernetes.io/managed-by=kinspect *', `delete-ds kube-system/${d.metadata.name}`])
  assert.equal(r.deleted, [`kube-system/daemonset/${d.metadata.name}`])
  assert.equal(
    r.entries.map((e) => e.leftover),
    [true, false, false, false],
  )
})

test.run()
