// NodePods with a scripted API: create once per node and reuse, phases, refusals named, cleanup on failure and
// on close, heartbeat, access review, replacement near the deadline.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { NodePods } from '../../../src/exec/nodepod/manager.ts'
import { NodePodError, type NodePodPhase } from '../../../src/exec/nodepod/api.ts'
import { KubeError } from '../../../src/kube/errors.ts'
import { FakeNodePodApi } from './fakeapi.ts'

async function rejects(p: Promise<unknown>, kind: string): Promise<NodePodError> {
  const e = await p.then(
    () => undefined,
    (x) => x,
  )
  assert.instance(e, NodePodError, `expected a NodePodError, got ${e}`)
  assert.is(e.kind, kind, e.message)
  return e
}

test('the first ensure creates the pod and waits for Running; later and concurrent ones reuse it', async () => {
  const api = new FakeNodePodApi()
  const phases: NodePodPhase[] = []
  const pods = new NodePods(api, { onPhase: (p) => phases.push(p), host: 'laptop', pid: 77, session: 'sess1' })
  const [a, b] = await Promise.all([pods.ensure('lab-1'), pods.ensure('lab-1')])
  const c = await pods.ensure('lab-1')
  assert.is(a, b)
  assert.is(a, c)
  assert.equal(api.calls.filter((x) => x.startsWith('create')).length, 1)
  assert.equal(
    api.execs.map((e) => e.kind),
    ['probe'],
  )
  assert.equal(a.facts, { nsenter: '/usr/bin/nsenter', target: '1' })
  assert.is(a.namespace, 'kube-system')
  const made = api.pods.get(a.name)!
  assert.is(made.metadata.labels!['kinspect.dev/session'], 'sess1')
  assert.is(made.metadata.annotations!['kinspect.dev/pid'], '77')
  assert.equal(
    phases.map((p) => p.phase),
    ['checking', 'creating', 'starting', 'ready'],
  )
  assert.is(phases[2].detail, 'Pending: waiting for the kubelet')
  assert.ok(phases.every((p) => p.node === 'lab-1' && p.elapsedMs >= 0))
  assert.is(pods.protocol, 'v5.channel.k8s.io')
  assert.is(pods.canCloseStdin, true)
  // another node gets its own pod
  const other = await pods.ensure('lab-2')
  assert.is.not(other.name, a.name)
  assert.equal(
    pods
      .pods()
      .map((p) => p.node)
      .sort(),
    ['lab-1', 'lab-2'],
  )
  await pods.close()
})

test('close() deletes every pod it made and waits until they are gone; ensure() afterwards fails', async () => {
  const api = new FakeNodePodApi()
  const pods = new NodePods(api)
  await pods.ensure('lab-1')
  await pods.ensure('lab-2')
  const r = await pods.close()
  assert.is(r.deleted.length, 2)
  assert.equal(r.remaining, [])
  assert.is(api.pods.size, 0)
  assert.equal(pods.pods(), [])
  await rejects(pods.ensure('lab-1'), 'closed')
})

test('the access review names every missing verb at once, before anything is created', async () => {
  const api = new FakeNodePodApi()
  api.denied = new Set(['create pods', 'delete pods', 'create pods/exec', 'get pods/exec'])
  const e = await rejects(new NodePods(api, { namespace: 'tools' }).ensure('lab-1'), 'rbac')
  assert.is(e.message, 'user "tester" may not create pods, delete pods, create pods/exec in namespace "tools"')
  assert.match(e.hint!, 'create, get, delete pods and create pods/exec')
  assert.equal(
    api.calls.filter((c) => c.startsWith('create')),
    [],
  )
  // the identity the server sees is named when it differs from the kubeconfig's user name
  api.identity = 'system:serviceaccount:ci:deployer'
  const e2 = await rejects(new NodePods(api, { namespace: 'tools' }).ensure('lab-1'), 'rbac')
  assert.match(e2.message, /^user "system:serviceaccount:ci:deployer" \(kubeconfig user "tester"\) may not create pods/)
  // exec with either verb is enough (get before Kubernetes 1.35)
  api.denied = new Set(['create pods/exec'])
  const pods = new NodePods(api)
  await pods.ensure('lab-1')
  await pods.close()
})

