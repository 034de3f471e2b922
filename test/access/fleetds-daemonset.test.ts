// NodeDaemonSet over a fake API whose "controller" makes a pod per node (fleetds-kit.ts): a node whose pod cannot
// start fails alone, the controller's FailedCreate fails every podless node at once, access is checked first and a
// refused DaemonSet leaves the nodes to node pods; dsPodNode reads a pod's node before and after it is bound.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { prepareDaemonSets } from '../../src/access/fleetds.ts'
import { NodeDaemonSet, dsPodNode } from '../../src/exec/nodepod/daemonset.ts'
import { NodePods } from '../../src/exec/nodepod/manager.ts'
import { KubeError } from '../../src/kube/errors.ts'
import type { KubeEvent } from '../../src/kube/types.ts'
import { FakeDsApi, deps } from './fleetds-kit.ts'

test('a node whose DaemonSet pod cannot start fails alone, by name and cause; a node that gets no pod fails at the limit', async () => {
  const api = new FakeDsApi()
  api.nodes = new Set(['lab-1', 'lab-2', 'lab-3'])
  api.badImage.add('lab-2')
  api.noPod.add('lab-3')
  const pods = new NodePods(api, { session: 'sess3', startTimeoutMs: 2500 })
  const ds = new NodeDaemonSet(pods, api, ['lab-1', 'lab-2', 'lab-3'])
  await ds.create()
  const [one, two, three] = await Promise.allSettled(['lab-1', 'lab-2', 'lab-3'].map((n) => ds.ref(n)))
  assert.is(one.status, 'fulfilled')
  assert.is(two.status, 'rejected')
  assert.equal(
    [(two as PromiseRejectedResult).reason.kind, (two as PromiseRejectedResult).reason.message],
    [
      'image',
      `the node pod's image docker.io/library/busybox:1.36.1 cannot be pulled on lab-2: ErrImagePull: not found`,
    ],
  )
  assert.is(three.status, 'rejected')
  assert.is((three as PromiseRejectedResult).reason.kind, 'unschedulable')
  assert.match(
    (three as PromiseRejectedResult).reason.message,
    new RegExp(`DaemonSet kube-system/${ds.name} made no pod on lab-3 within 3 s`),
  )
  await ds.close()
})

test("the controller's FailedCreate (PodSecurity) fails every node without a pod at once, with the namespace named", async () => {
  const api = new FakeDsApi()
  for (const n of ['a', 'b', 'c']) api.noPod.add(n)
  api.nodes = new Set(['a', 'b', 'c'])
  api.dsEvents = [
    {
      metadata: { name: 'e' },
      type: 'Warning',
      reason: 'FailedCreate',
      message:
        'Error creating: pods "kinspect-fleet-x-1" is forbidden: violates PodSecurity "baseline:latest": host namespaces (hostNetwork=true, hostPID=true, hostIPC=true), privileged (container "node" must not set securityContext.privileged=true)',
    } as KubeEvent,
  ]
  const pods = new NodePods(api, { session: 'sess4', startTimeoutMs: 30_000 })
  const ds = new NodeDaemonSet(pods, api, ['a', 'b', 'c'])
  const t0 = Date.now()
  await ds.create()
  const all = await Promise.allSettled(['a', 'b', 'c'].map((n) => ds.ref(n)))
  assert.ok(Date.now() - t0 < 10_000, 'not the 30 s limit')
  for (const r of all) {
    assert.is(r.status, 'rejected')
    assert.is((r as PromiseRejectedResult).reason.kind, 'podsecurity')
    assert.match((r as PromiseRejectedResult).reason.message, /PodSecurity "baseline" rejects the node pod/)
  }
  // it serves no node: deleted at once, not at the session's end
  for (let i = 0; i < 50 && api.sets.size; i++) await new Promise((r) => setTimeout(r, 20))
  assert.equal([api.sets.size, api.calls.filter((c) => c.startsWith('delete-ds'))], [0, [`delete-ds ${ds.name}`]])
  assert.equal(
    await ds.close(),
    { deleted: [`daemonset/${ds.name}`], remaining: [] },
    'close() later reports the same deletion',
  )
})

test('access is checked first (every missing verb named), and a refused DaemonSet leaves the nodes to node pods', async () => {
  const api = new FakeDsApi()
  api.deniedApps.add('create daemonsets')
  const pods = new NodePods(api, { session: 'sess5' })
  const ds = new NodeDaemonSet(pods, api, ['a', 'b', 'c'])
  const e = await ds.create().catch((x) => x)
  assert.is(e.kind, 'rbac')
  assert.match(e.message, /may not create daemonsets in namespace "kube-system"/)
  assert.not.ok(api.calls.some((c) => c.startsWith('create-ds')))
  // prepareDaemonSets reports it and adopts nothing: each node makes its own pod later
  const r = await prepareDaemonSets(['a', 'b', 'c'], 2, deps(api, pods, []))
  assert.equal([r.made.length, r.failed.length, r.failed[0].nodes], [0, 1, ['a', 'b', 'c']])
  api.deniedApps.clear()
  api.dsCreateError = new KubeError(
    'forbidden',
    'daemonsets.apps is forbidden',
    undefined,
    {
      message: 'daemonsets.apps "x" is forbidden: exceeded quota: q, requested: pods=3, used: pods=0, limited: pods=1',
    },
    { status: 403 },
  )
  const q = await new NodeDaemonSet(pods, api, ['a', 'b', 'c']).create().catch((x) => x)
  assert.is(q.kind, 'quota')
})

test('dsPodNode: the node of a pod before it is bound (its one-node affinity) and after (nodeName)', () => {
  const spec = (nodeName?: string) => ({
    containers: [],
    ...(nodeName ? { nodeName } : {}),
    affinity: {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['lab-2'] }] }],
        },
      },
    },
  })
  assert.is(dsPodNode({ metadata: { name: 'p' }, spec: spec() }), 'lab-2')
  assert.is(dsPodNode({ metadata: { name: 'p' }, spec: spec('lab-3') }), 'lab-3')
  assert.is(dsPodNode({ metadata: { name: 'p' }, spec: { containers: [] } }), undefined)
})

test.run()
