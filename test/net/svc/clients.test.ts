// Client classes (pod, node, external) on the lab captures of shop/web-local (NodePort 30081, externalTrafficPolicy
// Local; web pods on lab-2 and lab-3, none on lab-1), in iptables and nftables mode, and on the pre-1.24 KUBE-XLB sample.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { iptablesSvcRules, parseIptablesSave } from '../../../src/net/svc/iptables.ts'
import { nftSvcRules, parseNftJson } from '../../../src/net/svc/nft.ts'
import { compareSvcRules } from '../../../src/net/svc/compare.ts'
import { classesDiffer, clientSummary } from '../../../src/net/svc/clients.ts'
import { svcSpec } from '../../../src/net/svc/spec.ts'
import type { EndpointSlice, Service } from '../../../src/kube/index.ts'
import type { SvcFrontend, SvcPortRules } from '../../../src/net/svc/types.ts'
import { fx, handwritten, localService, localSlices } from './fake.ts'
import { LB_IPTABLES, LB_SERVICES } from './samples.ts'

type Mode = 'iptables' | 'nftables'
const rules = (mode: Mode, node: string, svc: Service, edit = (t: string) => t): SvcPortRules[] =>
  mode === 'iptables'
    ? iptablesSvcRules(parseIptablesSave(edit(fx(`svc-local-iptables-save-${node}.txt`))), svcSpec(svc, 4))
    : nftSvcRules(parseNftJson(edit(fx(`svc-local-nft-${node}.json`))), svcSpec(svc, 4))
const nodePort = (ports: SvcPortRules[]) =>
  ports[0].frontends.find((f) => f.kind === 'NodePort' && f.action === 'forward')!
const outcome = (fe: SvcFrontend) =>
  fe.clients!.map((r) => [r.client, r.action, r.scope ?? '-', r.endpoints.map((e) => `${e.ip}:${e.port}`).join(' ')])
const BOTH = '10.244.1.3:8080 10.244.2.2:8080'
const compare = (ports: SvcPortRules[], svc: Service, slices: EndpointSlice[], node: string) =>
  compareSvcRules(ports, [svcSpec(svc, 4)], slices, node)
/** The web-local slices with one endpoint moved to another node (what the slices would say after a reschedule). */
const moved = (ip: string, node: string): EndpointSlice[] =>
  localSlices('web-local').map((s) => ({
    ...s,
    endpoints: s.endpoints!.map((e) => (e.addresses[0] === ip ? { ...e, nodeName: node } : e)),
  }))

test('iptables, lab-1 (no local web pod): NodePort 30081 — pods and the node reach KUBE-SVC, outside clients the filter DROP', () => {
  const ports = rules('iptables', 'lab-1', localService('web-local'))
  const np = nodePort(ports)
  assert.equal(outcome(np), [
    ['pod', 'forward', 'cluster', BOTH],
    ['node', 'forward', 'cluster', BOTH],
    ['external', 'drop', '-', ''],
  ])
  const [pod, node, ext] = np.clients!
  assert.equal(
    [pod.match, pod.masquerade, pod.chain, pod.via],
    [
      'src in 10.244.0.0/16',
      undefined,
      'KUBE-SVC-HDZWCINOTGBA7EM2',
      'KUBE-EXT-HDZWCINOTGBA7EM2: pod traffic for shop/web-local:http external destinations',
    ],
  )
  assert.equal(
    [node.match, node.masquerade, node.via],
    [
      'src-type LOCAL',
      'always',
      'KUBE-EXT-HDZWCINOTGBA7EM2: route LOCAL traffic for shop/web-local:http external destinations',
    ],
  )
  assert.equal([ext.match, ext.via], [undefined, 'filter KUBE-EXTERNAL-SERVICES: has no local endpoints'])
  // the DROP rule itself catches only what KUBE-EXT let through: outside clients
  const drop = ports[0].frontends.find((f) => f.action === 'drop')!
  assert.equal([drop.kind, drop.ip, drop.port], ['NodePort', '*', 30081])
  assert.equal(outcome(drop), [['external', 'drop', '-', '']])
  const cip = ports[0].frontends.find((f) => f.kind === 'ClusterIP')!
  assert.not.ok(classesDiffer(cip), 'a ClusterIP treats every class alike')
  assert.equal(
    cip.clients!.map((r) => [r.client, r.masquerade]),
    [
      ['pod', undefined],
      ['node', 'always'],
      ['external', 'always'],
    ],
  )
  assert.equal(clientSummary(ports), [
    'NodePort 30081: pods and the node reach 2 endpoints (10.244.1.3:8080, 10.244.2.2:8080); outside clients are dropped (has no local endpoints)',
  ])
})

