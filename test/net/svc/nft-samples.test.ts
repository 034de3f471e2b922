// nftables mode on a hand-written kube-proxy table: no endpoints, externalTrafficPolicy Local, source ranges + affinity.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { nftSvcRules, parseNftJson } from '../../../src/net/svc/nft.ts'
import { svcSpec } from '../../../src/net/svc/spec.ts'
import type { Service } from '../../../src/kube/index.ts'

const eps = (p: { endpoints: { ip: string; port: number; probability?: number }[] }) =>
  p.endpoints.map((e) => [`${e.ip}:${e.port}`, e.probability])

// HAND-WRITTEN (not captured; the lab has no LoadBalancer and no Service without endpoints in nftables mode):
// services of kube-proxy's nftables TestOverallNFTablesRules (svc2 eTP Local without local endpoints, svc5 source
// ranges + affinity, svc6 no endpoints), translated from its `nft` text into the JSON schema of libnftables-json(5).
let handle = 1
const r = (chain: string, ...expr: object[]) => ({
  rule: { family: 'ip', table: 'kube-proxy', chain, handle: handle++, expr },
})
const m = (l: object, right: unknown, op = '==') => ({ match: { op, left: l, right } })
const daddr = { payload: { protocol: 'ip', field: 'daddr' } }
const saddr = { payload: { protocol: 'ip', field: 'saddr' } }
const masq = { jump: { target: 'mark-for-masquerade' } }
const map = (name: string, elem: unknown[]) => ({
  map: {
    family: 'ip',
    name,
    table: 'kube-proxy',
    type: ['ipv4_addr', 'inet_proto', 'inet_service'],
    handle: handle++,
    map: 'verdict',
    elem,
  },
})
const goto = (target: string) => ({ goto: { target } })
const el = (key: unknown[], verdict: object, comment?: string) => [
  comment ? { elem: { val: { concat: key }, comment } } : { concat: key },
  verdict,
]
const ep5 = 'endpoint-GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80'
const aff5 = 'affinity-GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80'
const HAND = {
  nftables: [
    { table: { family: 'ip', name: 'kube-proxy', handle: 9 } },
    {
      set: {
        family: 'ip',
        name: 'nodeport-ips',
        table: 'kube-proxy',
        type: 'ipv4_addr',
        handle: handle++,
        elem: ['192.168.0.2'],
      },
    },
    {
      set: {
        family: 'ip',
        name: aff5,
        table: 'kube-proxy',
        type: 'ipv4_addr',
        handle: handle++,
        flags: ['timeout', 'dynamic'],
        timeout: 10800,
      },
    },
    map('service-ips', [
      el(['172.30.0.42', 'tcp', 80], goto('service-42NFTM6N-ns2/svc2/tcp/p80')),
      el(['192.168.99.22', 'tcp', 80], goto('external-42NFTM6N-ns2/svc2/tcp/p80')),
      el(['1.2.3.4', 'tcp', 80], goto('external-42NFTM6N-ns2/svc2/tcp/p80')),
      el(['172.30.0.45', 'tcp', 80], goto('service-HVFWP5L3-ns5/svc5/tcp/p80')),
      el(['5.6.7.8', 'tcp', 80], goto('external-HVFWP5L3-ns5/svc5/tcp/p80')),
    ]),
    {
      map: {
        family: 'ip',
        name: 'service-nodeports',
        table: 'kube-proxy',
        type: ['inet_proto', 'inet_service'],
        handle: handle++,
        map: 'verdict',
        elem: [
          el(['tcp', 3001], goto('external-42NFTM6N-ns2/svc2/tcp/p80')),
          el(['tcp', 3002], goto('external-HVFWP5L3-ns5/svc5/tcp/p80')),
        ],
      },
    },
    {
      map: {
        family: 'ip',
        name: 'no-endpoint-nodeports',
        table: 'kube-proxy',
        type: ['inet_proto', 'inet_service'],
        handle: handle++,
        map: 'verdict',
        elem: [el(['tcp', 3001], { drop: null }, 'ns2/svc2:p80')],
      },
    },
    map('no-endpoint-services', [
      el(['1.2.3.4', 'tcp', 80], { drop: null }, 'ns2/svc2:p80'),
      el(['192.168.99.22', 'tcp', 80], { drop: null }, 'ns2/svc2:p80'),
      el(['172.30.0.46', 'tcp', 80], goto('reject-chain'), 'ns6/svc6:p80'),
    ]),
    map('firewall-ips', [el(['5.6.7.8', 'tcp', 80], goto('firewall-HVFWP5L3-ns5/svc5/tcp/p80'))]),
    r(
      'service-42NFTM6N-ns2/svc2/tcp/p80',
      m(daddr, '172.30.0.42'),
      m(saddr, { prefix: { addr: '10.0.0.0', len: 8 } }, '!='),
      masq,
    ),
    r('service-42NFTM6N-ns2/svc2/tcp/p80', {
      vmap: {
        key: { numgen: { mode: 'random', mod: 1, offset: 0 } },
        data: { set: [[0, goto('endpoint-SGOXE6O3-ns2/svc2/tcp/p80__10.180.0.2/80')]] },
      },
    }),
    r(
      'external-42NFTM6N-ns2/svc2/tcp/p80',
      m(saddr, { prefix: { addr: '10.0.0.0', len: 8 } }),
      goto('service-42NFTM6N-ns2/svc2/tcp/p80'),
    ),
    r('external-42NFTM6N-ns2/svc2/tcp/p80', m({ fib: { result: 'type', flags: ['saddr'] } }, 'local'), masq),
    r(
      'external-42NFTM6N-ns2/svc2/tcp/p80',
      m({ fib: { result: 'type', flags: ['saddr'] } }, 'local'),
      goto('service-42NFTM6N-ns2/svc2/tcp/p80'),
    ),
    r('endpoint-SGOXE6O3-ns2/svc2/tcp/p80__10.180.0.2/80', m(saddr, '10.180.0.2'), masq),
    r('endpoint-SGOXE6O3-ns2/svc2/tcp/p80__10.180.0.2/80', m({ meta: { key: 'l4proto' } }, 'tcp'), {
      dnat: { addr: '10.180.0.2', port: 80 },
    }),
    r(
      'service-HVFWP5L3-ns5/svc5/tcp/p80',
      m(daddr, '172.30.0.45'),
      m(saddr, { prefix: { addr: '10.0.0.0', len: 8 } }, '!='),
      masq,
    ),
    r('service-HVFWP5L3-ns5/svc5/tcp/p80', m(saddr, `@${aff5}`), goto(ep5)),
    r('service-HVFWP5L3-ns5/svc5/tcp/p80', {
      vmap: { key: { numgen: { mode: 'random', mod: 1, offset: 0 } }, data: { set: [[0, goto(ep5)]] } },
    }),
    r('external-HVFWP5L3-ns5/svc5/tcp/p80', masq),
    r('external-HVFWP5L3-ns5/svc5/tcp/p80', goto('service-HVFWP5L3-ns5/svc5/tcp/p80')),
    r(ep5, m(saddr, '10.180.0.3'), masq),
    r(ep5, { update: { op: 'update', elem: saddr, set: `@${aff5}` } }),
    r(
      ep5,
      m({ meta: { key: 'l4proto' } }, 'tcp'),
      { counter: { packets: 7, bytes: 420 } },
      { dnat: { addr: '10.180.0.3', port: 80 } },
    ),
    r('firewall-HVFWP5L3-ns5/svc5/tcp/p80', m(saddr, { set: [{ prefix: { addr: '203.0.113.0', len: 25 } }] }, '!='), {
      drop: null,
    }),
  ],
}
const svc = (ns: string, name: string, spec: Service['spec'], lb?: string): Service => ({
  metadata: { name, namespace: ns },
  spec,
  status: lb ? { loadBalancer: { ingress: [{ ip: lb }] } } : {},
})
const SVC2 = svc(
  'ns2',
  'svc2',
  {
    type: 'LoadBalancer',
    clusterIP: '172.30.0.42',
    externalIPs: ['192.168.99.22'],
    externalTrafficPolicy: 'Local',
    ports: [{ name: 'p80', port: 80, protocol: 'TCP', nodePort: 3001 }],
  },
  '1.2.3.4',
)
const SVC5 = svc(
  'ns5',
  'svc5',
  {
    type: 'LoadBalancer',
    clusterIP: '172.30.0.45',
    sessionAffinity: 'ClientIP',
    ports: [{ name: 'p80', port: 80, protocol: 'TCP', nodePort: 3002 }],
  },
  '5.6.7.8',
)
const SVC6 = svc('ns6', 'svc6', {
  type: 'ClusterIP',
  clusterIP: '172.30.0.46',
  ports: [{ name: 'p80', port: 80, protocol: 'TCP' }],
})

