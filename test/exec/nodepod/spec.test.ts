// buildNodePod: the pod object a node pod is made from, asserted field by field.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import {
  buildNodePod,
  labelSafe,
  nodePodName,
  randomSuffix,
  type NodePodOptions,
} from '../../../src/exec/nodepod/spec.ts'

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
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/

test('the pod: pinned to its node, host namespaces, privileged, every taint tolerated, never restarted', () => {
  const p = buildNodePod('lab-1', base)
  assert.is(p.metadata.name, 'kinspect-node-lab-1-x7k2q')
  assert.is(p.metadata.namespace, 'kube-system')
  const s = p.spec
  assert.is(s.nodeName, 'lab-1')
  assert.is(s.hostPID, true)
  assert.is(s.hostNetwork, true)
  assert.is(s.hostIPC, true)
  assert.equal(s.tolerations, [{ operator: 'Exists' }])
  assert.is(s.restartPolicy, 'Never')
  assert.is(s.activeDeadlineSeconds, 3600)
  assert.is(s.terminationGracePeriodSeconds, 1)
  assert.is(s.automountServiceAccountToken, false)
  assert.is(s.enableServiceLinks, false)
  assert.is(s.priorityClassName, undefined)
  assert.is(s.imagePullSecrets, undefined)
  assert.is(s.containers.length, 1)
  const c = s.containers[0]
  assert.is(c.securityContext.privileged, true)
  assert.equal(c.resources, { requests: { cpu: '10m', memory: '32Mi' }, limits: { cpu: '500m', memory: '256Mi' } })
})

test('the container sleeps exactly as long as the deadline, so the pod ends by itself even without activeDeadlineSeconds', () => {
  for (const d of [60, 3600, 7200]) {
    const p = buildNodePod('lab-1', { ...base, deadlineSeconds: d })
    assert.is(p.spec.activeDeadlineSeconds, d)
    assert.equal(p.spec.containers[0].command, ['sleep', String(d)])
  }
})

test('labels and annotations say who made it, from where, and when', () => {
  const p = buildNodePod('lab-1', base)
  assert.equal(p.metadata.labels, {
    'app.kubernetes.io/managed-by': 'kinspect',
    'kinspect.dev/session': 'sess123abc',
    'kinspect.dev/user': 'kinspect-admin',
    'kinspect.dev/node': 'lab-1',
  })
  const a = p.metadata.annotations!
  assert.is(a['kinspect.dev/host'], 'laptop')
  assert.is(a['kinspect.dev/pid'], '4242')
  assert.is(a['kinspect.dev/started'], '2025-11-29T08:00:00.000Z')
  assert.is(a['kinspect.dev/heartbeat'], '2025-11-29T08:00:00.000Z')
  assert.is(a['kinspect.dev/node'], 'lab-1')
})

test('image, pull secrets, pull policy, priority class and resources are configurable', () => {
  const resources = { requests: { cpu: '5m', memory: '16Mi' }, limits: { cpu: '100m', memory: '64Mi' } }
  const p = buildNodePod('lab-1', {
    ...base,
    image: 'registry.example/tools@sha256:' + 'a'.repeat(64),
    imagePullSecrets: ['regcred'],
    imagePullPolicy: 'Never',
    priorityClassName: 'system-node-critical',
    resources,
  })
  const c = p.spec.containers[0]
  assert.is(c.image, 'registry.example/tools@sha256:' + 'a'.repeat(64))
  assert.is(c.imagePullPolicy, 'Never')
  assert.equal(p.spec.imagePullSecrets, [{ name: 'regcred' }])
  assert.is(p.spec.priorityClassName, 'system-node-critical')
  assert.equal(c.resources, resources)
  assert.is.not(c.resources, resources) // a copy: the caller's object is not shared with the request
})

test('names stay DNS labels of at most 63 characters, even for long or dotted node names', () => {
  const long = 'ip-10-0-123-45.eu-central-1.compute.internal.' + 'very-long-node-name-segment.'.repeat(6) + 'x'
  for (const node of ['lab-1', 'ip-10-0-123-45.eu-central-1.compute.internal', long, 'a']) {
    const name = nodePodName(node)
    assert.ok(name.length <= 63, `${name} (${name.length})`)
    assert.match(name, DNS_LABEL)
    assert.match(name, /^kinspect-node-.+-[bcdfghjklmnpqrstvwxz2456789]{5}$/)
    const p = buildNodePod(node, { ...base, suffix: undefined })
    assert.match(p.metadata.labels!['kinspect.dev/node'], LABEL_VALUE)
    assert.ok(p.metadata.labels!['kinspect.dev/node'].length <= 63)
    assert.is(p.spec.nodeName, node)
    assert.is(p.metadata.annotations!['kinspect.dev/node'], node)
  }
  assert.is.not(nodePodName('lab-1'), nodePodName('lab-1'), 'two pods for one node get different names')
  assert.is(randomSuffix().length, 5)
})

test('user names become label values; different long names stay different', () => {
  for (const u of [
    'kubernetes-admin',
    'arn:aws:eks:eu-central-1:123456789012:cluster/prod',
    'alice@example.com',
    '_x_',
    'é',
    'a'.repeat(100),
  ]) {
    const v = labelSafe(u)
    assert.match(v, LABEL_VALUE)
    assert.ok(v.length <= 63 && v.length > 0, `${JSON.stringify(u)} -> ${v}`)
  }
  assert.is(labelSafe('kubernetes-admin'), 'kubernetes-admin')
  assert.is.not(labelSafe('a'.repeat(100) + 'x'), labelSafe('a'.repeat(100) + 'y'))
  const p = buildNodePod('lab-1', { ...base, user: 'alice@example.com' })
  assert.match(p.metadata.labels!['kinspect.dev/user'], /^alice_example.com-[0-9a-f]{8}$/)
  assert.is(p.metadata.annotations!['kinspect.dev/user'], 'alice@example.com')
  assert.is(buildNodePod('lab-1', { ...base, user: '' }).metadata.labels!['kinspect.dev/user'], 'unknown')
})

test('bad options are refused before anything is sent, naming the option', () => {
  assert.throws(() => buildNodePod('Lab_1', base), /node: expected a node name.*"Lab_1"/)
  assert.throws(() => buildNodePod('lab-1', { ...base, namespace: 'Kube System' }), /namespace: expected/)
  assert.throws(() => buildNodePod('lab-1', { ...base, deadlineSeconds: 10 }), /deadlineSeconds: .* received 10/)
  assert.throws(() => buildNodePod('lab-1', { ...base, deadlineSeconds: 1.5 }), /deadlineSeconds/)
  assert.throws(() => buildNodePod('lab-1', { ...base, image: 'a b' }), /image: expected/)
  assert.throws(() => buildNodePod('lab-1', { ...base, imagePullSecrets: ['Bad Name'] }), /imagePullSecrets/)
  assert.throws(() => buildNodePod('lab-1', { ...base, session: 'has space' }), /session/)
})

test.run()
