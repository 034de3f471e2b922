// Kube's calls against a fake TLS API server: events, logs, endpoints, describe, top and the generic get().
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { inspect } from 'node:util'
import { type Kube, type NodeDescription, type PodDescription } from '../../src/kube/index.ts'
import type { FakeApi, Pki } from './fakeapi.ts'
import { installPresenters } from '../../src/render/presenters.ts'
import {
  crash,
  crashCap,
  crashEvents,
  lab1,
  nodeCap,
  ns,
  rejects,
  startFakeKube,
  stopFakeKube,
  svcCap,
} from './client-kit.ts'
import { pick } from './labkube.ts'

installPresenters() // results print as tables, as in the shell

let pki: Pki
let api: FakeApi
let kube: Kube

test.before(async () => {
  ;({ pki, api, kube } = await startFakeKube())
})
test.after(() => stopFakeKube({ pki, api, kube }))

test('events(obj): involvedObject field selector with uid, sorted oldest first', async () => {
  const list = crashEvents()
  api.routes.set(`/api/v1/namespaces/${ns}/events`, {
    body: { kind: 'EventList', apiVersion: 'v1', items: [...list].reverse() },
  })
  api.seen = []
  const evs = await kube.events(crash())
  const fs_ = api.seen[0].query.get('fieldSelector')!.split(',').sort()
  assert.equal(fs_, [
    'involvedObject.kind=Pod',
    'involvedObject.name=crash',
    `involvedObject.namespace=${ns}`,
    `involvedObject.uid=${crash().metadata.uid}`,
  ])
  assert.is(evs.length, list.length)
  assert.equal([evs[0].reason, evs.at(-1)!.reason], ['Scheduled', 'BackOff']) // oldest first: scheduled, …, the latest back-off
  const times = evs.map((e) => Date.parse(e.lastTimestamp || e.eventTime!))
  assert.equal(
    times,
    [...times].sort((a, b) => a - b),
  )
  assert.match(inspect(evs, { colors: false }), /^LAST SEEN\s+TYPE\s+REASON\s+OBJECT\s+MESSAGE$/m)
  api.routes.set('/api/v1/events', { body: { items: [] } })
  api.seen = []
  await kube.events('node/lab-1')
  assert.is(api.seen[0].path, '/api/v1/events') // nodes: events from every namespace
  assert.equal(api.seen[0].query.get('fieldSelector')!.split(',').sort(), [
    'involvedObject.kind=Node',
    'involvedObject.name=lab-1',
  ])
  await rejects(kube.events('crash'), 'invalid', /target: expected "kind\/name"/)
})

test('logs(): query parameters and text body', async () => {
  api.routes.set('/api/v1/namespaces/shop/pods/web-1/log', { body: 'line 1\nline 2\n' })
  api.seen = []
  const t = await kube.logs('web-1', { container: 'web', previous: true, tail: 20, since: '5m', timestamps: true })
  assert.is(t, 'line 1\nline 2\n')
  const q = api.seen[0].query
  assert.equal(
    [q.get('container'), q.get('previous'), q.get('tailLines'), q.get('sinceSeconds'), q.get('timestamps')],
    ['web', 'true', '20', '300', 'true'],
  )
  await kube.logs('web-1')
  assert.is(api.seen[1].url, '/api/v1/namespaces/shop/pods/web-1/log')
  await rejects(kube.logs('web-1', { tail: -1 }), 'invalid', /^tail: expected a whole number/)
  await rejects(kube.logs('web-1', { since: 'yesterday' }), 'invalid', /^since: expected seconds or a duration/)
})

