// The fleet's DaemonSet without a cluster: which nodes get one (daemonSetGroups), and NodeDaemonSet/prepareDaemonSets
// over a fake API whose "controller" makes a pod per node: consent once, node → ready pod, a node whose pod cannot
// start failing alone, a refused DaemonSet leaving the nodes to node pods, and close() deleting it all.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { daemonSetGroups, prepareDaemonSets, type FleetDsDeps } from '../../src/access/fleetds.ts'
import { AccessHooks } from '../../src/access/hooks.ts'
import { NodeAccess } from '../../src/access/manager.ts'
import type { SshSide } from '../../src/access/chooser.ts'
import type { ResolvedHost } from '../../src/exec/ssh/sshconfig-types.ts'
import type { AccessPlanEntry } from '../../src/access/plan.ts'
import { NODE_ACCESS_DEFAULTS, type NodeAccessSettings } from '../../src/config-access.ts'
import type { DaemonSetApi } from '../../src/exec/nodepod/api.ts'
import { NodeDaemonSet, dsPodNode } from '../../src/exec/nodepod/daemonset.ts'
import { NodePods } from '../../src/exec/nodepod/manager.ts'
import { KubeError } from '../../src/kube/errors.ts'
import type { DaemonSet, KubeEvent, Pod } from '../../src/kube/types.ts'
import { FakeNodePodApi } from '../exec/nodepod/fakeapi.ts'

const entry = (node: string, expect: AccessPlanEntry['expect']): AccessPlanEntry => ({
  node,
  expect,
  why: '',
  pods: 'ask',
  namespace: 'kube-system',
  image: 'i',
  deadlineSeconds: 3600,
})

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

const RUNNING = {
  phase: 'Running',
  containerStatuses: [
    {
      name: 'node',
      ready: true,
      restartCount: 0,
      image: 'x',
      state: { running: { startedAt: '2025-11-29T08:00:01Z' } },
    },
  ],
}
const PULL = {
  phase: 'Pending',
  containerStatuses: [
    {
      name: 'node',
      ready: false,
      restartCount: 0,
      image: 'x',
      state: { waiting: { reason: 'ErrImagePull', message: 'not found' } },
    },
  ],
}

/** The fake API plus DaemonSets; its "controller" makes one pod per node on each list (Running on the second). */
class FakeDsApi extends FakeNodePodApi implements DaemonSetApi {
  sets = new Map<string, DaemonSet>()
  /** Nodes whose pod waits in ErrImagePull; nodes that get no pod at all. */
  badImage = new Set<string>()
  noPod = new Set<string>()
  dsEvents: KubeEvent[] = []
  dsCreateError?: unknown
  deniedApps = new Set<string>()
  private lists = new Map<string, number>()

  async createDaemonSet(ds: DaemonSet): Promise<DaemonSet> {
    this.calls.push(`create-ds ${ds.metadata.name}`)
    if (this.dsCreateError) throw this.dsCreateError
    this.sets.set(ds.metadata.name, structuredClone(ds))
    return ds
  }
  async getDaemonSet(_ns: string, name: string) {
    return this.sets.get(name)
  }
  async deleteDaemonSet(_ns: string, name: string) {
    this.calls.push(`delete-ds ${name}`)
    this.sets.delete(name)
    for (const [k, p] of this.pods) if (p.metadata.labels?.['kinspect.dev/daemonset'] === name) this.pods.delete(k)
  }
  async listDaemonSets() {
    return [...this.sets.values()]
  }
  async annotateDaemonSet(_ns: string, name: string, a: Record<string, string>) {
    this.calls.push(`annotate-ds ${name} ${Object.keys(a).join(',')}`)
  }
  async daemonSetEvents() {
    return this.dsEvents
  }
  async canIGroup(group: string, verb: string, resource: string) {
    this.calls.push(`can-i ${group}/${verb} ${resource}`)
    return !this.deniedApps.has(`${verb} ${resource}`)
  }
  override async listPods(selector?: string): Promise<Pod[]> {
    for (const ds of this.sets.values()) {
      const name = ds.metadata.name
      const terms = ds.spec.template.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution
        .nodeSelectorTerms as { matchFields: { values: string[] }[] }[]
      for (const t of terms) {
        const node = t.matchFields[0].values[0]
        const podName = `${name}-${node}`
        if (this.noPod.has(node)) continue
        const seen = (this.lists.get(podName) ?? 0) + 1
        this.lists.set(podName, seen)
        if (!this.pods.has(podName)) {
          // as the controller makes it: the template, one node's affinity, not yet bound
          const spec = {
            ...structuredClone(ds.spec.template.spec),
            affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [t] } } },
          }
          this.pods.set(podName, {
            metadata: { name: podName, namespace: 'kube-system', labels: { ...ds.spec.template.metadata.labels } },
            spec,
            status: { phase: 'Pending' },
          })
        } else {
          const p = this.pods.get(podName)!
          p.spec.nodeName = node
          p.status = structuredClone(this.badImage.has(node) ? PULL : RUNNING)
        }
      }
    }
    const want = selector?.match(/kinspect\.dev\/daemonset=(\S+)/)?.[1]
    return [...this.pods.values()]
      .filter((p) => !want || p.metadata.labels?.['kinspect.dev/daemonset'] === want)
      .map((p) => structuredClone(p))
  }
}

const settings: NodeAccessSettings = { ...NODE_ACCESS_DEFAULTS, transports: ['pod'], pods: 'ask' } as NodeAccessSettings

function deps(api: FakeDsApi, pods: NodePods, asked: unknown[], o: Partial<FleetDsDeps> = {}): FleetDsDeps {
  return {
    plan: async (nodes) => nodes.map((n) => entry(n, 'pod')),
    settings: () => settings,
    keyOf: () => 'k',
    nodePods: () => pods,
    api: () => api,
    served: () => false,
    allow: async (ds) => void asked.push(ds),
    ...o,
  }
}

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
