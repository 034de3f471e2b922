// Node pods that cannot be made or started, on the lab: each error names its cause, and no pod is left behind.
// The test makes its own namespaces (PodSecurity baseline, a ResourceQuota, a LimitRange, a view-only user)
// and deletes them afterwards.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { labPaths, NODE } from '../lab/layout.ts'
import { IMAGES } from '../lab/manifests.ts'
import { Kube, loadKubeconfig, kubeNodePodApi } from '../../src/kube/index.ts'
import { NodePods, NodePodError, type NodePodsOptions } from '../../src/exec/nodepod/index.ts'

const kubeconfig = labPaths().kubeconfig
const kube = new Kube(loadKubeconfig({ kubeconfig }))
const api = kubeNodePodApi(kube)
const prefix = `kinspect-e2e-${process.pid}`
const NS = {
  baseline: `${prefix}-baseline`,
  quota: `${prefix}-quota`,
  limits: `${prefix}-limits`,
  view: `${prefix}-view`,
}
const VIEWER = 'kinspect-e2e-viewer'

async function create(path: string, body: object): Promise<void> {
  await kube.request('POST', path, { body })
}
async function fails(o: NodePodsOptions, node = NODE, a = api): Promise<NodePodError> {
  const pods = new NodePods(a, { image: IMAGES.nodePod, startTimeoutMs: 60_000, ...o })
  try {
    const e = await pods.ensure(node).then(
      () => undefined,
      (x) => x,
    )
    assert.instance(e, NodePodError, `expected a NodePodError, got ${e}`)
    return e
  } finally {
    await pods.close()
    const left = await api.listPods(`kinspect.dev/session=${pods.session}`)
    assert.equal(
      left.map((p) => p.metadata.name),
      [],
      'the failed pod was not deleted',
    )
  }
}

test.before(async () => {
  await create('/api/v1/namespaces', {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: NS.baseline, labels: { 'pod-security.kubernetes.io/enforce': 'baseline' } },
  })
  for (const n of [NS.quota, NS.limits, NS.view])
    await create('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: n } })
  await create(`/api/v1/namespaces/${NS.quota}/resourcequotas`, {
    apiVersion: 'v1',
    kind: 'ResourceQuota',
    metadata: { name: 'no-pods' },
    spec: { hard: { pods: '0' } },
  })
  await create(`/api/v1/namespaces/${NS.limits}/limitranges`, {
    apiVersion: 'v1',
    kind: 'LimitRange',
    metadata: { name: 'tiny' },
    spec: { limits: [{ type: 'Container', max: { cpu: '100m' } }] },
  })
  await create(`/apis/rbac.authorization.k8s.io/v1/namespaces/${NS.view}/rolebindings`, {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: { name: 'viewer' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
    subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: VIEWER }],
  })
})
test.after(async () => {
  for (const n of Object.values(NS)) await kube.request('DELETE', `/api/v1/namespaces/${n}`).catch(() => {})
  kube.close()
})

test('an image that does not exist: the image and the kubelet’s reason and message', async () => {
  const phases: string[] = []
  const e = await fails({ image: 'kinspect.local/no-such-image:1', onPhase: (p) => phases.push(p.phase) })
  assert.is(e.kind, 'image')
  assert.match(
    e.message,
    /^the node pod's image kinspect\.local\/no-such-image:1 cannot be pulled on lab-1: (ErrImagePull|ImagePullBackOff): .+/,
  )
  assert.is(phases.at(-1), 'failed')
})

test('PodSecurity baseline: names the namespace label and a namespace that would work', async () => {
  const e = await fails({ namespace: NS.baseline })
  assert.is(e.kind, 'podsecurity')
  assert.match(
    e.message,
    `PodSecurity "baseline" rejects the node pod: namespace "${NS.baseline}" has the label pod-security.kubernetes.io/enforce=baseline`,
  )
  assert.match(e.message, 'hostNetwork=true, hostPID=true, hostIPC=true')
  assert.match(e.hint!, /use namespace "[a-z0-9-]+"/)
  assert.match(
    e.hint!,
    `kubectl label namespace ${NS.baseline} pod-security.kubernetes.io/enforce=privileged --overwrite`,
  )
})

test('a ResourceQuota that allows no pods: named', async () => {
  const e = await fails({ namespace: NS.quota })
  assert.is(e.kind, 'quota')
  assert.match(e.message, `ResourceQuota "no-pods" in namespace "${NS.quota}" refuses the node pod: `)
})

test('a LimitRange below the pod’s limits: named, with the bound', async () => {
  const e = await fails({ namespace: NS.limits })
  assert.is(e.kind, 'limitrange')
  assert.match(e.message, `LimitRange "tiny"`)
  assert.match(e.message, /maximum cpu usage per Container is 100m, but limit is 500m/)
})

test('a view-only user: the access review names every missing verb before anything is created', async () => {
  const info = loadKubeconfig({ kubeconfig })
  info.merged.users.get(info.user.name)!.value.as = VIEWER // impersonation, in memory only
  const viewer = new Kube(info)
  try {
    const e = await fails({ namespace: NS.view }, NODE, kubeNodePodApi(viewer))
    assert.is(e.kind, 'rbac')
    assert.is(
      e.message,
      `user "${VIEWER}" (kubeconfig user "${info.user.name}") may not create pods, delete pods, create pods/exec in namespace "${NS.view}"`,
    )
  } finally {
    viewer.close()
  }
})

test('a node that does not exist, and a pod the kubelet rejects (more CPU than the node has)', async () => {
  const missing = await fails({}, 'lab-404')
  assert.is(missing.kind, 'node')
  assert.is(missing.message, 'node "lab-404" does not exist')
  const big = await fails({
    resources: { requests: { cpu: '512', memory: '32Mi' }, limits: { cpu: '512', memory: '256Mi' } },
  })
  assert.is(big.kind, 'unschedulable')
  assert.match(big.message, /^node lab-1 rejected pod kinspect-node-lab-1-[a-z0-9]{5}: OutOfcpu/)
})

test('no kinspect pod is left', async () => {
  assert.equal(
    (await api.listPods('app.kubernetes.io/managed-by=kinspect')).map((p) => p.metadata.name),
    [],
  )
})

test.run()
