// NOT SEEN (src/notseen.ts): which errors mean "could not look", why, and what to grant or configure. The 403 and 401
// answers are the lab API server's own (test/fixtures/lab/refusals.json); the other errors are kinspect's own classes,
// made the way their transports make them.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fs from 'node:fs'
import path from 'node:path'
import { accessOf, couldNotSee, grantText } from '../src/notseen.ts'
import { httpError, networkError, KubeError } from '../src/kube/errors.ts'
import { ExecError } from '../src/exec/types.ts'
import { NetError } from '../src/net/errors.ts'
import { NodePodError } from '../src/exec/nodepod/api.ts'
import { explainRefusal } from '../src/exec/nodepod/diagnose.ts'
import { renderNotSeen } from '../src/render/notseen.ts'

const fixture = JSON.parse(fs.readFileSync(path.join(import.meta.dirname, 'fixtures/lab/refusals.json'), 'utf8')) as {
  refusals: { user: string; method: string; path: string; status: number; body: string }[]
}
const SERVER = 'https://10.99.0.1:6443'
const refused = (p: string) => {
  const r = fixture.refusals.find((x) => x.path === p) ?? fixture.refusals.find((x) => x.path.startsWith(p))
  if (!r) throw new Error(`no captured refusal of ${p}`)
  return httpError(r.status, r.body, { server: SERVER, method: r.method, path: r.path })
}

test("403 from the lab: the permission comes from RBAC's own words, cluster-wide or in a namespace, subresources too", () => {
  const nodes = couldNotSee(refused('/api/v1/nodes'))!
  assert.is(nodes.kind, 'forbidden')
  assert.is(
    nodes.reason,
    '403 Forbidden: nodes is forbidden: User "kinspect-view" cannot list resource "nodes" in API group "" at the cluster scope',
  )
  assert.is(nodes.grant, 'list nodes (cluster-wide) (check: kubectl auth can-i list nodes)')
  assert.is(
    couldNotSee(refused('/apis/coordination.k8s.io'))!.grant,
    'get leases in namespace kube-node-lease (check: kubectl auth can-i get leases -n kube-node-lease)',
  )
  assert.is(
    couldNotSee(refused('/api/v1/namespaces/shop/secrets'))!.grant,
    'list secrets in namespace shop (check: kubectl auth can-i list secrets -n shop)',
  )
  assert.is(
    couldNotSee(refused('/api/v1/namespaces/shop/pods/client/exec'))!.grant,
    'create pods/exec in namespace shop (check: kubectl auth can-i create pods/exec -n shop)',
  )
  // What the caller knows wins (triage names each check's list); "in all namespaces" takes -A.
  assert.is(
    couldNotSee(refused('/api/v1/nodes'), { verb: 'list', resource: 'pods', all: true })!.grant,
    'list pods in all namespaces (check: kubectl auth can-i list pods -A)',
  )
})

test('without RBAC words the permission is read from the request: method, path, namespace, subresource', () => {
  const at = (method: string, p: string) =>
    accessOf(new KubeError('forbidden', '403 Forbidden', undefined, undefined, { method, path: p }))
  assert.equal(at('GET', '/api/v1/namespaces/shop/pods'), { verb: 'list', resource: 'pods', namespace: 'shop' })
  assert.equal(at('GET', '/api/v1/namespaces/shop/pods/web-1/log?tailLines=5'), {
    verb: 'get',
    resource: 'pods/log',
    namespace: 'shop',
  })
  assert.equal(at('DELETE', '/api/v1/namespaces/kube-system/pods/x'), {
    verb: 'delete',
    resource: 'pods',
    namespace: 'kube-system',
  })
  assert.equal(at('GET', '/apis/apps/v1/deployments'), { verb: 'list', resource: 'deployments', all: true })
  assert.equal(at('GET', '/api/v1/nodes/lab-1'), { verb: 'get', resource: 'nodes' })
  assert.is(at('GET', '/version'), undefined)
  assert.is(
    grantText([
      { verb: 'create', resource: 'pods', namespace: 'kube-system' },
      { verb: 'create', resource: 'pods/exec', namespace: 'kube-system' },
    ]),
    'create pods, create pods/exec in namespace kube-system (check: kubectl auth can-i create pods -n kube-system)',
  )
})