test('iptables, lab-2 (web pod 10.244.1.3 local): outside clients fall through KUBE-EXT to KUBE-SVL, source kept', () => {
  const ports = rules('iptables', 'lab-2', localService('web-local'))
  const np = nodePort(ports)
  assert.equal([np.ip, np.port], ['10.99.0.2', 30081])
  assert.equal(outcome(np), [
    ['pod', 'forward', 'cluster', BOTH],
    ['node', 'forward', 'cluster', BOTH],
    ['external', 'forward', 'local', '10.244.1.3:8080'],
  ])
  const ext = np.clients![2]
  assert.equal(
    [ext.chain, ext.masquerade, ext.via],
    ['KUBE-SVL-HDZWCINOTGBA7EM2', undefined, 'KUBE-EXT-HDZWCINOTGBA7EM2: -j KUBE-SVL-HDZWCINOTGBA7EM2'],
  )
  assert.not.ok(
    ports[0].frontends.some((f) => f.action !== 'forward'),
    'no DROP rule on a node with a local endpoint',
  )
  assert.equal(clientSummary(ports), [
    'NodePort 30081: pods and the node reach 2 endpoints (10.244.1.3:8080, 10.244.2.2:8080); outside clients reach only the local endpoint (10.244.1.3:8080)',
  ])
})

test('nftables, lab-1 and lab-2: the same classes through external-/service-/local- chains and @no-endpoint-nodeports', () => {
  for (const node of ['lab-1', 'lab-2']) {
    const n = nodePort(rules('nftables', node, localService('web-local')))
    assert.equal(outcome(n), outcome(nodePort(rules('iptables', node, localService('web-local')))), node)
  }
  const lab1 = rules('nftables', 'lab-1', localService('web-local'))
  const [pod, node, ext] = nodePort(lab1).clients!
  assert.equal(
    [pod.match, pod.chain, pod.via],
    [
      'src in 10.244.0.0/16',
      'service-LXLUXNNJ-shop/web-local/tcp/http',
      'external-LXLUXNNJ-shop/web-local/tcp/http: short-circuit pod traffic',
    ],
  )
  assert.equal(
    [node.match, node.masquerade, node.via],
    ['fib saddr type local', 'always', 'external-LXLUXNNJ-shop/web-local/tcp/http: short-circuit local traffic'],
  )
  assert.equal([ext.action, ext.via], ['drop', '@no-endpoint-nodeports: has no local endpoints'])
  const lab2 = nodePort(rules('nftables', 'lab-2', localService('web-local'))).clients![2]
  assert.equal(
    [lab2.chain, lab2.scope, lab2.masquerade],
    ['local-LXLUXNNJ-shop/web-local/tcp/http', 'local', undefined],
  )
})

test('Cluster policy (web-nodeport) in both modes: every class reaches every endpoint, nothing to summarise', () => {
  for (const mode of ['iptables', 'nftables'] as Mode[]) {
    for (const node of ['lab-1', 'lab-2']) {
      const ports = rules(mode, node, localService('web-nodeport'))
      assert.equal(
        outcome(nodePort(ports)),
        [
          ['pod', 'forward', 'cluster', BOTH],
          ['node', 'forward', 'cluster', BOTH],
          ['external', 'forward', 'cluster', BOTH],
        ],
        `${mode} ${node}`,
      )
      assert.equal(
        nodePort(ports).clients!.map((r) => r.masquerade),
        ['always', 'always', 'always'],
        'Cluster policy masquerades every NodePort client',
      )
      assert.equal(clientSummary(ports), [])
    }
  }
})

