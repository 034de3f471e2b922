// iptables-save parsing and per-Service extraction, on the lab captures (kube-proxy v1.33, iptables mode).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import {
  hasIptablesProxyRules,
  hasIpvsProxyRules,
  iptablesSvcRules,
  parseIptablesSave,
  splitComment,
  tokenizeRule,
} from '../../../src/net/svc/iptables.ts'
import { SvcRulesError } from '../../../src/net/svc/errors.ts'
import { svcSpec } from '../../../src/net/svc/spec.ts'
import type { Service } from '../../../src/kube/index.ts'
import { fx, labService } from './fake.ts'
import {
  clusterIP,
  countersOf,
  iptChain,
  LAB_SERVICES,
  nodeIP,
  nodeOfSave,
  sliceEndpointsOf,
  staleRulesChange,
} from './lab.ts'
import { dnsDownIptables, LB_IPTABLES, LB_SERVICES } from './samples.ts'

const plain = parseIptablesSave(fx('iptables-save.txt'))
const counted = parseIptablesSave(fx('iptables-save-nat-counters.txt'))
const rules = (key: string, dump = plain) => iptablesSvcRules(dump, svcSpec(labService(key), 4))
const eps = (p: { endpoints: { ip: string; port: number; probability?: number; chain: string }[] }) =>
  p.endpoints.map((e) => [`${e.ip}:${e.port}`, e.probability, e.chain])
/** lab-1's capture and each other node's own (kube-proxy's rules differ per node under a Local traffic policy). */
const NODE_SAVES = ['iptables-save.txt', 'iptables-save-lab-2.txt', 'iptables-save-lab-3.txt']

test('parse: backend and version from the header, the three tables, chain policies and rule counts', () => {
  assert.is(plain.backend, 'nf_tables')
  assert.is(plain.version, '1.8.9')
  assert.equal(Object.keys(plain.tables), ['mangle', 'filter', 'nat'])
  assert.is(plain.tables.filter.get('INPUT')!.policy, 'ACCEPT')
  assert.is(plain.tables.nat.get('KUBE-SVC-67NZLRHBNDSAWJRO')!.policy, '-')
  const natRules = fx('iptables-save.txt')
    .split('*nat')[1]
    .split('\n')
    .filter((l) => l.startsWith('-A ')).length
  assert.is(
    [...plain.tables.nat.values()].reduce((n, c) => n + c.rules.length, 0),
    natRules,
  )
  assert.ok(hasIptablesProxyRules(plain))
  assert.not.ok(hasIpvsProxyRules(plain))
})

test('parse: -c counters are read per rule, options keep their negation', () => {
  const svc = counted.tables.nat.get('KUBE-SVC-TCOU7JCQXEZGVUNU')!.rules
  const byRegex = [
    ...fx('iptables-save-nat-counters.txt').matchAll(/^\[(\d+):(\d+)\] -A KUBE-SVC-TCOU7JCQXEZGVUNU /gm),
  ].map((m) => ({ packets: Number(m[1]), bytes: Number(m[2]) }))
  assert.is(byRegex.length, 3)
  assert.equal(
    svc.map((r) => r.counters),
    byRegex,
  )
  assert.ok(
    byRegex.some((c) => c.packets > 0),
    'the capture saw DNS traffic',
  )
  const masq = svc[0]
  assert.equal(
    masq.options.find((o) => o.name === '-s'),
    { name: '-s', values: ['10.244.0.0/16'], neg: true },
  )
  assert.is(masq.target, 'KUBE-MARK-MASQ')
  assert.is(masq.comment, 'kube-system/kube-dns:dns cluster IP')
  assert.ok(!masq.text.startsWith('['), 'rule text drops the counter prefix')
  assert.is(plain.tables.nat.get('KUBE-SVC-TCOU7JCQXEZGVUNU')!.rules[1].counters, undefined)
})