test('an unknown node is named without creating anything', async () => {
  const api = new FakeNodePodApi()
  const e = await rejects(new NodePods(api).ensure('lab-9'), 'node')
  assert.is(e.message, 'node "lab-9" does not exist')
  assert.equal(
    api.calls.filter((c) => c.startsWith('create')),
    [],
  )
})

test('a node whose kubelet stopped posting its status (Ready=Unknown) is named at once, without creating a pod there', async () => {
  const api = new FakeNodePodApi()
  api.kubeletStopped.add('lab-2')
  const t0 = Date.now()
  const e = await rejects(new NodePods(api, { startTimeoutMs: 60_000 }).ensure('lab-2'), 'node')
  assert.ok(Date.now() - t0 < 5000, 'no wait for the start limit')
  assert.is(
    e.message,
    'node lab-2 is not Ready (Ready=Unknown NodeStatusUnknown: Kubelet stopped posting node status.): its kubelet is not reporting, so a node pod cannot start there; none was created',
  )
  assert.match(e.hint!, 'use SSH to the node')
  assert.equal(
    api.calls.filter((c) => c.startsWith('create')),
    [],
  )
})

test('close(): a pod whose deletion no kubelet confirms (its node went down) is deleted with grace 0 after the wait', async () => {
  const api = new FakeNodePodApi()
  const pods = new NodePods(api, { deleteWaitMs: 300 })
  const ref = await pods.ensure('lab-1')
  api.unconfirmed.add(ref.name)
  const r = await pods.close()
  assert.equal(r.deleted, [ref.name])
  assert.equal(r.remaining, [])
  assert.is(api.pods.size, 0)
  assert.equal(
    api.calls.filter((c) => c.startsWith('delete')),
    [`delete ${ref.name}`, `delete ${ref.name} grace=0`],
  )
})

test('a PodSecurity refusal on create is explained with the namespace label and an alternative', async () => {
  const api = new FakeNodePodApi()
  api.namespaces = [
    { metadata: { name: 'shop', labels: { 'pod-security.kubernetes.io/enforce': 'baseline' } } },
    { metadata: { name: 'kube-system' } },
  ]
  const msg =
    'pods "x" is forbidden: violates PodSecurity "baseline:latest": host namespaces (hostNetwork=true, hostPID=true, hostIPC=true), privileged (container "node" must not set securityContext.privileged=true)'
  api.createError = new KubeError(
    'forbidden',
    `403 Forbidden: ${msg}`,
    undefined,
    { kind: 'Status', message: msg },
    { status: 403 },
  )
  const e = await rejects(new NodePods(api, { namespace: 'shop' }).ensure('lab-1'), 'podsecurity')
  assert.match(e.message, 'namespace "shop" has the label pod-security.kubernetes.io/enforce=baseline')
  assert.match(e.hint!, 'use namespace "kube-system"')
})

test('a pod that cannot start is deleted, and the error names the cause', async () => {
  const api = new FakeNodePodApi()
  api.stuckStatus = {
    phase: 'Pending',
    containerStatuses: [
      {
        name: 'node',
        ready: false,
        restartCount: 0,
        image: 'bad',
        state: { waiting: { reason: 'ErrImagePull', message: 'not found' } },
      },
    ],
  }
  const phases: string[] = []
  const pods = new NodePods(api, { image: 'kinspect.local/nosuch:1', onPhase: (p) => phases.push(p.phase) })
  const e = await rejects(pods.ensure('lab-1'), 'image')
  assert.match(e.message, 'kinspect.local/nosuch:1 cannot be pulled on lab-1: ErrImagePull: not found')
  assert.is(api.pods.size, 0)
  assert.equal(pods.pods(), [])
  assert.is(phases.at(-1), 'failed')
  // the next ensure tries again rather than repeating a stale failure
  api.stuckStatus = undefined
  await pods.ensure('lab-1')
  await pods.close()
})