test('against the slices: no local endpoint on lab-1 and one on lab-2 are both correct, in both modes', () => {
  for (const mode of ['iptables', 'nftables'] as Mode[]) {
    for (const node of ['lab-1', 'lab-2']) {
      const c = compare(
        rules(mode, node, localService('web-local')),
        localService('web-local'),
        localSlices('web-local'),
        node,
      )
      assert.ok(c.ok, `${mode} ${node}: ${JSON.stringify(c)}`)
      assert.equal(c.clientIssues, [])
    }
  }
})

test('the slices put a web pod on lab-1 but lab-1 still drops outside clients: a client issue naming the endpoint', () => {
  const slices = moved('10.244.2.2', 'lab-1')
  for (const mode of ['iptables', 'nftables'] as Mode[]) {
    const c = compare(rules(mode, 'lab-1', localService('web-local')), localService('web-local'), slices, 'lab-1')
    assert.not.ok(c.ok)
    const via =
      mode === 'iptables'
        ? 'filter KUBE-EXTERNAL-SERVICES: has no local endpoints'
        : '@no-endpoint-nodeports: has no local endpoints'
    assert.equal(c.clientIssues, [
      `http 80/TCP: NodePort 30081, outside clients: dropped (${via}) although lab-1 has the usable local endpoint 10.244.2.2:8080`,
    ])
    assert.equal(
      [c.missing, c.stale, c.extra],
      [[], [], []],
      'the chains themselves are right: only the class is wrong',
    )
  }
})

test("the slices move lab-2's pod to lab-3 but lab-2 still sends outside clients to it: forwarded although none is local", () => {
  const c = compare(
    rules('iptables', 'lab-2', localService('web-local')),
    localService('web-local'),
    moved('10.244.1.3', 'lab-3'),
    'lab-2',
  )
  assert.equal(c.clientIssues, [
    'http 80/TCP: NodePort 30081, outside clients: forwarded to 10.244.1.3:8080 (KUBE-SVL-HDZWCINOTGBA7EM2) although lab-2 has no usable local endpoint (externalTrafficPolicy Local drops them)',
  ])
})

test('KUBE-EXT ending in KUBE-SVC (the Cluster layout) under a Local Service: outside clients reach every endpoint', () => {
  const edit = (t: string) =>
    t.replace(
      '-A KUBE-EXT-HDZWCINOTGBA7EM2 -j KUBE-SVL-HDZWCINOTGBA7EM2',
      '-A KUBE-EXT-HDZWCINOTGBA7EM2 -j KUBE-SVC-HDZWCINOTGBA7EM2',
    )
  const ports = rules('iptables', 'lab-2', localService('web-local'), edit)
  assert.equal(outcome(nodePort(ports))[2], ['external', 'forward', 'cluster', BOTH])
  const c = compare(ports, localService('web-local'), localSlices('web-local'), 'lab-2')
  assert.equal(c.clientIssues, [
    "http 80/TCP: NodePort 30081, outside clients: reach every endpoint (KUBE-SVC-HDZWCINOTGBA7EM2) but externalTrafficPolicy Local says only this node's",
  ])
  assert.equal(
    [c.missing, c.stale, c.extra],
    [[], [], []],
    'the union of the chains matches the slices: only the class check sees it',
  )
})

