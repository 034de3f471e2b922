// The collector and triage() on a fake client serving the objects captured from the lab: one list call per kind per
// namespace (one per kind with -A), the cluster DNS read when kube-system is out of scope, and a call that is
// forbidden or times out reported NOT SEEN (with what to grant) while the others still count.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { KubeError, httpError, networkError } from '../../src/kube/errors.ts'
import type { KubeObject } from '../../src/kube/types.ts'
import { collect, NAMESPACED_KINDS } from '../../src/triage/collect.ts'
import { triage, TriageError } from '../../src/triage/index.ts'
import { capture } from './lab-snapshot.ts'
import { drive, fakeSession } from '../repl/fake.ts'

type Call = { kind: string; name?: string; namespace?: string; all?: boolean; selector?: unknown }

/** A client whose get() answers from a lab capture, as the API would (namespace, label selector, one object). */
function fakeKube(name: string, fail: (c: Call) => Error | undefined = () => undefined, drop: string[] = []) {
  const l = capture(name).lists as Record<string, KubeObject[]>
  const calls: Call[] = []
  const kube = {
    get: async (
      kind: string,
      objName?: unknown,
      opts: { namespace?: string; allNamespaces?: boolean; selector?: Record<string, string> } = {},
    ) => {
      const c: Call = {
        kind,
        ...(objName !== undefined ? { name: String(objName) } : {}),
        ...(opts.namespace ? { namespace: opts.namespace } : {}),
        ...(opts.allNamespaces ? { all: true } : {}),
        ...(opts.selector ? { selector: opts.selector } : {}),
      }
      calls.push(c)
      const err = fail(c)
      if (err) throw err
      let items = drop.includes(kind) ? [] : (l[kind] ?? [])
      if (opts.namespace && !opts.allNamespaces) items = items.filter((o) => o.metadata.namespace === opts.namespace)
      if (opts.selector)
        items = items.filter((o) => Object.entries(opts.selector!).every(([k, v]) => o.metadata.labels?.[k] === v))
      if (objName !== undefined) {
        const o = items.find((x) => x.metadata.name === objName)
        if (!o) throw new KubeError('notfound', `${kind} "${String(objName)}" not found`)
        return o
      }
      return items
    },
  }
  return { kube, calls }
}

const session = (kube: ReturnType<typeof fakeKube>['kube']) => ({
  kube: kube as never,
  namespace: 'shop',
  context: 'lab',
})
/** The clock of a capture: a second after it was taken. */
const at = (name: string) => () => Date.parse(capture(name).capturedAt) + 1000

test('namespaces: one list call per kind per namespace, plus nodes, leases, the metrics APIService and the cluster DNS', async () => {
  const { kube, calls } = fakeKube('three-faults')
  const { snapshot, checks } = await collect(kube, { namespaces: ['shop', 'default'] })
  for (const kind of NAMESPACED_KINDS)
    for (const ns of ['shop', 'default'])
      assert.is(
        calls.filter((c) => c.kind === kind && c.namespace === ns && !c.selector && !c.name).length,
        1,
        `${kind} in ${ns}`,
      )
  assert.equal(
    calls
      .filter((c) => c.namespace === 'kube-system')
      .map((c) => c.kind)
      .sort(),
    ['deployments', 'endpointslices', 'pods', 'services'],
  )
  assert.is(calls.length, NAMESPACED_KINDS.length * 2 + 3 + 4)
  assert.ok(snapshot.pods.every((p) => ['shop', 'default'].includes(p.metadata.namespace!)))
  assert.is(snapshot.dns?.service?.metadata.name, 'kube-dns')
  assert.is(snapshot.metricsAPI?.metadata.name, 'v1beta1.metrics.k8s.io')
  assert.ok(
    checks.every((c) => c.status === 'seen'),
    JSON.stringify(checks),
  )
  assert.ok(checks.some((c) => c.check === 'pods in shop' && (c.count ?? 0) >= 5))
})

