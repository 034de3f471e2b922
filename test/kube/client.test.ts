// Kube against a fake TLS API server: requests sent, answers mapped, errors mapped, keep-alive, laziness.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fs from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import { inspect } from 'node:util'
import { spawnSync } from 'node:child_process'
import { Kube, KubeError, loadKubeconfig, type NodeDescription, type PodDescription } from '../../src/kube/index.ts'
import { FakeApi, fakeKubeconfig, makePki, type Pki } from './fakeapi.ts'
import { installPresenters } from '../../src/render/presenters.ts'

installPresenters() // results print as tables, as in the shell

import { capture, captureNs, eventsOf, kubectlTable, pick } from './labkube.ts'

// objects captured from the lab (test/fixtures/lab/kube/): a web pod restarted once and crash (CrashLoopBackOff)
// in the capture's namespace, lab-1 with its Lease and pods, shop/web-nodeport with its EndpointSlices
const pods = capture('pods')
const crashCap = capture('describe-pod-crash')
const nodeCap = capture('describe-node-lab-1')
const svcCap = capture('describe-svc-web-nodeport')
const crash = () => pick(crashCap.items, 'Pod', 'crash')
const crashEvents = () => eventsOf(crashCap.items, crash())
const lab1 = () => pick(nodeCap.items, 'Node', 'lab-1')
const ns = captureNs
const root = path.resolve(import.meta.dirname, '../..')

let pki: Pki
let api: FakeApi
let kc: string
let kube: Kube

async function rejects(p: Promise<unknown>, kind: string, re?: RegExp): Promise<KubeError> {
  try {
    await p
  } catch (e) {
    assert.instance(e, KubeError, `not a KubeError: ${(e as Error)?.stack}`)
    const k = e as KubeError
    assert.is(k.kind, kind, `kind of: ${k.message}`)
    if (re) assert.match(`${k.message} | ${k.hint ?? ''}`, re)
    return k
  }
  assert.unreachable(`expected a KubeError of kind ${kind}`)
  throw new Error('unreachable')
}

test.before(async () => {
  pki = makePki()
  api = new FakeApi(pki)
  await api.listen()
  kc = fakeKubeconfig(pki.dir, api.url, pki, { token: 'tok-123' })
  kube = new Kube(loadKubeconfig({ kubeconfig: kc }))
})
test.after(async () => {
  kube?.close()
  await api?.close()
  if (pki) fs.rmSync(pki.dir, { recursive: true, force: true })
})

test('pods(): one GET with the label selector, client cert and token; items get kind and a table', async () => {
  const p1 = pick(pods.items, 'Pod', 'web')
  const p2 = pick(pods.items, 'Pod', 'crash')
  for (const p of [p1, p2]) (delete p.kind, delete p.apiVersion) // list items come without kind
  api.routes.set('/api/v1/namespaces/shop/pods', { body: { kind: 'PodList', apiVersion: 'v1', items: [p1, p2] } })
  api.seen = []
  const got = await kube.pods('app in (web,crash)')
  assert.is(api.seen.length, 1)
  assert.is(api.seen[0].query.get('labelSelector'), 'app in (web,crash)')
  assert.is(api.seen[0].clientCN, 'kinspect-test')
  assert.is(api.seen[0].headers.authorization, 'Bearer tok-123')
  assert.ok(Array.isArray(got))
  assert.equal(
    got.map((p) => p.metadata.name),
    [p1.metadata.name, 'crash'],
  )
  assert.is(got[0].kind, 'Pod')
  assert.is(got[0].apiVersion, 'v1')
  assert.not.ok(Object.keys(got).includes(String(inspect.custom)))
  assert.is(Object.getOwnPropertyDescriptor(got, inspect.custom)?.enumerable, false)
  const text = inspect(got, { colors: false })
  assert.match(text, /^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE$/m)
  const k = kubectlTable(pods.text).rows.find((r) => r[0] === 'crash')! // what kubectl printed, ages aside
  const restarts = k[3].replace(/\(\S+ ago\)/, '\\(\\S+ ago\\)')
  assert.match(
    text,
    new RegExp(
      `^crash\\s+${k[1].replace('/', '\\/')}\\s+${k[2]}\\s+${restarts}\\s+\\S+\\s+${k[5].replace(/\./g, '\\.')}\\s+${k[6]}$`,
      'm',
    ),
  )
  assert.is(JSON.parse(JSON.stringify(got))[0].metadata.name, p1.metadata.name)
})