test("KUBE-SVL pointing at lab-3's endpoint: outside clients reach 10.244.2.2 (on lab-3) and miss the local 10.244.1.3", () => {
  const edit = (t: string) =>
    t.replace(/(-A KUBE-SVL-HDZWCINOTGBA7EM2 .*) -j KUBE-SEP-ZKRNPIZ4P5EJY5BP/, '$1 -j KUBE-SEP-EO4AHMAP7T3AWZWM')
  const c = compare(
    rules('iptables', 'lab-2', localService('web-local'), edit),
    localService('web-local'),
    localSlices('web-local'),
    'lab-2',
  )
  assert.equal(c.clientIssues, [
    'http 80/TCP: NodePort 30081, outside clients: do not reach 10.244.1.3:8080 (shop/web-79c88d59cb-mtjrc) (KUBE-SVL-HDZWCINOTGBA7EM2)',
    'http 80/TCP: NodePort 30081, outside clients: reach 10.244.2.2:8080 (on node lab-3) (KUBE-SVL-HDZWCINOTGBA7EM2)',
  ])
})

test('internalTrafficPolicy Local with the captured rules (KUBE-SVC for everyone): every class of the ClusterIP is flagged on lab-1', () => {
  const svc = localService('web-local')
  const local: Service = { ...svc, spec: { ...svc.spec, internalTrafficPolicy: 'Local' } }
  const c = compare(rules('iptables', 'lab-1', svc), local, localSlices('web-local'), 'lab-1')
  assert.equal(
    c.clientIssues,
    ['pods', 'the node itself', 'outside clients'].map(
      (who) =>
        `http 80/TCP: ClusterIP 10.96.45.208:80, ${who}: forwarded to ${BOTH.replace(' ', ', ')} (KUBE-SVC-HDZWCINOTGBA7EM2) although lab-1 has no usable local endpoint (internalTrafficPolicy Local drops them)`,
    ),
  )
})

// HAND-WRITTEN sample (test/fixtures/svc-handwritten/README.md): kube-proxy v1.23's KUBE-XLB layout on node-a.
const XLB_SERVICES: Service[] = [
  {
    metadata: { name: 'web-local', namespace: 'ns1' },
    spec: {
      type: 'NodePort',
      externalTrafficPolicy: 'Local',
      clusterIP: '10.96.100.10',
      ports: [{ name: 'http', port: 80, targetPort: 8080, nodePort: 30100, protocol: 'TCP' }],
    },
  },
  {
    metadata: { name: 'db-local', namespace: 'ns1' },
    spec: {
      type: 'NodePort',
      externalTrafficPolicy: 'Local',
      clusterIP: '10.96.100.20',
      ports: [{ port: 5432, nodePort: 30200, protocol: 'TCP' }],
    },
  },
]
const xlbSlice = (svc: string, port: { name?: string; port: number }, eps: [string, string][]): EndpointSlice => ({
  metadata: { name: `${svc}-x`, namespace: 'ns1', labels: { 'kubernetes.io/service-name': svc } },
  addressType: 'IPv4',
  endpoints: eps.map(([ip, node]) => ({ addresses: [ip], nodeName: node, conditions: { ready: true } })),
  ports: [{ ...port, protocol: 'TCP' }],
})
const xlb = parseIptablesSave(handwritten('iptables-save-xlb-v1.23.txt'))

