// buildNodeDaemonSet: the fleet's DaemonSet object, asserted field by field against the node pod it shares a template with.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawnSync } from 'node:child_process'
import { buildNodeDaemonSet, daemonSetName, deadlineCommand } from '../../../src/exec/nodepod/dsspec.ts'
import { buildNodePod, type NodePodOptions } from '../../../src/exec/nodepod/spec.ts'

const now = new Date('2025-11-29T08:00:00.000Z')
const base: NodePodOptions = {
  namespace: 'kube-system',
  session: 'sess123abc',
  user: 'kinspect-admin',
  host: 'laptop',
  pid: 4242,
  now,
  suffix: 'x7k2q',
}
const NODES = ['lab-1', 'lab-2', 'lab-3']

test('the DaemonSet: the node pod template, host namespaces, privileged, every taint tolerated, small requests', () => {
  const ds = buildNodeDaemonSet(NODES, base)
  assert.is(ds.apiVersion, 'apps/v1')
  assert.is(ds.kind, 'DaemonSet')
  assert.is(ds.metadata.name, 'kinspect-fleet-x7k2q')
  assert.is(ds.metadata.namespace, 'kube-system')
  const s = ds.spec.template.spec
  const pod = buildNodePod('lab-1', base).spec
  for (const k of [
    'hostPID',
    'hostNetwork',
    'hostIPC',
    'tolerations',
    'terminationGracePeriodSeconds',
    'automountServiceAccountToken',
    'enableServiceLinks',
    'dnsPolicy',
  ] as const) {
    assert.equal(s[k], pod[k], k)
  }
  assert.is(s.hostPID && s.hostNetwork && s.hostIPC, true)
  assert.equal(s.tolerations, [{ operator: 'Exists' }])
  const c = s.containers[0]
  assert.is(c.name, 'node')
  assert.is(c.securityContext.privileged, true)
  assert.equal(c.resources, { requests: { cpu: '10m', memory: '32Mi' }, limits: { cpu: '500m', memory: '256Mi' } })
  assert.is(c.image, pod.containers[0].image)
})

test('a DaemonSet pod is never pinned by nodeName, has no activeDeadlineSeconds, restarts Always, and is never rolled', () => {
  const ds = buildNodeDaemonSet(NODES, base)
  const s = ds.spec.template.spec
  assert.is(s.nodeName, undefined)
  assert.is(s.activeDeadlineSeconds, undefined, 'the API rejects activeDeadlineSeconds on a DaemonSet template')
  assert.is(s.restartPolicy, 'Always')
  assert.equal(ds.spec.updateStrategy, { type: 'OnDelete' })
})

test('only the chosen nodes: a required node affinity, one metadata.name term per node (the API takes one value per field term)', () => {
  const ds = buildNodeDaemonSet(['lab-2', 'lab-3'], base)
  const terms =
    ds.spec.template.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms
  assert.equal(terms, [
    { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['lab-2'] }] },
    { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['lab-3'] }] },
  ])
  assert.is(ds.spec.template.spec.nodeSelector, undefined)
})

test('labels: managed-by, session and user on the DaemonSet; its pods also carry the DaemonSet name, which is its selector', () => {
  const ds = buildNodeDaemonSet(NODES, { ...base, user: 'alice@example.com' })
  assert.equal(ds.metadata.labels, {
    'app.kubernetes.io/managed-by': 'kinspect',
    'kinspect.dev/session': 'sess123abc',
    'kinspect.dev/user': ds.metadata.labels!['kinspect.dev/user'],
  })
  assert.match(ds.metadata.labels!['kinspect.dev/user'], /^alice_example.com-[0-9a-f]{8}$/)
  const sel = ds.spec.selector.matchLabels
  assert.equal(sel, {
    'app.kubernetes.io/managed-by': 'kinspect',
    'kinspect.dev/session': 'sess123abc',
    'kinspect.dev/daemonset': 'kinspect-fleet-x7k2q',
  })
  const tl = ds.spec.template.metadata.labels!
  for (const [k, v] of Object.entries(sel)) assert.is(tl[k], v, `template label ${k} matches the selector`)
  assert.is(tl['kinspect.dev/user'], ds.metadata.labels!['kinspect.dev/user'])
})

