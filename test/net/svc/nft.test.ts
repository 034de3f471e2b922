// nftables mode: `nft -j list table ip kube-proxy` parsing and extraction, on the lab capture (kube-proxy v1.33),
// and the fuzz regressions.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { hasNftProxyRules, nftChainName, nftSvcRules, parseNftJson } from '../../../src/net/svc/nft.ts'
import { SvcRulesError } from '../../../src/net/svc/errors.ts'
import { normProtocol, svcSpec } from '../../../src/net/svc/spec.ts'
import { fx, labService } from './fake.ts'
import { clusterIP, LAB_SERVICES, nftChain, sliceEndpointsOf, staleRulesChange } from './lab.ts'

const table = parseNftJson(fx('nft-kube-proxy.json'))
const rules = (key: string, t = table) => nftSvcRules(t, svcSpec(labService(key), 4))
const eps = (p: { endpoints: { ip: string; port: number; probability?: number }[] }) =>
  p.endpoints.map((e) => [`${e.ip}:${e.port}`, e.probability])
/** `nft list ruleset` of the same moment as the JSON: the kube-proxy table's text. */
const TEXT = fx('nft-ruleset.txt').split('table ip kube-proxy {')[1].split('\n}')[0]
/** The "ip:port" endpoints a service chain's numgen vmap picks from, in vmap order, read from the text listing. */
const textEndpoints = (chain: string) => {
  const body = TEXT.split(`chain ${chain} {`)[1].split('}\n')[0]
  return [...body.matchAll(/goto endpoint-\S+__([\d.]+)\/(\d+)/g)].map((m) => `${m[1]}:${m[2]}`)
}
/** The web endpoints of the nft capture: it was taken after the stale-rules fault replaced a web pod, as the stale slices were. */
const WEB_AFTER = (key: string) => sliceEndpointsOf('kubectl-endpointslices-stale.json', key)

test('parse: table, sets, verdict maps and chains of the capture', () => {
  assert.equal([table.family, table.name], ['ip', 'kube-proxy'])
  const services = LAB_SERVICES.map(labService)
  assert.equal([...table.sets.get('cluster-ips')!.elements].sort(), services.map((s) => s.spec!.clusterIP!).sort())
  assert.equal(table.sets.get('nodeport-ips')!.elements, ['10.99.0.1'])
  assert.is(
    table.maps.get('service-ips')!.length,
    services.reduce((n, s) => n + s.spec!.ports!.length, 0),
    'one element per ClusterIP port',
  )
  const nodePorts = services
    .filter((s) => s.spec!.type === 'NodePort')
    .map((s) => ({
      key: ['tcp', s.spec!.ports![0].nodePort],
      comment: undefined,
      verdict: 'goto',
      target: nftChain('external', `${s.metadata.namespace}/${s.metadata.name}`, 'TCP', 'http'),
    }))
  assert.is(nodePorts.length, 2)
  assert.equal(
    table.maps.get('service-nodeports'),
    nodePorts.sort((a, b) => Number(a.key[1]) - Number(b.key[1])),
  )
  assert.equal(table.maps.get('no-endpoint-services'), [])
  // web-local (externalTrafficPolicy Local) has no endpoint on this node: its NodePort drops external traffic
  assert.equal(table.maps.get('no-endpoint-nodeports'), [
    {
      key: ['tcp', labService('shop/web-local').spec!.ports![0].nodePort],
      comment: 'shop/web-local:http',
      verdict: 'drop',
      target: undefined,
    },
  ])
  assert.ok(hasNftProxyRules(table))
  assert.equal(nftChainName('endpoint-GKWR3ATX-shop/web/tcp/http__10.244.0.133/8080'), {
    prefix: 'endpoint',
    base: 'shop/web/tcp/http',
    endpoint: '10.244.0.133/8080',
  })
  assert.equal(nftChainName('service-NWBZK7IH-kube-system/kube-dns/tcp/dns-tcp'), {
    prefix: 'service',
    base: 'kube-system/kube-dns/tcp/dns-tcp',
  })
  assert.is(nftChainName('mark-for-masquerade'), undefined)
})