test('401 from the lab (an expired client certificate): unauthorized, with what to check in the kubeconfig', () => {
  const n = couldNotSee(refused('/api/v1/namespaces/shop/pods'))!
  assert.equal([n.kind, n.reason], ['unauthorized', `401 Unauthorized from ${SERVER}: the credentials were rejected`])
  assert.match(n.configure!, 'check the user of the context')
  assert.is(n.grant, undefined)
})

test('the API timing out says what timed out and the deadline; refused, unresolvable or TLS say what to configure', () => {
  const timedOut = networkError(Object.assign(new Error('no answer within 5000 ms'), { code: 'ETIMEDOUT' }), {
    server: SERVER,
    method: 'GET',
    path: '/api/v1/pods',
    durationMs: 5004,
  })
  assert.equal(couldNotSee(timedOut), {
    kind: 'timeout',
    reason: `GET /api/v1/pods got no answer within 5 s (${SERVER})`,
    configure: 'the server is unreachable or overloaded; check the network path to it',
  })
  const refusedConn = couldNotSee(
    networkError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), { server: SERVER }),
  )!
  assert.equal([refusedConn.kind, refusedConn.reason], ['unreachable', `connection refused by ${SERVER}`])
  assert.match(refusedConn.configure!, 'the API server is not running')
  assert.is(
    couldNotSee(networkError(Object.assign(new Error('x'), { code: 'ENOTFOUND' }), { server: SERVER }))!.kind,
    'unreachable',
  )
  assert.is(
    couldNotSee(
      networkError(Object.assign(new Error('certificate has expired'), { code: 'CERT_HAS_EXPIRED' }), {
        server: SERVER,
      }),
    )!.kind,
    'config',
  )
})

test('what was seen is not NOT SEEN: not found, a bad argument, a server error, a command that ran and failed, a bug', () => {
  assert.is(
    couldNotSee(
      httpError(404, '{"kind":"Status","message":"pods \\"x\\" not found","details":{"name":"x","kind":"pods"}}', {
        object: { kind: 'Pod', name: 'x', namespace: 'shop' },
      }),
    ),
    undefined,
  )
  assert.is(couldNotSee(new KubeError('invalid', 'bad name')), undefined)
  assert.is(couldNotSee(httpError(500, 'boom', { path: '/x' })), undefined)
  assert.is(
    couldNotSee(
      new ExecError('exit', { target: 'ssh:lab-1', argv: ['false'], exitCode: 1 }, '`false` on ssh:lab-1 exited 1'),
    ),
    undefined,
  )
  assert.is(couldNotSee(new NetError('notfound', 'pod shop/x does not exist')), undefined)
  assert.is(couldNotSee(new TypeError("Cannot read properties of undefined (reading 'map')")), undefined)
  assert.is(couldNotSee('a string'), undefined)
  assert.is(couldNotSee(undefined), undefined)
})

test("a node that cannot be reached: SSH connect/auth/host key and deadlines, a net helper's unreachable, the transports tried", () => {
  const connect = new ExecError(
    'connect',
    { target: 'ssh:lab-2' },
    'timed out after 10000 ms connecting to lab-2 (10.99.0.2:2222)',
    'is the node up and sshd listening on 10.99.0.2:2222? (ConnectTimeout in the ssh config raises the limit)',
  )
  assert.equal(couldNotSee(connect), { kind: 'unreachable', reason: connect.message, configure: connect.hint })
  const auth = new ExecError(
    'auth',
    { target: 'ssh:lab-1' },
    'authentication as root to lab-1 (lab-1:22) failed; no key',
    'add IdentityFile for lab-1',
  )
  assert.is(couldNotSee(auth)!.kind, 'unreachable')
  assert.is(couldNotSee(new ExecError('hostkey', { target: 'ssh:lab-1' }, 'host key mismatch'))!.kind, 'unreachable')
  const slow = new ExecError(
    'timeout',
    { target: 'ssh:lab-1', argv: ['conntrack', '-L'], exitCode: 124, durationMs: 30_002 },
    '`conntrack -L` on ssh:lab-1 timed out after 30002 ms and was killed',
    'raise timeoutMs or check why the command hangs',
  )
  assert.equal([couldNotSee(slow)!.kind, couldNotSee(slow)!.reason], ['timeout', slow.message])
  const net = new NetError(
    'unreachable',
    `node lab-2 (the pod's node) is unreachable over SSH: ${connect.message}`,
    connect.hint,
    connect,
  )
  assert.equal(couldNotSee(net), { kind: 'unreachable', reason: net.message, configure: connect.hint })
  // The session's error when no transport works (one line per transport), recognised by what it says of itself.
  const none = Object.assign(
    new Error(
      'no transport reaches node lab-3 (tried ssh, pod):\nssh: no ssh config entry, key or agent applies to lab-3\npod: not allowed: nodeAccess pods: never',
    ),
    {
      name: 'NodeAccessError',
      kind: 'unreachable',
      hint: 'ssh: add a Host entry; pod: set nodeAccess pods: ask',
      notSeen: true,
    },
  )
  assert.equal(couldNotSee(none), { kind: 'unreachable', reason: none.message, configure: none.hint })
})

