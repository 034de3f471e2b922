// iptables mode on hand-written samples (no endpoints, LoadBalancers with a Local policy, source ranges and affinity,
// probabilities) and the fuzz regressions (mutations of the lab capture).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { iptablesSvcRules, parseIptablesSave } from '../../../src/net/svc/iptables.ts'
import { SvcRulesError } from '../../../src/net/svc/errors.ts'
import { svcSpec } from '../../../src/net/svc/spec.ts'
import type { Service } from '../../../src/kube/index.ts'
import { fx, labService } from './fake.ts'
import { dnsDownIptables, LB_IPTABLES, LB_SERVICES } from './samples.ts'

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