test('rule text: every service/external/endpoint rule renders exactly as `nft list` printed it (nft-ruleset.txt)', () => {
  const lines = new Set(TEXT.split('\n').map((l) => l.trim()))
  let n = 0
  for (const [name, rs] of table.chains) {
    if (!nftChainName(name)) continue // the per-Service chains: service-, external-, endpoint-
    for (const r of rs) {
      assert.ok(lines.has(r.text), `${name}: ${r.text}`)
      n++
    }
  }
  // as many as the text listing has rule lines in those chains (HASH-ns/name/…; not kube-proxy's service-endpoints-check)
  const inText = [
    ...TEXT.matchAll(/\n\tchain ((?:service|external|endpoint)-[A-Z2-7]{8}-\S+) \{\n([\s\S]*?)\n\t\}/g),
  ].reduce((k, m) => k + m[2].split('\n').filter((l) => l.trim()).length, 0)
  assert.ok(inText > 0)
  assert.is(n, inText)
})

test('shop/web: ClusterIP:80 -> service-KHN6ECMT… numgen mod 2 -> both web pods at 50%', () => {
  const [p] = rules('shop/web')
  assert.is(nftChain('service', 'shop/web', 'TCP', 'http'), 'service-KHN6ECMT-shop/web/tcp/http') // kube-proxy's hash, reproduced
  assert.equal(
    p.frontends.map((f) => [f.kind, f.ip, f.port, f.protocol, f.action, f.path, f.masquerade]),
    [
      [
        'ClusterIP',
        clusterIP('shop/web'),
        80,
        'TCP',
        'forward',
        ['@service-ips', 'service-KHN6ECMT-shop/web/tcp/http'],
        'if src not in 10.244.0.0/16',
      ],
    ],
  )
  const web = WEB_AFTER('shop/web')
  assert.is(web.length, 2)
  assert.ok(
    web.some((e) => e.at === staleRulesChange().added.at),
    'the replacement pod',
  )
  assert.equal(
    eps(p),
    web.map((e) => [e.at, 0.5]),
  )
  assert.equal(
    p.endpoints.map((e) => e.chain),
    web.map((e) => nftChain('endpoint', 'shop/web', 'TCP', 'http', { ip: e.ip, port: 8080 })),
  )
  assert.ok(p.endpoints.every((e) => e.hairpinMasquerade))
  assert.is(p.endpoints[0].rule, `meta l4proto tcp dnat to ${web[0].at}`)
  assert.is(p.endpoints[0].counters, undefined, 'kube-proxy adds no counter statements')
})

test('shop/web-nodeport: NodePort 10.99.0.1:30080 via @service-nodeports > external-… > service-…, always masqueraded', () => {
  const [p] = rules('shop/web-nodeport')
  assert.equal(
    p.frontends.map((f) => [f.kind, f.ip, f.port]),
    [
      ['ClusterIP', clusterIP('shop/web-nodeport'), 80],
      ['NodePort', '10.99.0.1', 30080],
    ],
  )
  assert.equal(p.frontends[1].path, [
    '@service-nodeports',
    'external-KWRUM5OO-shop/web-nodeport/tcp/http',
    'service-KWRUM5OO-shop/web-nodeport/tcp/http',
  ])
  assert.equal(
    p.frontends.map((f) => f.masquerade),
    ['if src not in 10.244.0.0/16', 'always'],
  )
  assert.equal(
    eps(p),
    WEB_AFTER('shop/web-nodeport').map((e) => [e.at, 0.5]),
  )
})