test('-A: one call per kind for every namespace; the cluster DNS comes from those lists (no extra call)', async () => {
  const { kube, calls } = fakeKube('three-faults')
  const { snapshot } = await collect(kube, { allNamespaces: true })
  for (const kind of NAMESPACED_KINDS)
    assert.equal(
      calls.filter((c) => c.kind === kind).map((c) => c.all),
      [true],
      kind,
    )
  assert.is(calls.length, NAMESPACED_KINDS.length + 3)
  assert.equal(
    snapshot.dns?.deployments.map((d) => [d.metadata.name, d.spec?.replicas]),
    [['coredns', 0]],
  )
})

test('a forbidden call is NOT SEEN with what to grant, a timed-out one with its reason; triage still ranks what it saw', async () => {
  const { kube } = fakeKube('three-faults', (c) =>
    c.kind === 'events'
      ? httpError(
          403,
          JSON.stringify({
            kind: 'Status',
            message:
              'events is forbidden: User "viewer" cannot list resource "events" in API group "" in the namespace "shop"',
          }),
          { method: 'GET', object: { kind: 'Event', namespace: 'shop' } },
        )
      : c.kind === 'nodes'
        ? networkError(Object.assign(new Error('no answer within 10000 ms'), { code: 'ETIMEDOUT' }), {
            server: 'https://10.99.0.1:6443',
            method: 'GET',
            path: '/api/v1/nodes',
            durationMs: 10000,
          })
        : undefined,
  )
  const report = await triage(session(kube), { scope: { namespaces: ['shop'] }, now: at('three-faults') })
  const events = report.checks.find((c) => c.check === 'events in shop')!
  assert.is(events.status, 'not-seen')
  assert.match(events.reason!, /^403 Forbidden: events is forbidden: User "viewer" cannot list resource "events"/)
  assert.is(events.grant, 'list events in namespace shop (check: kubectl auth can-i list events -n shop)')
  const nodes = report.checks.find((c) => c.check === 'nodes')!
  // What timed out and the deadline, as a recipe's NOT SEEN says it (src/notseen.ts).
  assert.equal(
    [nodes.status, nodes.reason, nodes.grant],
    ['not-seen', 'GET /api/v1/nodes got no answer within 10 s (https://10.99.0.1:6443)', undefined],
  )
  assert.equal(
    report.rows.map((r) => r.object.replace(/crasher-\S+/, 'crasher-…')),
    ['Service kube-system/kube-dns', 'Service shop/web-badport', 'Pod shop/crasher-…'],
  )
  assert.is(report.exitCode, 1)
  assert.is(report.status, 'problems')
})

test('the API unreachable: every check NOT SEEN with the reason, no row, exit 2 (it could not look)', async () => {
  const { kube } = fakeKube('healthy', () =>
    networkError(Object.assign(new Error('connect ECONNREFUSED 10.99.0.1:6443'), { code: 'ECONNREFUSED' }), {
      server: 'https://10.99.0.1:6443',
    }),
  )
  const report = await triage(session(kube))
  assert.equal(report.rows, [])
  assert.ok(report.checks.length >= 10)
  assert.ok(
    report.checks.every((c) => c.status === 'not-seen' && c.reason === 'connection refused by https://10.99.0.1:6443'),
    JSON.stringify(report.checks),
  )
  assert.equal([report.exitCode, report.status], [2, 'incomplete'])
})

