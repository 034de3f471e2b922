// Rules vs EndpointSlices on the lab captures: in sync, the stale-rules fault, DNS down; and the edge rules.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { compareSvcRules, expectedEndpoints, sliceEndpoints } from '../../../src/net/svc/compare.ts'
import { iptablesSvcRules, parseIptablesSave } from '../../../src/net/svc/iptables.ts'
import { nftSvcRules, parseNftJson } from '../../../src/net/svc/nft.ts'
import { svcSpec } from '../../../src/net/svc/spec.ts'
import type { EndpointSlice, Service } from '../../../src/kube/index.ts'
import { fx, labService, labSlices } from './fake.ts'
import { LAB_SERVICES, nodeOfSave, nodeWithIP, sliceEndpointsOf, staleRulesChange } from './lab.ts'
import { dnsDownIptables, LB_IPTABLES, LB_SERVICES } from './samples.ts'

const viaIptables = (file: string, key: string, slicesFile: string, node = nodeOfSave(file)) => {
  const spec = svcSpec(labService(key), 4)
  return compareSvcRules(iptablesSvcRules(parseIptablesSave(fx(file)), spec), [spec], labSlices(slicesFile, key), node)
}
const at = (e: { ip: string; targetPort: number }) => `${e.ip}:${e.targetPort}`

test("in sync: every node's iptables-save vs kubectl-endpointslices.json agree for every Service", () => {
  for (const file of ['iptables-save.txt', 'iptables-save-lab-2.txt', 'iptables-save-lab-3.txt']) {
    for (const key of LAB_SERVICES) {
      const c = viaIptables(file, key, 'kubectl-endpointslices.json')
      assert.ok(c.ok, `${file} ${key}: ${JSON.stringify({ ...c, expected: undefined, programmed: undefined })}`)
      assert.equal(c.programmed.map(at).sort(), c.expected.map(at).sort())
    }
  }
  const dns = viaIptables('iptables-save.txt', 'kube-system/kube-dns', 'kubectl-endpointslices.json')
  const pods = (port: string, proto: string) =>
    sliceEndpointsOf('kubectl-endpointslices.json', 'kube-system/kube-dns', port).map((e) => `${port}/${proto} ${e.at}`)
  assert.equal(
    dns.expected.map((e) => `${e.portName}/${e.protocol} ${at(e)}`).sort(),
    [...pods('dns-tcp', 'TCP'), ...pods('dns', 'UDP'), ...pods('metrics', 'TCP')].sort(),
  )
  assert.is(dns.expected.length, 6)
})

test('stale-rules fault (iptables-save-stale.txt vs kubectl-endpointslices-stale.json): the deleted pod stale, its replacement missing', () => {
  assert.is(nodeOfSave('iptables-save-stale.txt'), 'lab-2') // the node whose kube-proxy the fault stopped
  for (const key of ['shop/web', 'shop/web-nodeport', 'shop/web-local']) {
    const { deleted, added } = staleRulesChange(key)
    const c = viaIptables('iptables-save-stale.txt', key, 'kubectl-endpointslices-stale.json')
    assert.not.ok(c.ok)
    assert.equal(
      c.stale.map((e) => [e.portName, at(e)]),
      [['http', deleted.at]],
      key,
    )
    assert.equal(
      c.missing.map((e) => [e.portName, at(e), e.pod, e.ready]),
      [['http', added.at, added.pod, true]],
      key,
    )
    assert.equal([c.extra, c.portMismatches, c.frontendIssues], [[], [], []])
  }
})

test('nftables capture vs kubectl-endpointslices-stale.json (both taken after the web pod was replaced): in sync', () => {
  const t = parseNftJson(fx('nft-kube-proxy.json'))
  const node = nodeWithIP(t.sets.get('nodeport-ips')!.elements[0])
  for (const key of ['shop/web', 'shop/web-nodeport', 'shop/web-local']) {
    const spec = svcSpec(labService(key), 4)
    const c = compareSvcRules(nftSvcRules(t, spec), [spec], labSlices('kubectl-endpointslices-stale.json', key), node)
    assert.ok(c.ok, key)
    assert.equal(
      c.programmed.map(at).sort(),
      sliceEndpointsOf('kubectl-endpointslices-stale.json', key).map((e) => e.at),
    )
    assert.ok(
      c.programmed.some((e) => at(e) === staleRulesChange(key).added.at),
      'the replacement pod is programmed',
    )
  }
})