test('shop/web-local (externalTrafficPolicy Local, no endpoint on this node): NodePort forwards pod/local traffic, drops the rest', () => {
  const [p] = rules('shop/web-local')
  const [svc, ext] = [
    nftChain('service', 'shop/web-local', 'TCP', 'http'),
    nftChain('external', 'shop/web-local', 'TCP', 'http'),
  ]
  assert.equal(
    p.frontends.map((f) => [f.kind, f.ip, f.port, f.action, f.path, f.masquerade ?? '-', f.notes]),
    [
      [
        'ClusterIP',
        clusterIP('shop/web-local'),
        80,
        'forward',
        ['@service-ips', svc],
        'if src not in 10.244.0.0/16',
        [],
      ],
      ['NodePort', '10.99.0.1', 30081, 'forward', ['@service-nodeports', ext, svc], 'if src is local', []],
      ['NodePort', '10.99.0.1', 30081, 'drop', ['@no-endpoint-nodeports'], '-', ['has no local endpoints']],
    ],
  )
  assert.equal(
    p.chains.map((c) => [c.name, c.kind]),
    [[svc, 'cluster']],
  )
  assert.equal(
    eps(p),
    WEB_AFTER('shop/web-local').map((e) => [e.at, 0.5]),
  )
})

test('kube-system/kube-dns: udp dns, tcp dns-tcp and tcp metrics, each to both CoreDNS pods', () => {
  const ports = rules('kube-system/kube-dns')
  assert.equal(
    ports.map((p) => [
      p.name,
      p.protocol,
      p.frontends.map((f) => `${f.ip}:${f.port}/${f.protocol}`),
      p.chains.map((c) => c.name),
    ]),
    [
      ['dns', 'UDP', ['10.96.0.10:53/UDP'], ['service-FY5PMXPG-kube-system/kube-dns/udp/dns']],
      ['dns-tcp', 'TCP', ['10.96.0.10:53/TCP'], ['service-NWBZK7IH-kube-system/kube-dns/tcp/dns-tcp']],
      ['metrics', 'TCP', ['10.96.0.10:9153/TCP'], ['service-AS2KJYAD-kube-system/kube-dns/tcp/metrics']],
    ],
  )
  // no slices were captured with this listing (CoreDNS was restarted by dns-down before it): the text listing says
  assert.equal(
    ports.map((p) => p.endpoints.map((e) => `${e.ip}:${e.port}/${e.protocol}`)),
    ports.map((p) => textEndpoints(p.chains[0].name).map((a) => `${a}/${p.protocol}`)),
  )
  assert.ok(
    ports.every((p) => p.endpoints.length === 2),
    'two CoreDNS replicas',
  )
})

test('default/kubernetes: numgen mod 1 -> 10.99.0.1:6443 with probability 1', () => {
  const [p] = rules('default/kubernetes')
  assert.equal(eps(p), [['10.99.0.1:6443', 1]])
})

test('bad input: not JSON, JSON without "nftables"', () => {
  assert.throws(
    () => parseNftJson('Error: No such file or directory'),
    (e: unknown) => e instanceof SvcRulesError && e.kind === 'parse' && /not JSON/.test(e.message),
  )
  assert.throws(
    () => parseNftJson({ tables: [] }),
    (e: unknown) => e instanceof SvcRulesError && /"nftables" array/.test(e.message),
  )
})

// Regression cases found by test/fuzz/svc.test.ts (fast-check counterexamples, shrunk).
test('fuzz regressions: items and expressions of an unexpected shape are skipped, never a TypeError', () => {
  assert.is(parseNftJson('{"nftables":[null]}').chains.size, 0)
  const t = parseNftJson(
    '{"nftables":[{"rule":{"family":"ip","table":"kube-proxy","chain":"service-KHN6ECMT-shop/web/tcp/http","handle":110,"expr":false}}]}',
  )
  assert.equal(
    t.chains.get('service-KHN6ECMT-shop/web/tcp/http')!.map((r) => [r.expr, r.text]),
    [[[], '']],
  )
  const odd = parseNftJson({
    nftables: [
      { rule: { chain: 'c', expr: [{ match: null }, { jump: null }, { counter: { packets: -1 } }, { dnat: 7 }] } },
      { set: { name: 's', elem: 'x' } },
      { map: { name: 'm', elem: [[{ elem: null }, null]] } },
    ],
  })
  assert.is(odd.chains.get('c')![0].text, '{"match":null} {"jump":null} counter packets -1 bytes 0 {"dnat":7}')
  assert.is(odd.chains.get('c')![0].counters, undefined)
  assert.equal(odd.sets.get('s')!.elements, [])
  assert.equal(odd.maps.get('m'), [{ key: [''], comment: undefined, verdict: 'null', target: undefined }])
})

