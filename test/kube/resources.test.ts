// Kind resolution, discovery parsing, name args, selectors, durations, paths.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import {
  BUILTIN_RESOURCES,
  discoverResources,
  findResource,
  parseName,
  parseSince,
  query,
  resourcePath,
  resourcesFromDiscovery,
  resourcesFromList,
  selectorString,
} from '../../src/kube/resources.ts'

test('findResource: plural, singular, short name, Kind, plural.group', () => {
  const k = (s: string) => findResource(s, BUILTIN_RESOURCES)?.resource
  assert.equal(['pods', 'pod', 'po', 'Pod', 'PODS'].map(k), Array(5).fill('pods'))
  assert.equal(['deploy', 'Deployment', 'deployments.apps', 'deployment.apps'].map(k), Array(4).fill('deployments'))
  assert.is(k('svc'), 'services')
  assert.is(k('deployments.batch'), undefined)
  assert.is(k('widgets'), undefined)
})

test('resourcePath: core, grouped, namespaced, cluster-scoped, subresource, escaping', () => {
  const pods = findResource('pods', BUILTIN_RESOURCES)!
  const nodes = findResource('nodes', BUILTIN_RESOURCES)!
  const deploy = findResource('deploy', BUILTIN_RESOURCES)!
  assert.is(resourcePath(pods, 'shop'), '/api/v1/namespaces/shop/pods')
  assert.is(resourcePath(pods, undefined), '/api/v1/pods')
  assert.is(resourcePath(pods, 'shop', 'web', 'log'), '/api/v1/namespaces/shop/pods/web/log')
  assert.is(resourcePath(nodes, 'shop', 'lab-1'), '/api/v1/nodes/lab-1')
  assert.is(resourcePath(deploy, 'shop', 'web'), '/apis/apps/v1/namespaces/shop/deployments/web')
  assert.is(
    resourcePath(
      { group: 'rbac.authorization.k8s.io', version: 'v1', resource: 'clusterroles', namespaced: false },
      undefined,
      'system:coredns',
    ),
    '/apis/rbac.authorization.k8s.io/v1/clusterroles/system%3Acoredns',
  )
})

test('parseName: name, namespace/name, object; bad input named', () => {
  assert.equal(parseName('web'), { name: 'web' })
  assert.equal(parseName('shop/web'), { namespace: 'shop', name: 'web' })
  assert.equal(parseName({ metadata: { name: 'a', namespace: 'b' } }), { name: 'a', namespace: 'b' })
  assert.equal(parseName('system:coredns'), { name: 'system:coredns' })
  assert.throws(() => parseName('a/b/c', 'pod'), /^pod: expected "name" or "namespace\/name", received "a\/b\/c"$/)
  assert.throws(() => parseName(''), /received ""/)
  assert.throws(() => parseName('/x'), /received "\/x"/)
  assert.throws(() => parseName('a b'), /received "a b"/)
  assert.throws(() => parseName(undefined as any, 'svcName'), /^svcName: expected .* received undefined$/)
})

test('selectorString: string, map, LabelSelector; non-string values rejected', () => {
  assert.is(selectorString(undefined), undefined)
  assert.is(selectorString(''), undefined)
  assert.is(selectorString(' app=web '), 'app=web')
  assert.is(selectorString({ app: 'web', 'app.kubernetes.io/name': 'x' }), 'app=web,app.kubernetes.io/name=x')
  assert.is(
    selectorString({
      matchLabels: { a: '1' },
      matchExpressions: [
        { key: 'b', operator: 'In', values: ['x', 'y'] },
        { key: 'c', operator: 'Exists' },
      ],
    }),
    'a=1,b in (x,y),c',
  )
  assert.throws(() => selectorString({ a: 1 } as any), /label "a" must map to a string value, received number/)
  assert.throws(() => selectorString(['a'] as any), /received an array/)
  assert.throws(
    () => selectorString({ matchExpressions: [{ key: 'a', operator: 'Gt' }] }),
    /unknown matchExpressions operator "Gt"/,
  )
})

test('parseSince and query', () => {
  assert.equal(
    ['90s', '5m', '1h', '1h30m', '2m5s', '45', 10, 1.2].map((v) => parseSince(v as any)),
    [90, 300, 3600, 5400, 125, 45, 10, 2],
  )
  for (const bad of ['', '0s', 'soon', -5, 0, NaN])
    assert.throws(() => parseSince(bad as any), /^since: expected seconds/)
  assert.is(query({ a: 'x y', b: undefined, c: false, d: true, e: 0 }), '?a=x+y&d=true&e=0')
  assert.is(query({}), '')
})

test('discovery: aggregated v2 documents, else the legacy walk', async () => {
  const agg = {
    kind: 'APIGroupDiscoveryList',
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
                scope: 'Namespaced',
                responseKind: { kind: 'Widget' },
              },
            ],
          },
          { version: 'v1', resources: [] },
        ],
      },
    ],
  }
  const r = resourcesFromDiscovery(agg)
  assert.equal(r, [
    {
      group: 'example.com',
      version: 'v2',
      resource: 'widgets',
      kind: 'Widget',
      namespaced: true,
      aliases: ['widget', 'wd'],
    },
  ])
  const legacy = resourcesFromList(
    {
      resources: [
        { name: 'pods', kind: 'Pod', namespaced: true, singularName: 'pod', shortNames: ['po'] },
        { name: 'pods/log', kind: 'Pod', namespaced: true },
      ],
    },
    '',
    'v1',
  )
  assert.equal(
    legacy.map((x) => x.resource),
    ['pods'],
  )
  const seen: string[] = []
  const got = await discoverResources(async (p) => {
    seen.push(p)
    if (p === '/api') return { kind: 'APIVersions', versions: ['v1'] }
    if (p === '/apis')
      return {
        kind: 'APIGroupList',
        groups: [
          { name: 'example.com', preferredVersion: { groupVersion: 'example.com/v3' } },
          { name: 'broken', preferredVersion: { groupVersion: 'broken/v1' } },
        ],
      }
    if (p === '/api/v1') return { resources: [{ name: 'pods', kind: 'Pod', namespaced: true }] }
    if (p === '/apis/example.com/v3') return { resources: [{ name: 'gadgets', kind: 'Gadget', namespaced: false }] }
    throw new Error('503')
  })
  assert.equal(
    got.map((x) => `${x.group}/${x.version}/${x.resource}`),
    ['/v1/pods', 'example.com/v3/gadgets'],
  )
  assert.ok(seen.includes('/apis/broken/v1'))
})

test.run()
