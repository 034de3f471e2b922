// HTTP status / socket error -> KubeError kind, message and hint.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { inspect } from 'node:util'
import { KubeError, httpError, networkError, oneLineReason } from '../../src/kube/errors.ts'

const S = 'https://10.99.0.1:6443'
const status = (code: number, reason: string, message: string, details?: object) =>
  JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason, message, details })

test('401 -> unauthorized naming the server', () => {
  const e = httpError(401, status(401, 'Unauthorized', 'Unauthorized'), {
    server: S,
    method: 'GET',
    path: '/api/v1/pods',
  })
  assert.is(e.kind, 'unauthorized')
  assert.is(e.status, 401)
  assert.match(e.message, /^401 Unauthorized from https:\/\/10\.99\.0\.1:6443/)
  assert.match(e.hint!, /token or client certificate/)
})

test('403 -> forbidden with the server message and a can-i hint', () => {
  const e = httpError(
    403,
    status(
      403,
      'Forbidden',
      'pods is forbidden: User "x" cannot list resource "pods" in API group "" in the namespace "shop"',
    ),
    {
      server: S,
      method: 'GET',
      path: '/api/v1/namespaces/shop/pods',
      object: { kind: 'Pod', namespace: 'shop' },
    },
  )
  assert.is(e.kind, 'forbidden')
  assert.match(e.message, /User "x" cannot list resource "pods"/)
  assert.is(e.hint, 'RBAC denies it; check with: kubectl auth can-i get pod -n shop')
})

test('404 for a named object -> notfound naming object and namespace, hint lists', () => {
  const e = httpError(404, status(404, 'NotFound', 'pods "web" not found', { name: 'web', kind: 'pods' }), {
    server: S,
    object: { kind: 'Pod', name: 'web', namespace: 'shop' },
  })
  assert.is(e.kind, 'notfound')
  assert.is(e.message, `pod "web" in namespace "shop" not found (${S})`)
  assert.match(e.hint!, /^pods\(\) to list/)
  const n = httpError(404, status(404, 'NotFound', 'nodes "x" not found'), { object: { kind: 'Node', name: 'x' } })
  assert.is(n.message, 'node "x" not found')
  assert.match(n.hint!, /^nodes\(\)/)
  const s = httpError(404, '', { object: { kind: 'Service', name: 'db', namespace: 'a' } })
  assert.match(s.hint!, /^services\(\)/)
})

test('404 without an object: from Status details, else the path is not served', () => {
  const d = httpError(
    404,
    status(404, 'NotFound', 'namespaces "nope" not found', { name: 'nope', kind: 'namespaces' }),
    { path: '/api/v1/namespaces/nope/pods', object: { kind: 'Pod', namespace: 'nope' } },
  )
  assert.is(d.kind, 'notfound')
  assert.match(d.message, /namespaces "nope"/)
  const u = httpError(404, '404 page not found\n', { path: '/apis/metrics.k8s.io/v1beta1/pods' })
  assert.is(u.kind, 'unsupported')
  assert.is(u.message, 'the server does not serve /apis/metrics.k8s.io/v1beta1/pods')
})

test('400/422 -> invalid, 409 -> conflict, 5xx -> server', () => {
  assert.is(
    httpError(400, status(400, 'BadRequest', 'a container name must be specified for pod p, choose one of: [a b]'))
      .kind,
    'invalid',
  )
  assert.match(
    httpError(400, status(400, 'BadRequest', 'a container name must be specified')).message,
    /^400 BadRequest: a container name must be specified/,
  )
  assert.is(httpError(422, status(422, 'Invalid', 'bad')).kind, 'invalid')
  assert.is(httpError(409, status(409, 'AlreadyExists', 'exists')).kind, 'conflict')
  assert.is(httpError(500, 'boom').kind, 'server')
  assert.is(httpError(503, 'unavailable').kind, 'server')
})

test('socket errors -> connection with the server URL; certificate errors -> tls', () => {
  const err = (code: string, message = code) => Object.assign(new Error(message), { code })
  const refused = networkError(err('ECONNREFUSED', 'connect ECONNREFUSED 10.99.0.1:6443'), { server: S })
  assert.equal([refused.kind, refused.message], ['connection', `connection refused by ${S}`])
  const to = networkError(err('ETIMEDOUT'), { server: S, durationMs: 3001.4 })
  assert.equal([to.kind, to.message], ['connection', `timed out talking to ${S} after 3001 ms`])
  assert.is(
    networkError(err('ENOTFOUND'), { server: 'https://nope:6443' }).message,
    'cannot resolve the host of https://nope:6443',
  )
  assert.is(networkError(err('EHOSTUNREACH'), { server: S }).kind, 'connection')
  for (const code of [
    'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    'SELF_SIGNED_CERT_IN_CHAIN',
    'DEPTH_ZERO_SELF_SIGNED_CERT',
    'CERT_HAS_EXPIRED',
    'ERR_TLS_CERT_ALTNAME_INVALID',
    'ERR_SSL_WRONG_VERSION_NUMBER',
  ]) {
    const e = networkError(err(code, `${code} happened`), { server: S })
    assert.is(e.kind, 'tls', code)
    assert.match(e.message, new RegExp(`^TLS with ${S.replace(/[.]/g, '\\.')} failed: ${code} happened`))
  }
  assert.is(networkError(err('WEIRD')).message, 'cannot reach the API server: WEIRD')
})

test('KubeError: fields, cause, inspect without a stack', () => {
  const cause = new Error('inner')
  const e = new KubeError('notfound', 'pod "x" not found', 'pods() to list', cause, { server: S, status: 404 })
  assert.is(e.name, 'KubeError')
  assert.is(e.cause, cause)
  assert.is(e.server, S)
  assert.not.ok('file' in e)
  assert.is(inspect(e), 'KubeError [notfound] pod "x" not found\n  hint: pods() to list')
  assert.instance(e, Error)
})

test('oneLineReason per kind', () => {
  assert.match(oneLineReason(new KubeError('noconfig', 'no kubeconfig found (looked at /x)')), /^no kubeconfig: /)
  assert.match(oneLineReason(httpError(401, '', { server: S })), /^401 unauthorized \(https:/)
  const plugin = new KubeError(
    'unauthorized',
    'the exec credential plugin of user "u" (aws eks get-token) failed (exit 1): expired SSO session',
    'run it by hand',
  )
  assert.is(oneLineReason(plugin), plugin.message, 'no credentials were sent, so no "401"')
  const expired = Object.assign(httpError(401, '', { server: S }), {
    message: `401 Unauthorized from ${S}: the client certificate of user "u" expired on 2026-01-01T00:00:00Z`,
  })
  assert.is(oneLineReason(expired), expired.message)
  assert.match(
    oneLineReason(httpError(403, status(403, 'Forbidden', 'forbidden: nope'))),
    /^403 forbidden: forbidden: nope/,
  )
  assert.match(
    oneLineReason(networkError(Object.assign(new Error('x'), { code: 'CERT_HAS_EXPIRED' }), { server: S })),
    /^TLS: TLS with/,
  )
  assert.is(oneLineReason(new Error('plain')), 'plain')
  assert.not.match(oneLineReason(networkError(Object.assign(new Error('a\nb'), { code: 'X' }))), /\n/)
})

test.run()
