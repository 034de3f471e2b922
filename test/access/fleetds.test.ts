// The fleet's DaemonSet without a cluster: which nodes get one (daemonSetGroups), and prepareDaemonSets and
// NodeAccess.beginFleet over a fake API whose "controller" makes a pod per node (fleetds-kit.ts): consent once,
// node → ready pod, nothing made at or below the threshold, and close() deleting it all. NodeDaemonSet itself:
// fleetds-daemonset.test.ts.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { daemonSetGroups, prepareDaemonSets } from '../../src/access/fleetds.ts'
import { AccessHooks } from '../../src/access/hooks.ts'
import { NodeAccess } from '../../src/access/manager.ts'
import type { SshSide } from '../../src/access/chooser.ts'
import type { ResolvedHost } from '../../src/exec/ssh/sshconfig-types.ts'
import { NodePods } from '../../src/exec/nodepod/manager.ts'
import { FakeNodePodApi } from '../exec/nodepod/fakeapi.ts'
import { FakeDsApi, deps, entry } from './fleetds-kit.ts'

test('daemonSetGroups: more than `above` nodes bound for a node pod make a DaemonSet; SSH nodes and served nodes stay out', () => {
  const plan = ['n1', 'n2', 'n3'].map((n) => entry(n, 'pod'))
  assert.equal(
    daemonSetGroups(plan, () => 'k', 2),
    [{ key: 'k', nodes: ['n1', 'n2', 'n3'] }],
  )
  assert.equal(
    daemonSetGroups(plan, () => 'k', 3),
    [],
    'exactly `above` nodes: node pods',
  )
  const mixed = [
    entry('a', 'pod'),
    entry('b', 'ssh'),
    entry('c', 'ssh-then-pod'),
    entry('d', 'none'),
    entry('e', 'pod'),
    entry('f', 'pod'),
  ]
  assert.equal(
    daemonSetGroups(mixed, () => 'k', 2),
    [{ key: 'k', nodes: ['a', 'e', 'f'] }],
  )
  assert.equal(
    daemonSetGroups(
      mixed,
      () => 'k',
      2,
      (n) => n === 'e',
    ),
    [],
    'a served node does not count',
  )
  // different pod settings (namespace, image…) make different DaemonSets, each judged on its own size
  const key = (n: string) => (n < 'd' ? 'ns-a' : 'ns-b')
  const six = ['a', 'b', 'c', 'd', 'e'].map((n) => entry(n, 'pod'))
  assert.equal(daemonSetGroups(six, key, 2), [{ key: 'ns-a', nodes: ['a', 'b', 'c'] }])
  assert.throws(() => daemonSetGroups(plan, () => 'k', Number.NaN), /daemonSetAbove: expected a whole number/)
})

test('prepareDaemonSets: one consent question and one DaemonSet for 3 nodes; each node is served by its own pod through NodePods', async () => {
  const api = new FakeDsApi()
  api.nodes = new Set(['lab-1', 'lab-2', 'lab-3'])
  const pods = new NodePods(api, { session: 'sess1', heartbeatMs: 60_000 })
  const asked: { name: string; nodes: readonly string[]; namespace: string }[] = []
  const r = await prepareDaemonSets(['lab-1', 'lab-2', 'lab-3'], 2, deps(api, pods, asked))
  assert.is(r.made.length, 1)
  assert.equal(r.failed, [])
  assert.is(asked.length, 1, 'one question for the whole DaemonSet')
  assert.equal([asked[0].nodes, asked[0].namespace], [['lab-1', 'lab-2', 'lab-3'], 'kube-system'])
  assert.equal(
    api.calls.filter((c) => c.startsWith('create')),
    [`create-ds ${r.made[0].name}`],
    'no node pod was created',
  )
  for (const n of ['lab-1', 'lab-2', 'lab-3']) {
    const ref = await pods.ensure(n)
    assert.equal([ref.node, ref.name, ref.daemonSet], [n, `${r.made[0].name}-${n}`, r.made[0].name])
  }
  assert.equal(pods.pods(), [], "adopted pods are not the NodePods' own (never deleted one by one)")
  pods.discard(await pods.ensure('lab-1')) // e.g. its exec said the pod is gone: the DaemonSet's pod is not deleted alone
  await new Promise((r) => setTimeout(r, 50))
  assert.not.ok(
    api.calls.some((c) => c.startsWith('delete ')),
    api.calls.join('\n'),
  )
  const closed = await r.made[0].close()
  assert.equal(closed, { deleted: [`daemonset/${r.made[0].name}`], remaining: [] })
  assert.equal(api.sets.size, 0)
  await pods.close()
  assert.not.ok(
    api.calls.some((c) => c.startsWith('delete ')),
    'NodePods.close deletes no DaemonSet pod itself',
  )
})