test('tokenizer: quoted words with escaped quotes are one word; an unterminated quote is a parse error', () => {
  assert.equal(
    tokenizeRule('-A X -m comment --comment "a \\"b\\" c" -j Y').map((w) => w.word),
    ['-A', 'X', '-m', 'comment', '--comment', 'a "b" c', '-j', 'Y'],
  )
  assert.throws(
    () => parseIptablesSave('*nat\n-A X -m comment --comment "open\nCOMMIT\n'),
    (e: unknown) => e instanceof SvcRulesError && e.kind === 'parse' && /unterminated quote/.test(e.message),
  )
  assert.throws(
    () => parseIptablesSave('-A X -j Y\n'),
    (e: unknown) => e instanceof SvcRulesError && /outside a \*table/.test(e.message),
  )
  assert.equal(splitComment('kube-system/kube-dns:dns-tcp cluster IP'), {
    spn: 'kube-system/kube-dns:dns-tcp',
    remark: 'cluster IP',
  })
  assert.equal(splitComment('ns/svc: has no endpoints'), { spn: 'ns/svc:', remark: 'has no endpoints' })
})

test('shop/web: ClusterIP:80 -> KUBE-SVC-67NZ… -> two endpoints at 50% each, hairpin-masqueraded', () => {
  const ports = rules('shop/web')
  assert.is(ports.length, 1)
  const [p] = ports
  assert.equal([p.name, p.port, p.protocol, p.nodePort], ['http', 80, 'TCP', undefined])
  assert.is(p.frontends.length, 1)
  const [fe] = p.frontends
  assert.equal(
    [fe.kind, fe.ip, fe.port, fe.protocol, fe.action],
    ['ClusterIP', clusterIP('shop/web'), 80, 'TCP', 'forward'],
  )
  assert.is(iptChain('KUBE-SVC', 'shop/web:http', 'TCP'), 'KUBE-SVC-67NZLRHBNDSAWJRO') // kube-proxy's hash, reproduced
  assert.equal(fe.path, ['KUBE-SERVICES', 'KUBE-SVC-67NZLRHBNDSAWJRO'])
  assert.is(fe.masquerade, 'if src not in 10.244.0.0/16')
  const web = sliceEndpointsOf('kubectl-endpointslices.json', 'shop/web')
  assert.is(web.length, 2)
  assert.equal(
    eps(p),
    web.map((e) => [e.at, 0.5, iptChain('KUBE-SEP', 'shop/web:http', 'TCP', e.at)]),
  )
  assert.equal(
    p.endpoints.map((e) => e.ruleProbability),
    [0.5, undefined],
  )
  assert.ok(p.endpoints.every((e) => e.hairpinMasquerade && e.protocol === 'TCP'))
  assert.ok(p.endpoints[0].rule.endsWith(`-j DNAT --to-destination ${web[0].at}`), p.endpoints[0].rule)
  assert.equal(
    p.chains.map((c) => [c.name, c.kind]),
    [['KUBE-SVC-67NZLRHBNDSAWJRO', 'cluster']],
  )
})

test('shop/web-nodeport: NodePort NODE-IP:30080 via KUBE-NODEPORTS > KUBE-EXT > KUBE-SVC, always masqueraded', () => {
  const [p] = rules('shop/web-nodeport')
  assert.is(p.nodePort, 30080)
  assert.equal(
    p.frontends.map((f) => [f.kind, f.ip, f.port]),
    [
      ['ClusterIP', clusterIP('shop/web-nodeport'), 80],
      ['NodePort', nodeIP(nodeOfSave('iptables-save.txt')), 30080],
    ],
  )
  const np = p.frontends[1]
  assert.equal(np.path, ['KUBE-NODEPORTS', 'KUBE-EXT-FFNRHJJFV2V5GBHP', 'KUBE-SVC-FFNRHJJFV2V5GBHP'])
  assert.is(np.masquerade, 'always')
  assert.is(
    p.frontends[0].masquerade,
    'if src not in 10.244.0.0/16',
    'the SVC chain masquerade rule matches only the ClusterIP',
  )
  assert.equal(
    eps(p),
    sliceEndpointsOf('kubectl-endpointslices.json', 'shop/web-nodeport').map((e) => [
      e.at,
      0.5,
      iptChain('KUBE-SEP', 'shop/web-nodeport:http', 'TCP', e.at),
    ]),
  )
})