test('a pod still Pending at the start limit is deleted with a timeout error', async () => {
  const api = new FakeNodePodApi()
  api.stuckStatus = { phase: 'Pending' }
  const pods = new NodePods(api, { startTimeoutMs: 300 })
  const e = await rejects(pods.ensure('lab-1'), 'timeout')
  assert.match(e.message, /was not Running after 0 s \(Pending: waiting for the kubelet\)/)
  assert.is(api.pods.size, 0)
})

test('an image without nsenter is refused with what it lacks', async () => {
  const api = new FakeNodePodApi()
  api.probeAnswer = 'nsenter=\ntarget=1\n'
  const e = await rejects(new NodePods(api).ensure('lab-1'), 'image-tools')
  assert.match(e.message, 'no nsenter')
  assert.is(api.pods.size, 0)
})

test('the heartbeat renews an annotation on every pod of the session', async () => {
  const api = new FakeNodePodApi()
  const pods = new NodePods(api, { heartbeatMs: 50 })
  const ref = await pods.ensure('lab-1')
  const before = api.pods.get(ref.name)!.metadata.annotations!['kinspect.dev/heartbeat']
  await new Promise((r) => setTimeout(r, 180))
  assert.ok(api.calls.filter((c) => c === `annotate ${ref.name} kinspect.dev/heartbeat`).length >= 2)
  assert.ok(api.pods.get(ref.name)!.metadata.annotations!['kinspect.dev/heartbeat'] > before)
  await pods.close()
  const n = api.calls.length
  await new Promise((r) => setTimeout(r, 120))
  assert.is(api.calls.length, n, 'no heartbeat after close')
})

test('a pod that would reach its deadline during the command is replaced', async () => {
  const api = new FakeNodePodApi()
  const pods = new NodePods(api, { deadlineSeconds: 60 })
  api.createdAgoMs = 20_000
  const first = await pods.ensure('lab-1')
  assert.is((await pods.ensure('lab-1', { needMs: 1000 })).name, first.name)
  const second = await pods.ensure('lab-1', { needMs: 45_000 })
  assert.is((await pods.ensure('lab-1', { needMs: 45_000 })).name, second.name)
  assert.is.not(second.name, first.name)
  await new Promise((r) => setTimeout(r, 200))
  assert.ok(api.calls.includes(`delete ${first.name}`))
  await pods.close()
  assert.is(api.pods.size, 0)
})

test('close() during a start stops the wait and deletes the pod', async () => {
  const api = new FakeNodePodApi()
  api.stuckStatus = { phase: 'Pending' }
  const pods = new NodePods(api, { startTimeoutMs: 30_000 })
  const p = pods.ensure('lab-1')
  await new Promise((r) => setTimeout(r, 100))
  const t0 = Date.now()
  const r = await pods.close()
  await rejects(p, 'closed')
  assert.ok(Date.now() - t0 < 3000)
  assert.is(api.pods.size, 0)
  assert.equal(r.remaining, [])
})

test('consent: beforeCreate sees the pod and can refuse it', async () => {
  const api = new FakeNodePodApi()
  const seen: string[] = []
  const pods = new NodePods(api, {
    beforeCreate: (node, pod) => {
      seen.push(`${node} ${pod.spec.nodeName} ${pod.spec.containers[0].securityContext.privileged}`)
      throw new Error('not allowed by the user')
    },
  })
  const e = await pods.ensure('lab-1').catch((x) => x)
  assert.is(e.message, 'not allowed by the user')
  assert.equal(seen, ['lab-1 lab-1 true'])
  assert.equal(
    api.calls.filter((c) => c.startsWith('create')),
    [],
  )
})

test('bad options are refused when the session is set up, naming the option', () => {
  const api = new FakeNodePodApi()
  assert.throws(
    () => new NodePods(api, { deadlineSeconds: 5 }),
    (e: NodePodError) => e.kind === 'invalid' && /^NodePods: deadlineSeconds: expected .* received 5$/.test(e.message),
  )
  assert.throws(
    () => new NodePods(api, { namespace: 'Not A Namespace' }),
    /NodePods: namespace: expected a namespace name/,
  )
  assert.throws(() => new NodePods(api, { image: '' }), /NodePods: image: expected an image reference/)
  assert.throws(() => new NodePods(api, { startTimeoutMs: 0 }), /startTimeoutMs: expected a positive number/)
})

test.run()
