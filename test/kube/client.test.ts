// Kube against a fake TLS API server: requests sent, answers and errors mapped, keep-alive, ping, laziness.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import net from 'node:net'
import path from 'node:path'
import { inspect } from 'node:util'
import { spawnSync } from 'node:child_process'
import { Kube, loadKubeconfig } from '../../src/kube/index.ts'
import { fakeKubeconfig, type FakeApi, type Pki } from './fakeapi.ts'
import { installPresenters } from '../../src/render/presenters.ts'
import { crash, lab1, ns, pods, rejects, startFakeKube, stopFakeKube } from './client-kit.ts'
import { kubectlTable, pick } from './labkube.ts'

installPresenters() // results print as tables, as in the shell

const root = path.resolve(import.meta.dirname, '../..')

let pki: Pki
let api: FakeApi
let kc: string
let kube: Kube

test.before(async () => {
  ;({ pki, api, kc, kube } = await startFakeKube())
})
test.after(() => stopFakeKube({ pki, api, kube }))

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