test('annotations: who, where, when, the heartbeat, the node count and the absolute deadline gc reads', () => {
  const ds = buildNodeDaemonSet(NODES, { ...base, deadlineSeconds: 1800 })
  const a = ds.metadata.annotations!
  assert.is(a['kinspect.dev/host'], 'laptop')
  assert.is(a['kinspect.dev/pid'], '4242')
  assert.is(a['kinspect.dev/started'], '2025-11-29T08:00:00.000Z')
  assert.is(a['kinspect.dev/heartbeat'], '2025-11-29T08:00:00.000Z')
  assert.is(a['kinspect.dev/deadline'], '2025-11-29T08:30:00.000Z')
  assert.is(a['kinspect.dev/nodes'], '3')
  assert.is(a['kinspect.dev/user'], 'kinspect-admin')
})

test('the container sleeps until the absolute deadline: a restart does not start a new period', () => {
  const ds = buildNodeDaemonSet(NODES, { ...base, deadlineSeconds: 1800 })
  const end = Date.parse('2025-11-29T08:30:00.000Z') / 1000
  assert.equal(ds.spec.template.spec.containers[0].command, deadlineCommand(end))
  assert.is(deadlineCommand(end)[4], String(end))
})

test("the deadline command (run by this machine's sh): sleeps the time left, and exits at once past the deadline", () => {
  const past = deadlineCommand(Math.floor(Date.now() / 1000) - 5)
  let t0 = Date.now()
  let r = spawnSync(past[0], past.slice(1), { encoding: 'utf8', timeout: 10_000 })
  assert.is(r.status, 0)
  assert.match(r.stderr, /past its deadline/)
  assert.ok(Date.now() - t0 < 1000, 'past the deadline it does not sleep')
  const soon = deadlineCommand(Math.floor(Date.now() / 1000) + 2)
  t0 = Date.now()
  r = spawnSync(soon[0], soon.slice(1), { encoding: 'utf8', timeout: 10_000 })
  assert.is(r.status, 0)
  assert.is(r.stderr, '')
  const took = Date.now() - t0
  assert.ok(took >= 900 && took < 3500, `slept until the deadline (${took} ms)`)
})

test('options as the node pod: image, pull secrets, priority class', () => {
  const ds = buildNodeDaemonSet(NODES, {
    ...base,
    image: 'kinspect.local/nodepod:1',
    imagePullSecrets: ['regcred'],
    priorityClassName: 'system-node-critical',
    imagePullPolicy: 'Never',
  })
  const s = ds.spec.template.spec
  assert.is(s.containers[0].image, 'kinspect.local/nodepod:1')
  assert.is(s.containers[0].imagePullPolicy, 'Never')
  assert.equal(s.imagePullSecrets, [{ name: 'regcred' }])
  assert.is(s.priorityClassName, 'system-node-critical')
})

test('names: kinspect-fleet-<5 random>, different each time', () => {
  assert.match(daemonSetName(), /^kinspect-fleet-[bcdfghjklmnpqrstvwxz2456789]{5}$/)
  assert.is.not(daemonSetName(), daemonSetName())
  assert.match(buildNodeDaemonSet(NODES, { ...base, suffix: undefined }).metadata.name, /^kinspect-fleet-[a-z0-9]{5}$/)
})

test('bad input is refused before anything is sent, naming the argument', () => {
  assert.throws(() => buildNodeDaemonSet([], base), /nodes: expected a non-empty array/)
  assert.throws(() => buildNodeDaemonSet(['lab-1', 'lab-1'], base), /"lab-1" is listed twice/)
  assert.throws(() => buildNodeDaemonSet(['lab-1', 'Lab_2'], base), /node: expected a node name.*"Lab_2"/)
  assert.throws(() => buildNodeDaemonSet(NODES, { ...base, deadlineSeconds: 10 }), /deadlineSeconds/)
  assert.throws(() => buildNodeDaemonSet(NODES, { ...base, namespace: 'Bad NS' }), /namespace/)
})

test.run()