test('at or below the threshold, or without DaemonSet calls, nothing is made (node pods as before)', async () => {
  const api = new FakeDsApi()
  const pods = new NodePods(api, { session: 'sess2' })
  const asked: unknown[] = []
  assert.equal((await prepareDaemonSets(['a', 'b'], 2, deps(api, pods, asked))).made, [])
  const plain = new FakeNodePodApi()
  assert.equal((await prepareDaemonSets(['a', 'b', 'c'], 2, deps(api, pods, asked, { api: () => plain }))).made, [])
  assert.equal(
    (await prepareDaemonSets(['a', 'b', 'c'], 2, deps(api, pods, asked, { served: (n) => n === 'a' }))).made,
    [],
    'served nodes do not count',
  )
  assert.equal(asked, [])
  assert.equal(api.calls, [])
})

test('NodeAccess.beginFleet: SSH nodes may start at once; pod nodes wait for the one question, then run in the DaemonSet (via daemonset); close deletes it', async () => {
  const api = new FakeDsApi()
  api.nodes = new Set(['ssh-1', 'pod-1', 'pod-2', 'pod-3'])
  // ssh-1 has a HostName in the ssh config (SSH applies); pod-N have nothing (no key, no agent)
  const ssh: SshSide = {
    resolve: async (node) =>
      ({
        name: node,
        hostName: node.startsWith('ssh-') ? '10.0.0.1' : node,
        identityFiles: [],
        identityFilesExplicit: false,
        identitiesOnly: false,
        proxyJump: [],
      }) as unknown as ResolvedHost,
    connect: async () => Promise.reject(new Error('no ssh in this test')),
    exec: () => ({ target: 'ssh:x', run: async () => Promise.reject(new Error('no ssh in this test')) }),
  }
  const hooks = new AccessHooks()
  let answer!: (yes: boolean) => void
  const questions: unknown[] = []
  hooks.asker = (q) => (questions.push(q), new Promise<boolean>((r) => (answer = r)))
  const a = new NodeAccess({
    rules: [],
    sshRules: [],
    env: {},
    hooks,
    ssh: () => ssh,
    api: () => api,
    signal: () => undefined,
    session: 'sessB',
    podOptions: { heartbeatMs: 60_000, deleteWaitMs: 2000 },
  })
  const b = a.beginFleet(['ssh-1', 'pod-1', 'pod-2', 'pod-3'], 2)
  const early = await Promise.race([
    b.ready('ssh-1').then(() => 'ready'),
    new Promise((r) => setTimeout(() => r('waiting'), 1000)),
  ])
  assert.is(early, 'ready', 'an SSH node does not wait for the DaemonSet question')
  const podReady = b.ready('pod-1').then(() => 'ready')
  assert.is(await Promise.race([podReady, new Promise((r) => setTimeout(() => r('waiting'), 150))]), 'waiting')
  assert.is(questions.length, 1)
  answer(true)
  assert.is(await podReady, 'ready')
  const made = await b.done
  assert.equal(
    made.daemonSets.map((d) => d.nodes),
    [['pod-1', 'pod-2', 'pod-3']],
  )
  const out = await a.exec('pod-2').run(['true'])
  assert.is(out.exitCode, 0)
  assert.is(a.exec('pod-2').via, 'daemonset')
  assert.equal(
    api.calls.filter((c) => c.startsWith('create')),
    [`create-ds ${made.daemonSets[0].name}`],
  )
  // a second fleet over the same nodes makes nothing new
  assert.equal((await a.beginFleet(['ssh-1', 'pod-1', 'pod-2', 'pod-3'], 2).done).daemonSets, [])
  const r = await a.close()
  assert.ok(r.deleted.includes(`daemonset/${made.daemonSets[0].name}`), JSON.stringify(r))
  assert.is(api.sets.size, 0)
})

test.run()