test('a misspelled option is an error before any request, never a quiet default (pods of another namespace)', async () => {
  api.seen = []
  const e = await rejects(kube.pods(undefined, { namepsace: 'kube-system' } as never), 'invalid')
  assert.is(
    e.message,
    'opts: unknown option "namepsace" (did you mean namespace?); the options are namespace, allNamespaces, fieldSelector, timeoutMs',
  )
  await rejects(kube.services(undefined, { allnamespaces: true } as never), 'invalid', /did you mean allNamespaces\?/)
  await rejects(kube.events(undefined, { fieldselector: 'x' } as never), 'invalid', /did you mean fieldSelector\?/)
  await rejects(
    kube.pod('web-1', { ns: 'shop' } as never),
    'invalid',
    /unknown option "ns"; the options are namespace, timeoutMs/,
  )
  await rejects(kube.svc('web', { namespace: 'shop', x: 1 } as never), 'invalid', /unknown option "x"/)
  await rejects(kube.endpoints('web', { namspace: 'shop' } as never), 'invalid', /did you mean namespace\?/)
  await rejects(kube.logs('web-1', { tailLines: 5 } as never), 'invalid', /unknown option "tailLines"/)
  await rejects(kube.top('pods', { sortby: 'cpu' } as never), 'invalid', /did you mean sortBy\?/)
  await rejects(kube.get('pods', undefined, { selectr: { app: 'web' } } as never), 'invalid', /did you mean selector\?/)
  await rejects(kube.pods(undefined, 'kube-system' as never), 'invalid', /^opts: expected an object of options/)
  assert.equal(api.seen, [])
})

test('endpoints(svc): EndpointSlices by service-name label, notfound when the service is missing', async () => {
  const slices = svcCap.items.filter((i) => i.kind === 'EndpointSlice')
  api.routes.set('/api/v1/namespaces/shop/services/web-nodeport', {
    body: pick(svcCap.items, 'Service', 'web-nodeport'),
  })
  api.routes.set('/apis/discovery.k8s.io/v1/namespaces/shop/endpointslices', {
    body: { kind: 'EndpointSliceList', apiVersion: 'discovery.k8s.io/v1', items: slices },
  })
  api.seen = []
  const eps = await kube.endpoints('web-nodeport')
  const sliceReq = api.seen.find((s) => s.path.includes('endpointslices'))!
  assert.is(sliceReq.query.get('labelSelector'), 'kubernetes.io/service-name=web-nodeport')
  assert.is(eps[0].endpoints!.length, 2) // web runs on lab-2 and lab-3
  const e0 = slices[0].endpoints[0]
  const row = `${slices[0].metadata.name}\\s+${e0.addresses[0].replace(/\./g, '\\.')}\\s+true\\s+pod\\/${e0.targetRef.name}\\s+${e0.nodeName}\\s+http 8080\\/TCP`
  assert.match(inspect(eps, { colors: false }), new RegExp(`^${row}$`, 'm'))
  api.routes.set('/api/v1/namespaces/shop/services/nosvc', {
    status: 404,
    body: { kind: 'Status', reason: 'NotFound', code: 404 },
  })
  await rejects(kube.endpoints('nosvc'), 'notfound', /service "nosvc" in namespace "shop" not found/)
})

test('describe(pod) fetches the pod and its events; describe(node) adds the lease and its pods', async () => {
  api.routes.set(`/api/v1/namespaces/${ns}/pods/crash`, { body: crash() })
  // the namespace's events, selected as the API selects them (involvedObject.* = value)
  const nsEvents = crashCap.items.filter((i) => i.kind === 'Event')
  const get = (o: any, path: string) => path.split('.').reduce((v, k) => v?.[k], o)
  api.routes.set(`/api/v1/namespaces/${ns}/events`, (s) => {
    const sel = (s.query.get('fieldSelector') ?? '')
      .split(',')
      .filter(Boolean)
      .map((x) => x.split('='))
    return { body: { items: nsEvents.filter((e) => sel.every(([k, v]) => String(get(e, k)) === v)) } }
  })
  const d = (await kube.describe(`pod/${ns}/crash`)) as PodDescription
  assert.is(d.kind, 'Pod')
  assert.is(d.restarts, crash().status.containerStatuses.find((c: any) => c.name === 'main').restartCount)
  assert.is(d.status, 'CrashLoopBackOff')
  assert.is(d.events.length, crashEvents().length)
  assert.match(inspect(d, { colors: false }), /Last State:\s+Terminated\n\s+Reason:\s+Error\n\s+Exit Code:\s+1/)
  const nodePods = nodeCap.items.filter((i) => i.kind === 'Pod')
  api.routes.set('/api/v1/nodes/lab-1', { body: lab1() })
  api.routes.set('/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/lab-1', {
    body: pick(nodeCap.items, 'Lease', 'lab-1'),
  })
  api.routes.set('/api/v1/pods', (s) => ({
    body: { items: s.query.get('fieldSelector') === 'spec.nodeName=lab-1' ? nodePods : [] },
  }))
  api.routes.set('/api/v1/events', { body: { items: [] } })
  const n = (await kube.describe(lab1())) as NodeDescription
  assert.is(n.kind, 'Node')
  assert.is(n.lease?.holder, 'lab-1')
  assert.equal(
    n.pods.map((p) => `${p.namespace}/${p.name}`),
    nodePods.map((p) => `${p.metadata.namespace}/${p.metadata.name}`).sort(),
  )
  assert.equal(
    n.pods.find((p) => p.name === 'crash'),
    { namespace: ns, name: 'crash', phase: 'Running' },
  )
  assert.match(inspect(n, { colors: false }), /Ready\s+True\s+.*KubeletReady\s+kubelet is posting ready status/)
})