test('a namespace that does not exist is an error naming it and the namespaces there are, not "nothing wrong"', async () => {
  const { kube, calls } = fakeKube('healthy')
  const namespaces = ['default', 'kube-system', 'shop', 'empty'].map((name) => ({ metadata: { name } }))
  // The API answers a namespace lookup (one object, or the list) like any other; "empty" exists and holds nothing.
  const withNamespaces = {
    get: async (kind: string, name?: unknown, opts: Parameters<typeof kube.get>[2] = {}) => {
      if (kind !== 'namespaces') return kube.get(kind, name, opts)
      calls.push({ kind, ...(name !== undefined ? { name: String(name) } : {}) })
      if (name === undefined) return namespaces
      const found = namespaces.find((n) => n.metadata.name === name)
      if (!found) throw new KubeError('notfound', `namespaces "${String(name)}" not found`)
      return found
    },
  }
  const err = await triage(session(withNamespaces as never), { scope: { namespaces: ['shop', 'shpo'] } }).then(
    () => undefined,
    (e: unknown) => e as TriageError,
  )
  assert.instance(err, TriageError)
  assert.is(err!.kind, 'notfound')
  assert.is(err!.message, 'namespace "shpo" does not exist in context lab')
  assert.is(err!.hint, 'namespaces: default, kube-system, shop, empty (or -A for all of them)')
  // Only a namespace with nothing in any list is looked up: shop held objects.
  assert.equal(
    calls.filter((c) => c.kind === 'namespaces').map((c) => c.name ?? '(list)'),
    ['shpo', '(list)'],
  )
  // An empty namespace that exists: looked at, nothing wrong.
  const empty = await triage(session(withNamespaces as never), { scope: { namespaces: ['empty'] }, now: at('healthy') })
  assert.equal([empty.exitCode, empty.rows.length], [0, 0])
  // A lookup that is forbidden proves nothing: the triage runs, as before.
  const forbidden = {
    get: async (kind: string, name?: unknown, opts: Parameters<typeof kube.get>[2] = {}) =>
      kind === 'namespaces'
        ? Promise.reject(new KubeError('forbidden', 'namespaces "shpo" is forbidden'))
        : kube.get(kind, name, opts),
  }
  const report = await triage(session(forbidden as never), { scope: { namespaces: ['shpo'] }, now: at('healthy') })
  assert.is(report.exitCode, 0)
})

test('no metrics APIService registered: nothing to judge, not a failure; node checks off say how to turn them on', async () => {
  const { kube } = fakeKube('healthy', (c) =>
    c.kind === 'apiservices' ? new KubeError('notfound', 'apiservice "v1beta1.metrics.k8s.io" not found') : undefined,
  )
  const report = await triage(session(kube), { now: at('healthy') })
  assert.equal(
    report.checks.find((c) => c.check === 'metrics APIService'),
    { check: 'metrics APIService', status: 'seen', count: 0 },
  )
  assert.equal([report.exitCode, report.rows.length], [0, 0])
  assert.equal(report.nodeChecks, {
    ran: false,
    reason: 'off: --nodes reads conntrack and kube-proxy rules on the nodes over SSH or a node pod',
    nodes: [],
  })
  assert.equal(report.scope, { namespaces: ['shop'] })
})

test('.triage in the shell: the table for the session namespace, -n and -A, -o json; bad arguments are usage errors', async () => {
  // The shell's clock is now, long after the capture: without leases no node looks stale.
  const { kube } = fakeKube('three-faults', undefined, ['leases'])
  const session = Object.assign(fakeSession(), { kube: kube as never })
  const { out } = await drive(['.triage', '.triage -n kube-system -o json', '.triage -n Bad', '.triage -A -n shop'], {
    session,
  })
  assert.match(out, /\n1 +FAIL +Service kube-system\/kube-dns +cluster DNS down/)
  assert.match(out, /\n3 +FAIL +Pod shop\/crasher-\S+ +CrashLoopBackOff .* kinspect run crashloop --pod shop\/crasher-/)
  const json = JSON.parse(out.slice(out.indexOf('{\n'), out.indexOf('\n}\n') + 2))
  assert.equal(json.scope, { namespaces: ['kube-system'] })
  assert.equal(
    json.rows.map((r: { object: string }) => r.object),
    ['Service kube-system/kube-dns'],
  )
  assert.match(
    out,
    '-n: expected namespace names separated by commas (lowercase letters, digits and -), received "Bad"',
  )
  assert.match(out, 'triage: -A and -n shop cannot be combined')
  assert.match(out, '.triage [-n NS[,NS...] | -A] [--nodes] [-o json]')
})

test.run()