test('DNS down: slices without endpoints vs rules that still forward -> every endpoint stale, every port flagged', () => {
  const c = viaIptables('iptables-save.txt', 'kube-system/kube-dns', 'kubectl-endpointslices-dns-down.json')
  assert.equal(c.expected, [])
  // the rules still name the CoreDNS pods of the in-sync capture: every one of them is stale now
  const before = (port: string) =>
    sliceEndpointsOf('kubectl-endpointslices.json', 'kube-system/kube-dns', port).map((e) => `${port} ${e.at}`)
  assert.equal(
    c.stale.map((e) => `${e.portName} ${at(e)}`).sort(),
    [...before('dns'), ...before('dns-tcp'), ...before('metrics')].sort(),
  )
  assert.is(c.stale.length, 6)
  assert.equal(c.frontendIssues, [
    'dns 53/UDP: ClusterIP 10.96.0.10:53 still forwards although the EndpointSlices have no usable endpoints',
    'dns-tcp 53/TCP: ClusterIP 10.96.0.10:53 still forwards although the EndpointSlices have no usable endpoints',
    'metrics 9153/TCP: ClusterIP 10.96.0.10:9153 still forwards although the EndpointSlices have no usable endpoints',
  ])
})

test('DNS down with the REJECT rules kube-proxy writes (hand-written, see dnsDownIptables): consistent', () => {
  const spec = svcSpec(labService('kube-system/kube-dns'), 4)
  const c = compareSvcRules(
    iptablesSvcRules(parseIptablesSave(dnsDownIptables()), spec),
    [spec],
    labSlices('kubectl-endpointslices-dns-down.json', 'kube-system/kube-dns'),
    'lab-1',
  )
  assert.ok(c.ok, JSON.stringify(c))
  assert.equal([c.expected, c.programmed], [[], []])
})

test('REJECT rules while the slices have ready endpoints: missing endpoints and a frontend issue', () => {
  const spec = svcSpec(labService('kube-system/kube-dns'), 4)
  const c = compareSvcRules(
    iptablesSvcRules(parseIptablesSave(dnsDownIptables()), spec),
    [spec],
    labSlices('kubectl-endpointslices.json', 'kube-system/kube-dns'),
    'lab-1',
  )
  assert.is(c.missing.length, 6)
  assert.match(
    c.frontendIssues[0],
    /^dns 53\/UDP: ClusterIP 10\.96\.0\.10:53 rejects new connections \("has no endpoints"\) although/,
  )
})

test('sliceEndpoints: addresses[0] only, conditions default to ready/serving, null endpoints and ports, duplicates once', () => {
  const k = sliceEndpoints(labSlices('kubectl-endpointslices.json', 'default/kubernetes'))
  assert.equal(k, [
    {
      portName: 'https',
      protocol: 'TCP',
      ip: '10.99.0.1',
      targetPort: 6443,
      family: 4,
      ready: true,
      serving: true,
      terminating: false,
    },
  ])
  assert.equal(sliceEndpoints(labSlices('kubectl-endpointslices-dns-down.json', 'kube-system/kube-dns')), [])
  const web = labSlices('kubectl-endpointslices.json', 'shop/web')
  // in the slice's own order, each with its pod and node (the web pods run on two nodes)
  const raw = web.flatMap((s) =>
    s.endpoints!.map((e) => [`${e.addresses[0]}:8080`, `shop/${e.targetRef!.name}`, e.nodeName]),
  )
  assert.is(raw.length, 2)
  assert.is(new Set(raw.map((r) => r[2])).size, 2)
  assert.equal(
    sliceEndpoints([...web, ...web]).map((e) => [at(e), e.pod, e.nodeName]),
    raw,
  )
  const two: EndpointSlice = {
    metadata: { name: 's' },
    addressType: 'IPv4',
    endpoints: [{ addresses: ['10.0.0.1', '10.0.0.2'] }],
    ports: [{ name: 'a', port: 1 }],
  }
  assert.equal(
    sliceEndpoints([two]).map((e) => e.ip),
    ['10.0.0.1'],
  )
})

const slice = (
  eps: { ip: string; node?: string; ready?: boolean; serving?: boolean; terminating?: boolean; port?: number }[],
): EndpointSlice => ({
  metadata: { name: 'x-abc', namespace: 'a', labels: { 'kubernetes.io/service-name': 'x' } },
  addressType: 'IPv4',
  endpoints: eps.map((e) => ({
    addresses: [e.ip],
    nodeName: e.node ?? 'lab-1',
    conditions: { ready: e.ready ?? true, serving: e.serving ?? e.ready ?? true, terminating: e.terminating ?? false },
  })),
  ports: [{ name: 'http', port: eps[0]?.port ?? 8080, protocol: 'TCP' }],
})
const svcX = (spec: Partial<Service['spec']> = {}): Service => ({
  metadata: { name: 'x', namespace: 'a' },
  spec: { clusterIP: '10.96.9.9', ports: [{ name: 'http', port: 80, protocol: 'TCP' }], ...spec },
})
// internalTrafficPolicy Local: kube-proxy sends ClusterIP traffic to the local chain (KUBE-SVL-)
const chainRules = (targets: string[], port = 8080, chain = 'KUBE-SVC-X') =>
  `*nat\n-A KUBE-SERVICES -d 10.96.9.9/32 -p tcp -m comment --comment "a/x:http cluster IP" -m tcp --dport 80 -j ${chain}\n` +
  targets
    .map(
      (ip, i) =>
        `-A ${chain} -m comment --comment "a/x:http -> ${ip}:${port}" -j KUBE-SEP-${i}\n-A KUBE-SEP-${i} -p tcp -m comment --comment "a/x:http" -m tcp -j DNAT --to-destination ${ip}:${port}\n`,
    )
    .join('') +
  'COMMIT\n'
