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

test.run()