test("shop/web-local (externalTrafficPolicy Local) on each node: KUBE-EXT ends in KUBE-SVL with that node's endpoints, or drops", () => {
  const spn = 'shop/web-local:http'
  const [svc, ext, svl] = (['KUBE-SVC', 'KUBE-EXT', 'KUBE-SVL'] as const).map((c) => iptChain(c, spn, 'TCP'))
  const all = sliceEndpointsOf('kubectl-endpointslices.json', 'shop/web-local')
  const seen: number[] = []
  for (const file of NODE_SAVES) {
    const node = nodeOfSave(file)
    const local = all.filter((e) => e.node === node)
    seen.push(local.length)
    const [p] = iptablesSvcRules(parseIptablesSave(fx(file)), svcSpec(labService('shop/web-local'), 4))
    const np = p.frontends.filter((f) => f.kind === 'NodePort')
    // pod and node-local traffic short-circuits to the cluster chain (masqueraded if local); the rest stays on this node
    assert.equal(
      np.filter((f) => f.action === 'forward').map((f) => [f.ip, f.port, f.path, f.masquerade]),
      [[nodeIP(node), 30081, ['KUBE-NODEPORTS', ext, svc, ...(local.length ? [svl] : [])], 'if src is local']],
      file,
    )
    assert.equal(
      p.chains.map((c) => [c.name, c.kind, c.endpoints.map((e) => `${e.ip}:${e.port}`)]),
      [[svc, 'cluster', all.map((e) => e.at)], ...(local.length ? [[svl, 'local', local.map((e) => e.at)]] : [])],
      file,
    )
    // no local endpoint: external traffic to the NodePort is dropped in the filter table instead
    assert.equal(
      np.filter((f) => f.action !== 'forward').map((f) => [f.ip, f.action, f.path, f.notes]),
      local.length ? [] : [['*', 'drop', ['filter KUBE-EXTERNAL-SERVICES'], ['has no local endpoints']]],
      file,
    )
  }
  assert.ok(seen.includes(0) && seen.some((n) => n > 0), `nodes with and without a local endpoint: ${seen}`)
})

test('kube-system/kube-dns: dns/UDP, dns-tcp/TCP and metrics/TCP, each on its own chain to both CoreDNS pods', () => {
  const ports = rules('kube-system/kube-dns')
  assert.equal(
    ports.map((p) => [
      p.name,
      p.protocol,
      p.port,
      p.frontends.map((f) => `${f.ip}:${f.port}`),
      p.chains.map((c) => c.name),
    ]),
    [
      ['dns', 'UDP', 53, ['10.96.0.10:53'], ['KUBE-SVC-TCOU7JCQXEZGVUNU']],
      ['dns-tcp', 'TCP', 53, ['10.96.0.10:53'], ['KUBE-SVC-ERIFXISQEP7F7OF4']],
      ['metrics', 'TCP', 9153, ['10.96.0.10:9153'], ['KUBE-SVC-JD5MR3NA4I4DYORP']],
    ],
  )
  const dns = (port: string, proto: string) =>
    sliceEndpointsOf('kubectl-endpointslices.json', 'kube-system/kube-dns', port).map((e) => `${e.at}/${proto}`)
  assert.equal(
    ports.map((p) => p.endpoints.map((e) => `${e.ip}:${e.port}/${e.protocol}`)),
    [dns('dns', 'UDP'), dns('dns-tcp', 'TCP'), dns('metrics', 'TCP')],
  )
  assert.ok(
    ports.every((p) => p.endpoints.length === 2),
    'two CoreDNS replicas',
  )
  assert.equal(ports[0].frontends[0].protocol, 'UDP')
})

test('default/kubernetes: one endpoint 10.99.0.1:6443 with probability 1 (no statistic match)', () => {
  const [p] = rules('default/kubernetes')
  assert.equal(eps(p), [['10.99.0.1:6443', 1, 'KUBE-SEP-5IQAEH3A2OZOEQGH']])
  assert.is(p.endpoints[0].ruleProbability, undefined)
})