const cmp = (targets: string[], s: EndpointSlice, svc = svcX(), port = 8080) => {
  const spec = svcSpec(svc, 4)
  return compareSvcRules(
    iptablesSvcRules(
      parseIptablesSave(
        chainRules(targets, port, spec.internalTrafficPolicy === 'Local' ? 'KUBE-SVL-X' : 'KUBE-SVC-X'),
      ),
      spec,
    ),
    [spec],
    [s],
    'lab-1',
  )
}

test('ready endpoints only; serving+terminating ones are the fallback when none is ready', () => {
  const s = slice([{ ip: '10.0.0.1' }, { ip: '10.0.0.2', ready: false, serving: true, terminating: true }])
  assert.equal(
    expectedEndpoints(sliceEndpoints([s]), svcSpec(svcX(), 4), svcSpec(svcX(), 4).ports[0], 'lab-1').map((e) => e.ip),
    ['10.0.0.1'],
  )
  const c = cmp(['10.0.0.1', '10.0.0.2'], s)
  assert.equal(
    c.extra.map((e) => [e.ip, e.reason]),
    [['10.0.0.2', 'terminating']],
  )
  const drain = slice([
    { ip: '10.0.0.2', ready: false, serving: true, terminating: true },
    { ip: '10.0.0.3', ready: false, serving: false },
  ])
  assert.ok(cmp(['10.0.0.2'], drain).ok, 'only terminating endpoints left: kube-proxy keeps them')
  assert.equal(
    cmp(['10.0.0.2', '10.0.0.3'], drain).extra.map((e) => [e.ip, e.reason]),
    [['10.0.0.3', 'not ready']],
  )
})

test("internalTrafficPolicy Local: only this node's endpoints are expected; a remote one in the rules is extra", () => {
  const s = slice([
    { ip: '10.0.0.1', node: 'lab-1' },
    { ip: '10.0.0.2', node: 'lab-2' },
  ])
  const local = svcX({ internalTrafficPolicy: 'Local' })
  assert.ok(cmp(['10.0.0.1'], s, local).ok)
  assert.equal(
    cmp(['10.0.0.1', '10.0.0.2'], s, local).extra.map((e) => e.reason),
    ['on node lab-2 (Local traffic policy)'],
  )
  assert.equal(
    cmp(['10.0.0.1'], s).missing.map((e) => e.ip),
    ['10.0.0.2'],
    'Cluster policy expects both',
  )
})

test('same address, other target port: a port mismatch, not stale + missing', () => {
  const c = cmp(['10.0.0.1'], slice([{ ip: '10.0.0.1', port: 8081 }]))
  assert.equal(c.portMismatches, [
    { portName: 'http', protocol: 'TCP', ip: '10.0.0.1', rulesPort: 8080, slicesPort: 8081 },
  ])
  assert.equal([c.stale, c.missing, c.ok], [[], [], false])
})

test('frontends: a NodePort the rules lack, and LB_IPTABLES (eTP Local) in sync with a local and a remote endpoint', () => {
  const np = cmp(
    ['10.0.0.1'],
    slice([{ ip: '10.0.0.1' }]),
    svcX({ type: 'NodePort', ports: [{ name: 'http', port: 80, protocol: 'TCP', nodePort: 30099 }] }),
  )
  assert.equal(np.frontendIssues, ['http 80/TCP: no rule for NodePort 30099'])
  const spec = svcSpec(LB_SERVICES[0], 4)
  const lbSlice: EndpointSlice = {
    ...slice([
      { ip: '10.180.0.2', node: 'lab-1' },
      { ip: '10.180.0.7', node: 'lab-2' },
    ]),
    ports: [{ name: 'p80', port: 80, protocol: 'TCP' }],
  }
  const c = compareSvcRules(iptablesSvcRules(parseIptablesSave(LB_IPTABLES), spec), [spec], [lbSlice], 'lab-1')
  assert.ok(c.ok, JSON.stringify(c))
  assert.equal(
    c.expected.map((e) => e.ip),
    ['10.180.0.2', '10.180.0.7'],
  )
})

test.run()