test('top(): metrics API absent -> unsupported naming metrics.k8s.io', async () => {
  await rejects(kube.top(), 'unsupported', /metrics API \(metrics\.k8s\.io\/v1beta1\) is not served by this cluster/)
  api.routes.set('/apis/metrics.k8s.io/v1beta1/nodes', {
    body: { items: [{ metadata: { name: 'lab-1' }, usage: { cpu: '250123456n', memory: '1048576Ki' } }] },
  })
  api.routes.set('/api/v1/nodes', { body: { items: [lab1()] } }) // allocatable cpu 2, memory 24581696Ki (captured)
  assert.equal([lab1().status.allocatable.cpu, lab1().status.allocatable.memory], ['2', '24581696Ki'])
  const t = await kube.top('nodes')
  // 251m of 2000m = 12.55 % -> 12 %; 1048576Ki of 24581696Ki = 4.27 % -> 4 % (kubectl top truncates)
  assert.match(inspect(t, { colors: false }), /^lab-1\s+251m\s+12%\s+1024Mi\s+4%$/m)
  assert.equal([t[0].cpuMillicores, t[0].memoryBytes, t[0].cpuPercent, t[0].memoryPercent], [251, 2 ** 30, 12, 4])
  await rejects(
    kube.top('pods', { sortBy: 'disk' as any }),
    'invalid',
    /^sortBy: expected "cpu" or "memory", received "disk"/,
  )
  await rejects(kube.top('deploys' as any), 'invalid', /^what: expected "pods" or "nodes"/)
})

test('get(): built-in kinds without discovery, others via aggregated discovery, unknown kinds named', async () => {
  api.routes.set('/apis/apps/v1/namespaces/shop/deployments/web', {
    body: {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'shop' },
      spec: { replicas: 2 },
      status: { readyReplicas: 1 },
    },
  })
  api.seen = []
  const d = await kube.get('deploy', 'web')
  assert.is((d as any).kind, 'Deployment')
  assert.equal(
    api.seen.map((s) => s.path),
    ['/apis/apps/v1/namespaces/shop/deployments/web'],
  )
  assert.match(inspect(d, { colors: false }), /^web\s+1\/2\s+0\s+0\s+/m)
  const disco = {
    kind: 'APIGroupDiscoveryList',
    apiVersion: 'apidiscovery.k8s.io/v2',
    items: [
      {
        metadata: { name: 'example.com' },
        versions: [
          {
            version: 'v2',
            resources: [
              {
                resource: 'widgets',
                singularResource: 'widget',
                shortNames: ['wd'],
                scope: 'Cluster',
                responseKind: { group: 'example.com', version: 'v2', kind: 'Widget' },
              },
            ],
          },
        ],
      },
    ],
  }
  api.routes.set('/api', { body: { kind: 'APIGroupDiscoveryList', items: [] } })
  api.routes.set('/apis', { body: disco })
  api.routes.set('/apis/example.com/v2/widgets', { body: { items: [{ metadata: { name: 'w1' } }] } })
  const ws = (await kube.get('wd')) as any[]
  assert.is(ws[0].kind, 'Widget')
  assert.is(ws[0].apiVersion, 'example.com/v2')
  assert.match(String(api.seen.find((s) => s.path === '/apis')?.headers.accept), /as=APIGroupDiscoveryList/)
  await rejects(kube.get('gizmos'), 'invalid', /no resource type "gizmos"/)
})

test.run()
