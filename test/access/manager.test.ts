// NodeAccess over a scripted API: pods made with the nodeAccess settings and the session's id, consent asked before
// any create, one bounded idempotent close, the dry-run plan and gc keeping this session's pods.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { NodeAccess, type NodeAccessOptions } from '../../src/access/manager.ts'
import { AccessHooks, type ConsentRequest } from '../../src/access/hooks.ts'
import { NodeAccessError } from '../../src/access/errors.ts'
import type { SshSide } from '../../src/access/chooser.ts'
import type { ResolvedHost } from '../../src/exec/ssh/sshconfig-types.ts'
import { FakeNodePodApi } from '../exec/nodepod/fakeapi.ts'

// No SSH anywhere: every name resolves to itself, nothing configured, nothing on disk.
const noSsh: SshSide = {
  resolve: async (node) =>
    ({
      name: node,
      hostName: node,
      identityFiles: [],
      identityFilesExplicit: false,
      identitiesOnly: false,
      proxyJump: [],
    }) as unknown as ResolvedHost,
  connect: async () => Promise.reject(new Error('no ssh in this test')),
  exec: () => ({ target: 'ssh:x', run: async () => Promise.reject(new Error('no ssh in this test')) }),
}

function access(o: Partial<NodeAccessOptions> = {}) {
  const api = new FakeNodePodApi()
  api.nodes.add('lab-3')
  const hooks = new AccessHooks()
  const questions: ConsentRequest[] = []
  hooks.asker = async (q) => (questions.push(q), true)
  const a = new NodeAccess({
    rules: [],
    sshRules: [],
    env: {},
    hooks,
    ssh: () => noSsh,
    api: () => api,
    signal: () => undefined,
    session: 'sess42',
    podOptions: { heartbeatMs: 60_000, deleteWaitMs: 2000 },
    ...o,
  })
  return { a, api, hooks, questions }
}

test('a node SSH does not reach gets a pod with the settings of its rule, after one question naming node, namespace and image', async () => {
  const { a, api, questions } = access({
    rules: [
      { match: 'lab-3', namespace: 'kinspect', deadlineSeconds: 600 },
      { match: '*', image: 'img@sha256:abc', imagePullSecrets: ['pull'], priorityClassName: 'system-node-critical' },
    ],
  })
  await Promise.all([a.exec('lab-1').run(['true']), a.exec('lab-3').run(['true'])])
  assert.equal([a.exec('lab-1').via, a.exec('lab-3').via], ['pod', 'pod'])
  assert.is(questions.length, 1, 'asked once for both nodes')
  assert.equal(questions[0].pods.map((p) => [p.node, p.namespace, p.image, p.deadlineSeconds]).sort(), [
    ['lab-1', 'kube-system', 'img@sha256:abc', 3600],
    ['lab-3', 'kinspect', 'img@sha256:abc', 600],
  ])
  const made = [...api.pods.values()]
  assert.is(made.length, 2)
  for (const p of made) {
    assert.is(p.metadata.labels!['kinspect.dev/session'], 'sess42')
    assert.is(p.spec!.priorityClassName, 'system-node-critical')
    assert.equal(p.spec!.imagePullSecrets, [{ name: 'pull' }])
  }
  const lab3 = made.find((p) => p.spec!.nodeName === 'lab-3')!
  assert.equal([lab3.metadata.namespace, lab3.spec!.activeDeadlineSeconds], ['kinspect', 600])
  assert.equal(
    a
      .pods()
      .map((p) => p.node)
      .sort(),
    ['lab-1', 'lab-3'],
  )
})

test('declined: nothing is created, and the error lists both transports', async () => {
  const { a, api, hooks } = access()
  hooks.asker = async () => false
  const e = await a
    .exec('lab-1')
    .run(['true'])
    .then(
      () => undefined,
      (x) => x,
    )
  assert.instance(e, NodeAccessError)
  assert.match(
    e.message,
    /^no transport reaches node lab-1 \(tried ssh, pod\):\nssh: no ssh config entry, key or agent applies to lab-1\npod: node pods declined$/,
  )
  assert.equal(
    api.calls.filter((c) => c.startsWith('create')),
    [],
  )
})

test('close deletes every pod and waits; it is idempotent; a hanging API is cut at closeWaitMs', async () => {
  const { a, api } = access({ rules: [{ match: '*', pods: 'always' }] })
  await a.exec('lab-1').run(['true'])
  await a.exec('lab-2').run(['true'])
  const r = await a.close()
  assert.equal(r.deleted.length, 2)
  assert.equal(r.remaining, [])
  assert.is(await a.close(), r)
  assert.is(api.pods.size, 0)
  const slow = access({ rules: [{ match: '*', pods: 'always' }], closeWaitMs: 300 })
  await slow.a.exec('lab-1').run(['true'])
  slow.api.deletePod = () => new Promise(() => {}) // the API server stopped answering
  const t0 = Date.now()
  const late = await slow.a.close()
  assert.ok(Date.now() - t0 < 1500, `close took ${Date.now() - t0} ms`)
  assert.equal(late.deleted, [])
  assert.equal(
    late.remaining.map((x) => x.why),
    ['not confirmed deleted within 300 ms'],
  )
})

test('plan (dry run): which nodes would get a pod, without creating one', async () => {
  const { a, api } = access({ rules: [{ match: 'lab-3', pods: 'never' }], sshRules: [{ match: 'lab-2' }] })
  const plan = await a.plan(['lab-1', 'lab-2', 'lab-3'])
  assert.equal(
    plan.map((p) => [p.node, p.expect]),
    [
      ['lab-1', 'pod'],
      ['lab-2', 'ssh-then-pod'],
      ['lab-3', 'none'],
    ],
  )
  assert.is(plan[0].why, 'no ssh config entry, key or agent applies to lab-1')
  assert.is(plan[1].why, 'a .recipes nodes rule matches it')
  assert.equal([plan[0].namespace, plan[0].deadlineSeconds], ['kube-system', 3600])
  assert.equal(api.calls, [])
})

test("gc lists kinspect's pods and keeps this session's", async () => {
  const { a, api } = access({ rules: [{ match: '*', pods: 'always' }] })
  await a.exec('lab-1').run(['true'])
  const r = await a.gc()
  assert.equal(
    r.entries.map((e) => [e.leftover, e.reason]),
    [[false, 'this session']],
  )
  assert.equal(r.deleted, [])
  assert.is(api.pods.size, 1)
  await a.close()
})

test.run()