test('no endpoints (hand-written): no-endpoint-services element with comment -> REJECT via reject-chain', () => {
  const [p] = nftSvcRules(parseNftJson(HAND), svcSpec(SVC6, 4))
  assert.equal(
    p.frontends.map((f) => [f.kind, f.ip, f.port, f.action, f.path, f.notes, f.rule]),
    [
      [
        'ClusterIP',
        '172.30.0.46',
        80,
        'reject',
        ['@no-endpoint-services'],
        ['has no endpoints'],
        '172.30.0.46 . tcp . 80 comment "ns6/svc6:p80" : goto reject-chain',
      ],
    ],
  )
  assert.equal(p.endpoints, [])
})

test('externalTrafficPolicy Local without local endpoints (hand-written): external addresses forward for pods/local and drop the rest', () => {
  const [p] = nftSvcRules(parseNftJson(HAND), svcSpec(SVC2, 4))
  assert.equal(
    p.frontends.map((f) => [f.kind, f.ip, f.port, f.action, f.masquerade ?? '-']),
    [
      ['ClusterIP', '172.30.0.42', 80, 'forward', 'if src not in 10.0.0.0/8'],
      ['ExternalIP', '192.168.99.22', 80, 'forward', 'if src is local'],
      ['LoadBalancer', '1.2.3.4', 80, 'forward', 'if src is local'],
      ['NodePort', '192.168.0.2', 3001, 'forward', 'if src is local'],
      ['LoadBalancer', '1.2.3.4', 80, 'drop', '-'],
      ['ExternalIP', '192.168.99.22', 80, 'drop', '-'],
      ['NodePort', '192.168.0.2', 3001, 'drop', '-'],
    ],
  )
  assert.equal(p.frontends[1].path, [
    '@service-ips',
    'external-42NFTM6N-ns2/svc2/tcp/p80',
    'service-42NFTM6N-ns2/svc2/tcp/p80',
  ])
  assert.equal(eps(p), [['10.180.0.2:80', 1]])
})

test('source ranges + affinity (hand-written): firewall note on the LB frontend, sticky endpoint with its counter', () => {
  const [p] = nftSvcRules(parseNftJson(HAND), svcSpec(SVC5, 4))
  const lb = p.frontends.find((f) => f.kind === 'LoadBalancer')!
  assert.equal(lb.notes, ['@firewall-ips -> firewall-HVFWP5L3-ns5/svc5/tcp/p80: ip saddr != { 203.0.113.0/25 } drop'])
  assert.is(lb.masquerade, 'always')
  assert.equal(
    p.endpoints.map((e) => [e.ip, e.port, e.probability, e.affinitySeconds, e.counters]),
    [['10.180.0.3', 80, 1, 10800, { packets: 7, bytes: 420 }]],
  )
})

test.run()
