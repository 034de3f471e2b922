// Why a node pod was refused or did not start: the API's messages and pod states (hand-written samples,
// test/fixtures/handwritten/) turned into errors that name the cause and a way out.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fs from 'node:fs'
import path from 'node:path'
import {
  explainRefusal,
  parsePodSecurity,
  parseQuota,
  parseRbac,
  podRunning,
  podState,
  startFailure,
  startTimeout,
  suggestNamespace,
} from '../../../src/exec/nodepod/diagnose.ts'
import { buildNodePod } from '../../../src/exec/nodepod/spec.ts'
import type { KubeObject, Node, Pod } from '../../../src/kube/types.ts'

const hw = (f: string) =>
  JSON.parse(fs.readFileSync(path.join(import.meta.dirname, '../../fixtures/handwritten', f), 'utf8'))
const refusals = hw('nodepod-refusals.json')
const statuses = hw('nodepod-status.json')
const ns = (name: string, labels: Record<string, string> = {}): KubeObject => ({ metadata: { name, labels } })
const cluster = [
  ns('default'),
  ns('kube-system'),
  ns('shop', { 'pod-security.kubernetes.io/enforce': 'baseline' }),
  ns('node-debug', { 'pod-security.kubernetes.io/enforce': 'privileged' }),
]

test('PodSecurity: names the level, the namespace label that enforces it, and a namespace that would work', () => {
  assert.equal(parsePodSecurity(refusals.podSecurityBaseline)?.level, 'baseline')
  const e = explainRefusal(
    { status: 403, message: refusals.podSecurityBaseline },
    { namespace: 'shop', namespaceObject: cluster[2], namespaces: cluster },
  )
  assert.is(e.kind, 'podsecurity')
  assert.match(e.message, 'namespace "shop" has the label pod-security.kubernetes.io/enforce=baseline')
  assert.match(e.message, 'hostNetwork=true, hostPID=true, hostIPC=true')
  assert.match(e.hint!, 'use namespace "node-debug" (labelled pod-security.kubernetes.io/enforce=privileged)')
  assert.match(e.hint!, 'kubectl label namespace shop pod-security.kubernetes.io/enforce=privileged --overwrite')
})

test("PodSecurity from the cluster's default (no label on the namespace) says so", () => {
  const e = explainRefusal(
    { status: 403, message: refusals.podSecurityRestricted },
    { namespace: 'default', namespaceObject: cluster[0], namespaces: [cluster[0], cluster[1]] },
  )
  assert.match(
    e.message,
    `the cluster's default PodSecurity level "restricted" applies to namespace "default" (it has no pod-security.kubernetes.io/enforce label)`,
  )
  assert.match(e.hint!, 'use namespace "kube-system"')
})

test('suggestNamespace prefers a privileged kube-system, then any privileged namespace, never the refused one', () => {
  assert.is(
    suggestNamespace([
      ns('a', { 'pod-security.kubernetes.io/enforce': 'privileged' }),
      ns('kube-system', { 'pod-security.kubernetes.io/enforce': 'privileged' }),
    ])?.name,
    'kube-system',
  )
  assert.is(suggestNamespace(cluster)?.name, 'node-debug')
  assert.is(
    suggestNamespace([ns('node-debug', { 'pod-security.kubernetes.io/enforce': 'privileged' })], 'node-debug'),
    undefined,
  )
  assert.is(suggestNamespace([ns('kube-system', { 'pod-security.kubernetes.io/enforce': 'baseline' })]), undefined)
})

test('RBAC: names the user, the missing verb and resource, and what to grant', () => {
  assert.equal(parseRbac(refusals.rbacExec), {
    user: 'viewer',
    verb: 'get',
    resource: 'pods/exec',
    namespace: 'kube-system',
  })
  const e = explainRefusal({ status: 403, message: refusals.rbacCreate }, { namespace: 'kube-system' })
  assert.is(e.kind, 'rbac')
  assert.is(e.message, 'user "viewer" may not create pods in namespace "kube-system"')
  assert.match(e.hint!, 'create, get, delete pods and create pods/exec')
})

test('ResourceQuota: names the quota, exceeded or demanding', () => {
  assert.equal(parseQuota(refusals.quotaExceeded), {
    quota: 'pod-count',
    detail: 'requested: pods=1, used: pods=3, limited: pods=3',
  })
  const e = explainRefusal({ status: 403, message: refusals.quotaFailed }, { namespace: 'tools' })
  assert.is(e.kind, 'quota')
  assert.is(
    e.message,
    'ResourceQuota "compute" in namespace "tools" refuses the node pod: must specify limits.cpu for: node; limits.memory for: node',
  )
  assert.match(e.hint!, 'kubectl -n tools describe resourcequota compute')
})

