// Kube.request (kinspect's own writes): bodies arrive whole (DELETE included) and keep-alive sockets stay usable.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fs from 'node:fs'
import { Kube, KubeError, loadKubeconfig } from '../../src/kube/index.ts'
import { FakeApi, fakeKubeconfig, makePki } from './fakeapi.ts'

const pki = makePki()
const api = new FakeApi(pki)
let kube: Kube

test.before(async () => {
  await api.listen()
  kube = new Kube(loadKubeconfig({ kubeconfig: fakeKubeconfig(pki.dir, api.url, pki) }))
})
test.after(async () => {
  kube.close()
  await api.close()
  fs.rmSync(pki.dir, { recursive: true, force: true })
})

test('a DELETE body is sent with its length, and the next request on the same socket is unharmed', async () => {
  api.routes.set('/api/v1/namespaces/ns/pods/p', (s) =>
    s.method === 'DELETE'
      ? { body: { kind: 'Pod', metadata: { name: 'p' } } }
      : { body: { kind: 'Pod', metadata: { name: 'p' }, status: { phase: 'Running' } } },
  )
  const before = api.connections
  const body = { kind: 'DeleteOptions', apiVersion: 'v1', gracePeriodSeconds: 1 }
  await kube.request('DELETE', '/api/v1/namespaces/ns/pods/p', { body })
  const del = api.seen.at(-1)!
  assert.is(del.method, 'DELETE')
  assert.equal(JSON.parse(del.body!), body)
  assert.is(del.headers['content-length'], String(JSON.stringify(body).length))
  const got = await kube.request('GET', '/api/v1/namespaces/ns/pods/p')
  assert.is(got.status.phase, 'Running')
  assert.is(api.seen.at(-1)!.method, 'GET')
  assert.is(api.connections - before, 1, 'one keep-alive connection for both')
})

test('POST and merge-patch bodies carry their content type; errors name the object', async () => {
  api.routes.set('/api/v1/namespaces/ns/pods', (s) => ({ status: 201, body: JSON.parse(s.body!) }))
  const created = await kube.request('POST', '/api/v1/namespaces/ns/pods', {
    body: { kind: 'Pod', metadata: { name: 'q' } },
  })
  assert.is(created.metadata.name, 'q')
  assert.is(api.seen.at(-1)!.headers['content-type'], 'application/json')
  api.routes.set('/api/v1/namespaces/ns/pods/q', {
    status: 404,
    body: { kind: 'Status', status: 'Failure', reason: 'NotFound', code: 404, message: 'pods "q" not found' },
  })
  const e = await kube
    .request('PATCH', '/api/v1/namespaces/ns/pods/q', {
      body: { metadata: { annotations: { a: 'b' } } },
      contentType: 'application/merge-patch+json',
      object: { kind: 'Pod', name: 'q', namespace: 'ns' },
    })
    .catch((x) => x)
  assert.is(api.seen.at(-1)!.headers['content-type'], 'application/merge-patch+json')
  assert.instance(e, KubeError)
  assert.is(e.kind, 'notfound')
  assert.match(e.message, 'pod "q" in namespace "ns" not found')
  const bad = await kube.request('GET', 'no-slash').catch((x) => x)
  assert.is(bad.kind, 'invalid')
  assert.match(bad.message, 'path: expected an API path')
})

test.run()