test('KUBE-XLB (pre-1.24, hand-written): pods and LOCAL go to KUBE-SVC, the rest to the local KUBE-SEP or KUBE-MARK-DROP', () => {
  const web = iptablesSvcRules(xlb, svcSpec(XLB_SERVICES[0], 4))
  const np = nodePort(web)
  assert.equal(np.path.slice(0, 2), ['KUBE-NODEPORTS', 'KUBE-XLB-HPLFVE4JGGMZY6HB'])
  assert.equal(outcome(np), [
    ['pod', 'forward', 'cluster', '10.244.1.5:8080 10.244.2.6:8080'],
    ['node', 'forward', 'cluster', '10.244.1.5:8080 10.244.2.6:8080'],
    ['external', 'forward', 'local', '10.244.1.5:8080'],
  ])
  assert.equal(
    np.clients!.map((r) => r.via.split(': ')[1]),
    [
      'Redirect pods trying to reach external loadbalancer VIP to clusterIP',
      'route LOCAL traffic for ns1/web-local:http LB IP to service chain',
      'Balancing rule 0 for ns1/web-local:http',
    ],
  )
  assert.equal(
    web[0].chains.map((c) => [c.name, c.kind]),
    [
      ['KUBE-SVC-HPLFVE4JGGMZY6HB', 'cluster'],
      ['KUBE-XLB-HPLFVE4JGGMZY6HB', 'local'],
    ],
  )
  const db = iptablesSvcRules(xlb, svcSpec(XLB_SERVICES[1], 4))
  assert.equal(outcome(nodePort(db)), [
    ['pod', 'forward', 'cluster', '10.244.2.9:5432'],
    ['node', 'forward', 'cluster', '10.244.2.9:5432'],
    ['external', 'drop', '-', ''],
  ])
  assert.is(nodePort(db).clients![2].via, 'KUBE-XLB-WE7WCVBRZ3LVHSZQ: ns1/db-local has no local endpoints')
  assert.is(db[0].name, '', 'an unnamed port: comments read "ns1/db-local" without a colon')
})

test('KUBE-XLB against slices: consistent as written; a db pod on node-a that XLB still drops is a client issue', () => {
  const web = xlbSlice('web-local', { name: 'http', port: 8080 }, [
    ['10.244.1.5', 'node-a'],
    ['10.244.2.6', 'node-b'],
  ])
  const db = (node: string) => xlbSlice('db-local', { port: 5432 }, [['10.244.2.9', node]])
  const check = (svc: Service, s: EndpointSlice) =>
    compareSvcRules(iptablesSvcRules(xlb, svcSpec(svc, 4)), [svcSpec(svc, 4)], [s], 'node-a')
  assert.ok(check(XLB_SERVICES[0], web).ok)
  assert.ok(check(XLB_SERVICES[1], db('node-b')).ok)
  assert.equal(check(XLB_SERVICES[1], db('node-a')).clientIssues, [
    '(unnamed) 5432/TCP: NodePort 30200, outside clients: dropped (KUBE-XLB-WE7WCVBRZ3LVHSZQ: ns1/db-local has no local endpoints) although node-a has the usable local endpoint 10.244.2.9:5432',
  ])
})

test('loadBalancerSourceRanges (hand-written LB_IPTABLES, ns5/svc5): every class splits on the range, the rest meets KUBE-PROXY-FIREWALL', () => {
  const ports = iptablesSvcRules(parseIptablesSave(LB_IPTABLES), svcSpec(LB_SERVICES[1], 4))
  const lb = ports[0].frontends.find((f) => f.kind === 'LoadBalancer' && f.action === 'forward')!
  const drop = 'filter KUBE-PROXY-FIREWALL: traffic not accepted by KUBE-FW-NUKIZ6OKUXPJNT4C'
  assert.equal(
    lb.clients!.map((r) => [r.client, r.when, r.action, r.action === 'forward' ? r.chain : r.via]),
    ['pod', 'node', 'external'].flatMap((c) => [
      [c, 'src in 203.0.113.0/25', 'forward', 'KUBE-SVC-NUKIZ6OKUXPJNT4C'],
      [c, 'src not in 203.0.113.0/25', 'drop', drop],
    ]),
  )
  const c = compareSvcRules(
    ports,
    [svcSpec(LB_SERVICES[1], 4)],
    [
      {
        metadata: { name: 's', namespace: 'ns5', labels: { 'kubernetes.io/service-name': 'svc5' } },
        addressType: 'IPv4',
        endpoints: [{ addresses: ['10.180.0.3'], nodeName: 'lab-1', conditions: { ready: true } }],
        ports: [{ name: 'p80', port: 80, protocol: 'TCP' }],
      },
    ],
    'lab-1',
  )
  assert.equal(c.clientIssues, [], 'refusing sources outside the ranges is by design')
})

test.run()