test("the node pod transport's refusals: RBAC names what to grant; PodSecurity and the rest say what to configure", () => {
  const refusals = JSON.parse(
    fs.readFileSync(path.join(import.meta.dirname, 'fixtures/handwritten/nodepod-refusals.json'), 'utf8'),
  ) as Record<string, string>
  const rbac = explainRefusal({ status: 403, message: refusals.rbacCreate }, { namespace: 'kube-system' })
  const viaExec = new ExecError(
    'auth',
    { target: 'pod:lab-1' },
    `no node pod on lab-1: ${rbac.message}`,
    rbac.hint,
    rbac,
  )
  const n = couldNotSee(viaExec)!
  assert.is(n.kind, 'forbidden')
  assert.is(n.grant, 'create pods in namespace kube-system (check: kubectl auth can-i create pods -n kube-system)')
  const preflight = new NodePodError(
    'rbac',
    'user "viewer" may not create pods, delete pods, create pods/exec in namespace "kube-system"',
    'node pods need …',
  )
  assert.is(
    couldNotSee(preflight)!.grant,
    'create pods, delete pods, create pods/exec in namespace kube-system (check: kubectl auth can-i create pods -n kube-system)',
  )
  const psa = explainRefusal({ status: 403, message: refusals.podSecurityBaseline }, { namespace: 'baseline' })
  const p = couldNotSee(
    new ExecError('auth', { target: 'pod:lab-1' }, `no node pod on lab-1: ${psa.message}`, psa.hint, psa),
  )!
  assert.equal([p.kind, p.grant], ['unreachable', undefined])
  assert.match(p.configure!, 'pod-security.kubernetes.io/enforce=privileged')
  assert.is(couldNotSee(new NodePodError('invalid', 'nodePod.image: expected …')), undefined)
})

test("a fleet's failed node or error group: unreachable, auth, host key, forbidden and timeout are NOT SEEN; exit and error are not", () => {
  const node = {
    node: 'lab-2',
    ok: false,
    error: 'unreachable',
    message: 'no transport reaches node lab-2',
    hint: 'add a Host entry',
    transport: '',
    exitCode: null,
    stdout: '',
    stderr: '',
  }
  assert.equal(couldNotSee(node), {
    kind: 'unreachable',
    reason: 'unreachable: no transport reaches node lab-2',
    configure: 'add a Host entry',
  })
  const group = {
    class: 'timeout',
    nodeset: 'lab-ssh-[81-100]',
    nodes: [],
    messages: [{ message: 'no answer within 5 s', nodeset: 'lab-ssh-[81-100]', count: 20 }],
  }
  assert.equal(couldNotSee(group), { kind: 'timeout', reason: 'timeout: no answer within 5 s' })
  assert.is(couldNotSee({ ...group, class: 'forbidden' })?.kind, 'forbidden')
  assert.is(couldNotSee({ ...node, error: 'exit', message: 'exited 1' }), undefined)
  assert.is(couldNotSee({ ...group, class: 'error' }), undefined)
  // a node that succeeded is not a failure at all
  assert.is(couldNotSee({ ...node, ok: true }), undefined)
})

test('NOT SEEN prints the same in triage and in a recipe report: the reason, then grant and configure under it', () => {
  const n = couldNotSee(refused('/api/v1/nodes'))!
  assert.is(
    renderNotSeen('nodes', n),
    `NOT SEEN nodes: ${n.reason}\n         grant: list nodes (cluster-wide) (check: kubectl auth can-i list nodes)`,
  )
  assert.is(
    renderNotSeen(
      'lab-3',
      { reason: 'no transport reaches node lab-3 (tried ssh):\nssh: refused', configure: 'add a Host entry' },
      { indent: '  ' },
    ),
    '  NOT SEEN lab-3: no transport reaches node lab-3 (tried ssh):\n           ssh: refused\n           configure: add a Host entry',
  )
})

test.run()