test('selector maps and LabelSelectors; allNamespaces lists /api/v1/pods; namespace option', async () => {
  api.routes.set('/api/v1/pods', { body: { items: [] } })
  api.routes.set('/api/v1/namespaces/kube-system/pods', { body: { items: [] } })
  api.seen = []
  await kube.pods({ app: 'web', tier: 'frontend' }, { allNamespaces: true })
  await kube.pods(
    {
      matchLabels: { app: 'web' },
      matchExpressions: [
        { key: 'tier', operator: 'NotIn', values: ['db', 'cache'] },
        { key: 'canary', operator: 'DoesNotExist' },
      ],
    },
    { namespace: 'kube-system' },
  )
  assert.is(api.seen[0].path, '/api/v1/pods')
  assert.is(api.seen[0].query.get('labelSelector'), 'app=web,tier=frontend')
  assert.is(api.seen[1].path, '/api/v1/namespaces/kube-system/pods')
  assert.is(api.seen[1].query.get('labelSelector'), 'app=web,tier notin (db,cache),!canary')
  const empty = await kube.pods(undefined, { namespace: 'kube-system' })
  assert.is(inspect(empty, { colors: false }), 'No resources found in kube-system namespace.')
  await rejects(
    kube.pods({ namespace: 'shop', allNamespaces: true } as any),
    'invalid',
    /selector: label "allNamespaces" must map to a string/,
  )
})

test('keep-alive: sequential calls reuse one TLS connection', async () => {
  api.routes.set('/api/v1/nodes', { body: { items: [lab1()] } })
  const k = new Kube(loadKubeconfig({ kubeconfig: kc }))
  const before = api.connections
  for (let i = 0; i < 5; i++) await k.nodes()
  assert.is(api.connections - before, 1)
  k.close()
})

test('pod("ns/name") and 404 -> notfound naming the pod and namespace, hint pods()', async () => {
  api.routes.set(`/api/v1/namespaces/${ns}/pods/crash`, { body: crash() })
  const p = await kube.pod(`${ns}/crash`)
  assert.is(p.metadata.uid, crash().metadata.uid)
  assert.match(p.metadata.uid ?? '', /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/)
  assert.match(inspect(p, { colors: false }), /^crash\s+1\/2\s+CrashLoopBackOff/m)
  api.routes.set('/api/v1/namespaces/other/pods/nope', {
    status: 404,
    body: {
      kind: 'Status',
      apiVersion: 'v1',
      status: 'Failure',
      message: 'pods "nope" not found',
      reason: 'NotFound',
      details: { name: 'nope', kind: 'pods' },
      code: 404,
    },
  })
  const e = await rejects(kube.pod('other/nope'), 'notfound', /pod "nope" in namespace "other" not found/)
  assert.match(e.hint!, /pods\(\)/)
  assert.is(e.status, 404)
  await rejects(kube.pod('a/b/c'), 'invalid', /^name: expected "name" or "namespace\/name", received "a\/b\/c"/)
  await rejects(kube.pod(42 as any), 'invalid', /received number/)
})

test('401 -> unauthorized, 403 -> forbidden, 500 -> server', async () => {
  api.routes.set('/api/v1/namespaces/shop/services', {
    status: 401,
    body: { kind: 'Status', status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 },
  })
  await rejects(kube.services(), 'unauthorized', new RegExp(`401 Unauthorized from ${api.url.replace(/[.]/g, '\\.')}`))
  api.routes.set('/api/v1/nodes/lab-1', {
    status: 403,
    body: {
      kind: 'Status',
      message:
        'nodes "lab-1" is forbidden: User "kinspect-test" cannot get resource "nodes" in API group "" at the cluster scope',
      reason: 'Forbidden',
      code: 403,
    },
  })
  const f = await rejects(kube.node('lab-1'), 'forbidden', /User "kinspect-test" cannot get resource "nodes"/)
  assert.match(f.hint!, /kubectl auth can-i get node/)
  api.routes.set('/api/v1/namespaces/shop/services/boom', { status: 500, body: 'etcd is sad' })
  await rejects(kube.svc('boom'), 'server', /HTTP 500 .* etcd is sad/)
})

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

