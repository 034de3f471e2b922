// svcRules' arguments and refusals over a fake session: names, objects and nodes; bad input refused before any
// command runs; a node that refuses or lacks the tools; Services kube-proxy does not proxy.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { svcRules, SvcRulesError } from '../../../src/net/svc/index.ts'
import { KubeError, type Service } from '../../../src/kube/index.ts'
import { fakeSession, labService } from './fake.ts'
import { iptablesMode, NO_TABLE, services, slicesOf } from './svc-rules-kit.ts'

async function rejects(p: Promise<unknown>, check: (e: any) => boolean, what: string): Promise<void> {
  let err: unknown
  try {
    await p
  } catch (e) {
    err = e
  }
  assert.ok(err !== undefined, `${what}: expected an error, got success`)
  assert.ok(check(err), `${what}: ${String(err)}`)
}

test('arguments: a name in the session namespace, a Service object, an explicit node', async () => {
  const { session, calls, nodesAsked } = fakeSession({
    services,
    slices: slicesOf('kubectl-endpointslices.json'),
    answers: iptablesMode(),
    nodes: ['lab-1', 'lab-2'],
  })
  const r = await svcRules(session, 'web', { node: 'lab-2' })
  assert.equal([r.service, r.node, r.status], ['shop/web', 'lab-2', 'ok'])
  const o = await svcRules(session, labService('kube-system/kube-dns'), { node: 'lab-1' })
  assert.equal([o.service, o.status], ['kube-system/kube-dns', 'ok'])
  assert.equal(nodesAsked, ['lab-2', 'lab-1'])
  assert.is(calls.length, 4)
})

test('bad input is refused before any command runs, naming the argument', async () => {
  const { session, calls } = fakeSession({ services, slices: [], answers: iptablesMode(), nodes: ['a', 'b'] })
  const invalid = (re: RegExp) => (e: any) => e instanceof SvcRulesError && e.kind === 'invalid' && re.test(e.message)
  await rejects(
    svcRules(session, ''),
    invalid(/^svc: expected "name", "namespace\/name" or a Service object, received ""/),
    'empty name',
  )
  await rejects(svcRules(session, 'Shop/Web'), invalid(/^svc: .*received "Shop\/Web"/), 'upper case')
  await rejects(svcRules(session, 42 as unknown as string), invalid(/^svc: .*received number/), 'number')
  await rejects(
    svcRules(session, 'shop/web', { nod: 'x' } as never),
    invalid(/^opts: unknown option "nod" \(did you mean node\?\); the options are node$/),
    'unknown option',
  )
  await rejects(
    svcRules(session, 'shop/web', { node: '' }),
    invalid(/^opts\.node: expected a node name, received ""/),
    'empty node',
  )
  await rejects(svcRules(session, 'shop/web', [] as never), invalid(/^opts: expected an object/), 'array opts')
  await rejects(svcRules(undefined as never, 'shop/web'), invalid(/^svcRules: expected a session/), 'no session')
  await rejects(
    svcRules(session, 'shop/web'),
    (e) =>
      e instanceof SvcRulesError &&
      /the cluster has 2 nodes \(a, b\)/.test(e.message) &&
      /\{node: 'NAME'\}/.test(e.hint ?? ''),
    'two nodes, no node given',
  )
  await rejects(
    svcRules(session, 'shop/nope', { node: 'a' }),
    (e) => e instanceof KubeError && e.kind === 'notfound',
    'no such Service',
  )
  assert.equal(calls, [])
})

test('the node refuses: root needed -> unavailable with a sudo hint; no tool at all -> unavailable', async () => {
  const denied = fakeSession({
    services,
    slices: [],
    answers: {
      'iptables-save -c': {
        exitCode: 1,
        stderr:
          'iptables-save v1.8.9 (nf_tables): Could not fetch rule set generation id: Permission denied (you must be root)\n',
      },
      'nft -j list table ip kube-proxy': NO_TABLE,
    },
  })
  await rejects(
    svcRules(denied.session, 'shop/web'),
    (e) =>
      e instanceof SvcRulesError &&
      e.kind === 'unavailable' &&
      /needs root/.test(e.message) &&
      /sudo: true/.test(e.hint ?? ''),
    'permission',
  )
  const none = fakeSession({ services, slices: [], answers: {} })
  await rejects(
    svcRules(none.session, 'shop/web'),
    (e) =>
      e instanceof SvcRulesError &&
      e.kind === 'unavailable' &&
      /`iptables-save -c`: not installed/.test(e.message) &&
      /`nft -j list table ip kube-proxy`: not installed/.test(e.message),
    'nothing installed',
  )
})

test('not proxied: headless and ExternalName Services run nothing on the node', async () => {
  const headless: Service = {
    metadata: { name: 'h', namespace: 'shop' },
    spec: { clusterIP: 'None', ports: [{ port: 80 }] },
  }
  const ext: Service = {
    metadata: { name: 'e', namespace: 'shop' },
    spec: { type: 'ExternalName', externalName: 'example.org' },
  }
  const { session, calls } = fakeSession({ services: [headless, ext], slices: [], answers: iptablesMode() })
  const h = await svcRules(session, 'shop/h')
  assert.equal([h.status, h.mode, h.ports], ['not-proxied', 'unknown', []])
  assert.match(h.verdict, 'headless Service (clusterIP: None)')
  assert.match((await svcRules(session, ext)).verdict, 'ExternalName Service (example.org)')
  assert.equal(calls, [])
})

test.run()