test('counters (iptables-save -c): entry rule of the frontend, DNAT rule of each endpoint', () => {
  const [dns] = rules('kube-system/kube-dns', counted)
  const file = 'iptables-save-nat-counters.txt'
  assert.equal(
    dns.frontends[0].counters,
    countersOf(file, '-A KUBE-SERVICES ', '"kube-system/kube-dns:dns cluster IP"'),
  )
  assert.ok(dns.frontends[0].counters!.packets > 0, 'the capture saw DNS traffic')
  const pods = sliceEndpointsOf('kubectl-endpointslices.json', 'kube-system/kube-dns', 'dns')
  assert.equal(
    dns.endpoints.map((e) => [e.ip, e.counters]),
    pods.map((e) => [e.ip, countersOf(file, '"kube-system/kube-dns:dns" -m udp -j DNAT', `--to-destination ${e.at}`)]),
  )
  assert.is(rules('kube-system/kube-dns')[0].frontends[0].counters, undefined, 'no counters without -c')
})

test("every DNAT rule of each node's capture belongs to exactly one extracted endpoint of the lab's Services", () => {
  assert.ok(LAB_SERVICES.includes('shop/web-local'))
  for (const file of NODE_SAVES) {
    const dump = parseIptablesSave(fx(file))
    const all = LAB_SERVICES.flatMap((k) =>
      iptablesSvcRules(dump, svcSpec(labService(k), 4)).flatMap((p) => p.endpoints.map((e) => e.chain)),
    )
    const dnats = fx(file)
      .split('\n')
      .filter((l) => / -j DNAT /.test(l))
      .map((l) => l.split(' ')[1])
    assert.equal([...all].sort(), [...dnats].sort(), file)
  }
})

test('stale capture: shop/web still DNATs to the deleted pod and the kept one, as before the replacement', () => {
  const stale = parseIptablesSave(fx('iptables-save-stale.txt'))
  const [p] = iptablesSvcRules(stale, svcSpec(labService('shop/web'), 4))
  const { deleted, added } = staleRulesChange()
  assert.equal(
    p.endpoints.map((e) => e.ip),
    rules('shop/web')[0].endpoints.map((e) => e.ip),
  )
  assert.ok(p.endpoints.some((e) => e.ip === deleted.ip) && !p.endpoints.some((e) => e.ip === added.ip))
  // kube-dns, untouched by the fault, is read from the same dump: the endpoints its rule comments name
  const [dns] = iptablesSvcRules(stale, svcSpec(labService('kube-system/kube-dns'), 4))
  const named = [
    ...fx('iptables-save-stale.txt').matchAll(/--comment "kube-system\/kube-dns:dns -> ([\d.]+):53"/g),
  ].map((m) => m[1])
  assert.is(named.length, 2)
  assert.equal(
    dns.endpoints.map((e) => e.ip),
    named,
  )
})

test('no endpoints (hand-written, see dnsDownIptables): each port is a REJECT frontend in filter KUBE-SERVICES, no chains', () => {
  const ports = iptablesSvcRules(parseIptablesSave(dnsDownIptables()), svcSpec(labService('kube-system/kube-dns'), 4))
  assert.equal(
    ports.map((p) => p.frontends.map((f) => [f.kind, `${f.ip}:${f.port}/${f.protocol}`, f.action, f.path, f.notes])),
    [
      [['ClusterIP', '10.96.0.10:53/UDP', 'reject', ['filter KUBE-SERVICES'], ['has no endpoints']]],
      [['ClusterIP', '10.96.0.10:53/TCP', 'reject', ['filter KUBE-SERVICES'], ['has no endpoints']]],
      [['ClusterIP', '10.96.0.10:9153/TCP', 'reject', ['filter KUBE-SERVICES'], ['has no endpoints']]],
    ],
  )
  assert.ok(ports.every((p) => p.chains.length === 0 && p.endpoints.length === 0))
})