test('fuzz regressions: a numgen map with overlapping or out-of-range keys never gives probabilities above 1', () => {
  const doc = JSON.parse(fx('nft-kube-proxy.json'))
  const vm = doc.nftables.find(
    (i: any) => i.rule?.chain === 'service-KHN6ECMT-shop/web/tcp/http' && i.rule.expr[0].vmap,
  ).rule.expr[0].vmap
  vm.data.set.push(structuredClone(vm.data.set[0]), [{ range: [1, 7] }, vm.data.set[0][1]]) // key 0 twice, 1-7 overlaps key 1 and mostly lies beyond mod 2
  const [p] = nftSvcRules(parseNftJson(doc), svcSpec(labService('shop/web'), 4))
  assert.equal(
    p.chains[0].endpoints.map((e) => e.probability),
    [0.5, 0.5],
  )
  vm.data.set = { not: 'a list' }
  assert.equal(nftSvcRules(parseNftJson(doc), svcSpec(labService('shop/web'), 4))[0].chains[0].endpoints, [])
})

test('fuzz regressions: a map element without a port number is a parse error naming the map', () => {
  const doc = JSON.parse(fx('nft-kube-proxy.json'))
  const sm = doc.nftables.find((i: any) => i.map?.name === 'service-ips').map
  const ip = labService('shop/web').spec!.clusterIP! // the capture's web ClusterIP
  sm.elem.find((e: any) => e[0].concat[0] === ip)[0].concat[2] = 'http'
  assert.throws(
    () => nftSvcRules(parseNftJson(doc), svcSpec(labService('shop/web'), 4)),
    (e: unknown) =>
      e instanceof SvcRulesError &&
      e.kind === 'parse' &&
      new RegExp(`map service-ips .*${ip.replace(/\./g, '\\.')} \\. tcp \\. http`).test(e.message),
  )
})

test('fuzz regressions: a JSON object with a "toString" key where a string belongs is written as JSON, not a TypeError', () => {
  const t = parseNftJson(
    '{"nftables":[{"rule":{"chain":"c","expr":[{"payload":{"protocol":{"toString":1},"field":"daddr"}},{"match":{"op":"==","left":{"meta":{"key":"l4proto"}},"right":{"toString":1}}}]}},{"map":{"name":"m","elem":[[1,{"toString":1}]]}}]}',
  )
  assert.is(t.chains.get('c')![0].text, '{"toString":1} daddr meta l4proto {"toString":1}')
  assert.equal(t.maps.get('m')![0].verdict, 'toString')
  assert.is(normProtocol({ toString: 1 }), 'TCP')
})

test('fuzz regressions: a "toString" object as a match\'s payload field, protocol or meta key does not stop the client classes', () => {
  const doc = JSON.parse(fx('nft-kube-proxy.json'))
  const rule = doc.nftables.find(
    (i: any) => i.rule?.chain === 'service-KHN6ECMT-shop/web/tcp/http' && i.rule.expr[0].match,
  ).rule
  rule.expr[0].match.left.payload.field = { toString: 1 }
  rule.expr[1].match.left.payload.protocol = { toString: 1 }
  rule.expr.unshift({ match: { op: '==', left: { meta: { key: { toString: 1 } } }, right: 'x' } })
  const [p] = nftSvcRules(parseNftJson(doc), svcSpec(labService('shop/web'), 4))
  assert.ok(p.chains.length > 0)
})

test.run()