test('LimitRange: says which bound and names the LimitRange when it could be listed', () => {
  const e = explainRefusal(
    { status: 403, message: refusals.limitRange },
    { namespace: 'tools', limitRanges: ['small'] },
  )
  assert.is(e.kind, 'limitrange')
  assert.is(
    e.message,
    'the LimitRange of namespace "tools" (LimitRange "small") refuses the node pod\'s resources: maximum cpu usage per Container is 200m, but limit is 500m, maximum memory usage per Container is 128Mi, but limit is 256Mi',
  )
})

test('any other refusal keeps the server message', () => {
  const e = explainRefusal(
    { status: 403, message: 'admission webhook "policy.example" denied the request: no privileged pods' },
    { namespace: 'x' },
  )
  assert.is(e.kind, 'api')
  assert.match(e.message, 'admission webhook "policy.example" denied the request')
})

const withStatus = (s: unknown): Pod => ({
  ...buildNodePod('lab-1', {
    namespace: 'kube-system',
    session: 's',
    user: 'u',
    host: 'h',
    pid: 1,
    now: new Date(0),
    suffix: 'x7k2q',
    image: 'kinspect.local/nosuch:1',
  }),
  status: s as Pod['status'],
})

test('image pull failure: the image, the waiting reason and the kubelet message', () => {
  const e = startFailure(withStatus(statuses.imagePull))!
  assert.is(e.kind, 'image')
  assert.match(
    e.message,
    /^the node pod's image kinspect\.local\/nosuch:1 cannot be pulled on lab-1: ErrImagePull: failed to pull and unpack image/,
  )
  assert.is(e.pod, 'kinspect-node-lab-1-x7k2q')
})

test("the kubelet's admission rejection counts as unschedulable, with its message", () => {
  const e = startFailure(withStatus(statuses.outOfCpu))!
  assert.is(e.kind, 'unschedulable')
  assert.is(
    e.message,
    "node lab-1 rejected pod kinspect-node-lab-1-x7k2q: OutOfcpu: Pod was rejected: Node didn't have enough resource: cpu, requested: 4000, used: 1850, capacity: 2000",
  )
})

test('a container that cannot start ends the wait with its reason', () => {
  const e = startFailure(withStatus(statuses.startError))!
  assert.is(e.kind, 'failed')
  assert.match(e.message, 'ended (StartError): failed to create containerd task: exec: "sleep"')
})

test('a pod still on its way is not a failure; its state reads well for the spinner', () => {
  assert.is(startFailure(withStatus(statuses.creating)), undefined)
  assert.is(startFailure(withStatus(statuses.noStatusYet)), undefined)
  assert.is(podState(withStatus(statuses.creating)), 'Pending: ContainerCreating')
  assert.is(podState(withStatus(statuses.noStatusYet)), 'Pending: waiting for the kubelet')
  assert.is(podRunning(withStatus(statuses.creating)), false)
  assert.is(podRunning(withStatus(statuses.running)), true)
})

test('not started in time: a NotReady node is named as the cause; otherwise the last state and warning', () => {
  const notReady: Node = {
    metadata: { name: 'lab-1' },
    status: {
      conditions: [
        {
          type: 'Ready',
          status: 'Unknown',
          reason: 'NodeStatusUnknown',
          message: 'Kubelet stopped posting node status.',
        },
      ],
    },
  }
  const e = startTimeout(withStatus(statuses.noStatusYet), [], notReady, 'lab-1', 60_000)
  assert.is(e.kind, 'node')
  assert.is(
    e.message,
    'node lab-1 is not Ready (Ready=Unknown NodeStatusUnknown: Kubelet stopped posting node status.); its pod did not start within 60 s',
  )
  const ready: Node = { metadata: { name: 'lab-1' }, status: { conditions: [{ type: 'Ready', status: 'True' }] } }
  const ev = [
    {
      metadata: { name: 'e' },
      involvedObject: {},
      type: 'Warning',
      reason: 'FailedCreatePodSandBox',
      message: 'failed to create sandbox',
    },
  ]
  const t = startTimeout(withStatus(statuses.creating), ev, ready, 'lab-1', 30_000)
  assert.is(t.kind, 'timeout')
  assert.is(
    t.message,
    'pod kinspect-node-lab-1-x7k2q on lab-1 was not Running after 30 s (Pending: ContainerCreating); last warning: FailedCreatePodSandBox: failed to create sandbox',
  )
})

test.run()