test('externalTrafficPolicy Local (hand-written LB_IPTABLES): external frontends reach KUBE-SVL with the local endpoint only', () => {
  const dump = parseIptablesSave(LB_IPTABLES)
  assert.is(dump.backend, 'legacy')
  const [p] = iptablesSvcRules(dump, svcSpec(LB_SERVICES[0], 4))
  assert.equal(
    p.frontends.map((f) => [f.kind, f.ip, f.port, f.masquerade]),
    [
      ['ClusterIP', '172.30.0.42', 80, 'if src not in 10.0.0.0/8'],
      ['ExternalIP', '192.168.99.22', 80, 'if src is local'],
      ['LoadBalancer', '1.2.3.4', 80, 'if src is local'],
      ['NodePort', '127.0.0.0/8', 3001, 'if src is local'],
      ['NodePort', '*', 3001, 'if src is local'],
    ],
  )
  assert.equal(p.frontends[1].path, [
    'KUBE-SERVICES',
    'KUBE-EXT-GNZBNJ2PO5MGZ6GT',
    'KUBE-SVC-GNZBNJ2PO5MGZ6GT',
    'KUBE-SVL-GNZBNJ2PO5MGZ6GT',
  ])
  assert.equal(p.frontends[3].notes, ['NodePort on localhost (route_localnet)'])
  assert.equal(
    p.chains.map((c) => [c.name, c.kind, c.endpoints.map((e) => [e.ip, e.probability])]),
    [
      [
        'KUBE-SVC-GNZBNJ2PO5MGZ6GT',
        'cluster',
        [
          ['10.180.0.2', 0.5],
          ['10.180.0.7', 0.5],
        ],
      ],
      ['KUBE-SVL-GNZBNJ2PO5MGZ6GT', 'local', [['10.180.0.2', 1]]],
    ],
  )
  assert.equal(
    p.endpoints.map((e) => e.ip),
    ['10.180.0.2', '10.180.0.7'],
  )
})

test('source ranges + ClientIP affinity (hand-written LB_IPTABLES): KUBE-FW path, firewall DROP frontend, sticky endpoint', () => {
  const [p] = iptablesSvcRules(parseIptablesSave(LB_IPTABLES), svcSpec(LB_SERVICES[1], 4))
  const lb = p.frontends.filter((f) => f.kind === 'LoadBalancer')
  assert.equal(
    lb.map((f) => [f.action, f.path]),
    [
      [
        'forward',
        ['KUBE-SERVICES', 'KUBE-FW-NUKIZ6OKUXPJNT4C', 'KUBE-EXT-NUKIZ6OKUXPJNT4C', 'KUBE-SVC-NUKIZ6OKUXPJNT4C'],
      ],
      ['drop', ['filter KUBE-PROXY-FIREWALL']],
    ],
  )
  assert.equal(lb[0].notes, [
    'KUBE-FW-NUKIZ6OKUXPJNT4C: allows src 203.0.113.0/25',
    'KUBE-FW-NUKIZ6OKUXPJNT4C: other traffic to ns5/svc5:p80 will be dropped by KUBE-PROXY-FIREWALL',
  ])
  assert.is(lb[0].masquerade, 'always')
  assert.equal(lb[1].notes, ['traffic not accepted by KUBE-FW-NUKIZ6OKUXPJNT4C'])
  assert.equal(
    p.endpoints.map((e) => [e.ip, e.port, e.probability, e.affinitySeconds]),
    [['10.180.0.3', 80, 1, 10800]],
  )
})

