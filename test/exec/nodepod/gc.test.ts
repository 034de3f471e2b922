// gcPlan on pod objects (made by buildNodePod, then aged): which kinspect pods are leftovers, and why.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { buildNodePod } from '../../../src/exec/nodepod/spec.ts'
import { gc, gcPlan, pidAlive } from '../../../src/exec/nodepod/gc.ts'
import type { NodePodApi } from '../../../src/exec/nodepod/api.ts'
import type { Pod } from '../../../src/kube/types.ts'

const T0 = Date.parse('2025-11-29T08:00:00Z')
const min = 60_000

function pod(o: { node?: string; session?: string; host?: string; pid?: number; createdAt?: number; beatAt?: number; deadline?: number; phase?: string; deleting?: boolean }): Pod {
  const created = o.createdAt ?? T0
  const p = buildNodePod(o.node ?? 'lab-1', { namespace: 'kube-system', session: o.session ?? 'other', user: 'u', host: o.host ?? 'laptop', pid: o.pid ?? 100, now: new Date(created), deadlineSeconds: o.deadline })
  p.metadata.creationTimestamp = new Date(created).toISOString().replace(/\.\d+Z$/, 'Z')
  p.metadata.annotations!['kinspect.dev/heartbeat'] = new Date(o.beatAt ?? created).toISOString()
  p.status = { phase: o.phase ?? 'Running' }
  if (o.deleting) p.metadata.deletionTimestamp = new Date(T0).toISOString()
  return p
}
const ctx = (alive: number[] = []) => ({ host: 'laptop', localPidAlive: (pid: number) => alive.includes(pid), session: 'mine' })
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
  assert.equal(gcPlan([stale], now, { ...ctx(), staleMinutes: 10 }).map((e) => e.leftover), [false])
})

test('a live process with a stale heartbeat (e.g. pid reused) still counts as gone', () => {
  assert.equal(verdicts([pod({ pid: 300, beatAt: T0 })], T0 + 30 * min, ctx([300])), [[true, 'heartbeat 30 min old (session on laptop)']])
})

test('past its deadline or finished is a leftover whatever the heartbeat says', () => {
  const now = T0 + 61 * min
  assert.equal(verdicts([pod({ deadline: 3600, beatAt: now }), pod({ phase: 'Succeeded', beatAt: now }), pod({ phase: 'Failed', beatAt: now })], now, ctx([100])), [
    [true, 'past its deadline (3600 s, created 61 min ago)'],
    [true, 'finished (Succeeded)'],
    [true, 'finished (Failed)'],
  ])
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
  assert.equal({ ...e, reason: undefined, leftover: undefined }, { namespace: 'kube-system', name: p.metadata.name, node: 'lab-2', session: 'abc', reason: undefined, leftover: undefined })
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
  assert.equal(r.entries.map((e) => e.leftover), [true, false])
  const dry = await gc(api, { namespace: 'kube-system', session: 'mine', host: 'laptop', now: T0 + min, dryRun: true })
  assert.equal(dry.deleted, [])
  assert.is(deleted.length, 1)
})

test.run()