test('ping(): version when up; one-line reasons for TLS, refused, timeout, no kubeconfig', async () => {
  api.routes.set('/version', { body: { gitVersion: 'v1.33.13' } })
  const ok = await kube.ping()
  assert.equal([ok.ok, ok.ok && ok.version], [true, 'v1.33.13'])
  const wrongCa = new Kube(loadKubeconfig({ kubeconfig: fakeKubeconfig(pki.dir, api.url, pki, { ca: pki.otherCa }) }))
  const tls = await wrongCa.ping()
  assert.equal([tls.ok, !tls.ok && tls.kind], [false, 'tls'])
  assert.match(!tls.ok ? tls.reason : '', /^TLS: /)
  await rejects(wrongCa.pods(), 'tls', /certificate-authority/)
  const port = await new Promise<number>((r) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port
      s.close(() => r(p))
    })
  })
  const refused = await new Kube(
    loadKubeconfig({ kubeconfig: fakeKubeconfig(pki.dir, `https://127.0.0.1:${port}`, pki) }),
  ).ping()
  assert.equal([refused.ok, !refused.ok && refused.reason], [false, `connection refused by https://127.0.0.1:${port}`])
  api.routes.set('/version', { body: { gitVersion: 'v1' }, delayMs: 1500 })
  const slow = await kube.ping({ timeoutMs: 200 })
  assert.equal([slow.ok, !slow.ok && slow.kind], [false, 'connection'])
  assert.match(!slow.ok ? slow.reason : '', /timed out talking to https:\/\/127\.0\.0\.1:\d+ after \d+ ms/)
  const none = await Kube.fromKubeconfig({ kubeconfig: path.join(pki.dir, 'missing') }).ping()
  assert.equal([none.ok, !none.ok && none.kind], [false, 'noconfig'])
  assert.match(!none.ok ? none.reason : '', /^no kubeconfig: /)
  api.routes.set('/version', { status: 401, body: { kind: 'Status', code: 401, reason: 'Unauthorized' } })
  const unauth = await kube.ping()
  assert.match(!unauth.ok ? unauth.reason : '', /^401 unauthorized/)
})

test('construction does no I/O; namespace is validated and settable', () => {
  let loads = 0
  const k = new Kube(() => {
    loads++
    return loadKubeconfig({ kubeconfig: kc })
  })
  assert.is(loads, 0)
  assert.is(k.namespace, 'shop')
  assert.is(loads, 1)
  k.namespace = 'kube-system'
  assert.is(k.namespace, 'kube-system')
  assert.throws(() => (k.namespace = 'Bad_NS'), /namespace: expected a namespace name, received "Bad_NS"/)
  assert.throws(() => new Kube(null as any), /Kube: expected a KubeconfigInfo/)
  assert.is(inspect(k), `Kube { context: fake, server: ${api.url}, namespace: kube-system }`)
  assert.match(
    inspect(Kube.fromKubeconfig({ kubeconfig: '/nonexistent/kc' })),
    /^Kube \{ kubeconfig \/nonexistent\/kc \(--kubeconfig\) does not exist \}$/,
  )
})

test('importing src/kube does not load @kubernetes/client-node; the first call does', () => {
  const hook = `data:text/javascript,${encodeURIComponent(`
    import { register } from 'node:module';
    import { MessageChannel } from 'node:worker_threads';
    const { port1, port2 } = new MessageChannel();
    globalThis.__loaded = [];
    port1.on('message', (m) => globalThis.__loaded.push(m)); port1.unref();
    register('data:text/javascript,' + encodeURIComponent(\`
      let port; export function initialize(d) { port = d.port }
      export async function resolve(s, c, n) { const r = await n(s, c); if (r.url.includes('@kubernetes/client-node')) port.postMessage(r.url); return r }
    \`), { data: { port: port2 }, transferList: [port2] });
  `)}`
  const script = `
    const m = await import(${JSON.stringify(path.join(root, 'src/kube/index.ts'))});
    const k = m.Kube.fromKubeconfig({ kubeconfig: ${JSON.stringify(kc)} });
    await new Promise((r) => setTimeout(r, 50));
    const before = globalThis.__loaded.length;
    await k.kubeConfig();
    await new Promise((r) => setTimeout(r, 50));
    console.log(JSON.stringify({ before, after: globalThis.__loaded.length }));
  `
  const r = spawnSync(process.execPath, ['--import', hook, '--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: root,
    encoding: 'utf8',
    timeout: 60_000,
  })
  assert.is(r.status, 0, r.stderr)
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!)
  assert.is(out.before, 0)
  assert.ok(out.after > 0, 'client-node was not loaded by the first call')
})

test.run()