test('probabilities: three endpoints at 1/3, 1/2, rest each get a third', () => {
  const text = `*nat
-A KUBE-SERVICES -d 10.96.1.1/32 -p tcp -m comment --comment "a/b:http cluster IP" -m tcp --dport 80 -j KUBE-SVC-X
-A KUBE-SVC-X -m comment --comment "a/b:http -> 10.0.0.1:80" -m statistic --mode random --probability 0.33333333349 -j KUBE-SEP-1
-A KUBE-SVC-X -m comment --comment "a/b:http -> 10.0.0.2:80" -m statistic --mode random --probability 0.50000000000 -j KUBE-SEP-2
-A KUBE-SVC-X -m comment --comment "a/b:http -> 10.0.0.3:80" -j KUBE-SEP-3
-A KUBE-SEP-1 -p tcp -m comment --comment "a/b:http" -m tcp -j DNAT --to-destination 10.0.0.1:80
-A KUBE-SEP-2 -p tcp -m comment --comment "a/b:http" -m tcp -j DNAT --to-destination 10.0.0.2:80
COMMIT
`
  const svc: Service = {
    metadata: { name: 'b', namespace: 'a' },
    spec: { clusterIP: '10.96.1.1', ports: [{ name: 'http', port: 80 }] },
  }
  const [p] = iptablesSvcRules(parseIptablesSave(text), svcSpec(svc, 4))
  const probs = p.endpoints.map((e) => e.probability!)
  probs.forEach((x) => assert.ok(Math.abs(x - 1 / 3) < 1e-9, String(x)))
  assert.ok(Math.abs(probs.reduce((a, b) => a + b, 0) - 1) < 1e-12)
  // KUBE-SEP-3 is missing: the endpoint still shows, from the jump rule's comment, and says so
  assert.equal([p.endpoints[2].ip, p.endpoints[2].port], ['10.0.0.3', 80])
  assert.match(p.endpoints[2].rule, 'KUBE-SEP-3 does not exist')
})

// Regression cases found by test/fuzz/svc.test.ts (fast-check counterexamples, shrunk).
test('fuzz regressions: counters beyond 64 bits, a --dport or --probability that is not one, are parse errors naming them', () => {
  const bad = (text: string, re: RegExp) =>
    assert.throws(
      () => iptablesSvcRules(parseIptablesSave(text), svcSpec(labService('shop/web'), 4)),
      (e: unknown) => e instanceof SvcRulesError && e.kind === 'parse' && re.test(e.message),
    )
  bad(
    '*nat\n:KUBE-SERVICES - [18446744073709551616:0]\nCOMMIT\n',
    /line 2: counters \[18446744073709551616:0\] are beyond 64 bits/,
  )
  bad('*nat\n[0:1e400] -A X -j Y\nCOMMIT\n', /expected "-A CHAIN/)
  const web = fx('iptables-save.txt')
  bad(
    web.replace('-m tcp --dport 80 -j KUBE-SVC-67NZLRHBNDSAWJRO', '-m tcp --dport 8o -j KUBE-SVC-67NZLRHBNDSAWJRO'),
    /--dport "8o" is not a port number/,
  )
  bad(web.replace('--probability 0.50000000000', '--probability 0x1f'), /--probability "0x1f" is not a probability/)
  // a 64-bit counter that a double cannot hold exactly is still read (to its leading digits)
  const big = parseIptablesSave('*nat\n:KUBE-SERVICES - [18446744073709550592:0]\nCOMMIT\n')
  assert.is(big.tables.nat.get('KUBE-SERVICES')!.counters!.packets, 18446744073709550592)
})

test('fuzz regressions: a DNAT --to-destination with a port beyond 65535 is not read as one (the jump comment gives the endpoint)', () => {
  const save = fx('iptables-save.txt')
  const line = save.split('\n').find((l) => l.includes('"shop/web:http" -m tcp -j DNAT --to-destination'))!
  const dest = /--to-destination (\S+)$/.exec(line)![1]
  const web = save.replace(line, line.replace(dest, dest.replace(/:\d+$/, ':808000000000000000000')))
  const endpoints = (text: string) =>
    iptablesSvcRules(parseIptablesSave(text), svcSpec(labService('shop/web'), 4))[0].chains[0].endpoints.map((e) => [
      e.chain,
      `${e.ip}:${e.port}`,
    ])
  assert.ok(
    endpoints(save).some(([, at]) => at === dest),
    `the capture's endpoint ${dest}`,
  )
  assert.equal(endpoints(web), endpoints(save))
})

test.run()
