// svcRules rendering (pure): rows and text from results built on the lab captures.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { renderSvcRules, svcClientRows, svcEndpointRows, svcFrontendRows } from '../../src/render/svc.ts'
import {
  buildSvcRules,
  iptablesSvcRules,
  nftSvcRules,
  parseIptablesSave,
  parseNftJson,
  svcSpec,
  type SvcRules,
} from '../../src/net/svc/index.ts'
import { fx, labService, labSlices, localService, localSlices } from '../net/svc/fake.ts'
import { clusterIP, countersOf, nodeIP, nodeOfSave, sliceEndpointsOf, staleRulesChange } from '../net/svc/lab.ts'

const cellText = (c: unknown) => (c && typeof c === 'object' ? (c as { text: string }).text : String(c ?? ''))
const rowsText = (rows: unknown[][]) => rows.map((r) => r.map(cellText))

function fromIptables(file: string, key: string, slicesFile: string): SvcRules {
  const svc = labService(key)
  const ports = iptablesSvcRules(parseIptablesSave(fx(file)), svcSpec(svc, 4))
  return buildSvcRules(svc, labSlices(slicesFile, key), nodeOfSave(file), {
    mode: 'iptables',
    backend: 'nf_tables',
    ports,
    warnings: [],
    commands: ['iptables-save -c'],
  })
}
const COUNTED = 'iptables-save-nat-counters.txt'
/** "packets/bytes" of a line of the -c capture, as the PKTS/BYTES column shows it. */
const pb = (...fragments: string[]) => Object.values(countersOf(COUNTED, ...fragments)).join('/')

test('frontend rows: web-nodeport ClusterIP and NodePort with path, masquerade and counters', () => {
  const r = fromIptables(COUNTED, 'shop/web-nodeport', 'kubectl-endpointslices.json')
  const { headers, rows } = svcFrontendRows(r)
  assert.equal(headers, ['PORT', 'FRONTEND', 'ACTION', 'MASQUERADE', 'PKTS/BYTES', 'VIA'])
  assert.equal(rowsText(rows), [
    [
      'http 80/TCP',
      `ClusterIP ${clusterIP('shop/web-nodeport')}:80`,
      'forward',
      'if src not in 10.244.0.0/16',
      pb('-A KUBE-SERVICES ', '"shop/web-nodeport:http cluster IP"'),
      'KUBE-SERVICES > KUBE-SVC-FFNRHJJFV2V5GBHP',
    ],
    [
      '',
      `NodePort ${nodeIP(nodeOfSave(COUNTED))}:30080`,
      'forward',
      'always',
      pb('-A KUBE-NODEPORTS ', '"shop/web-nodeport:http"'),
      'KUBE-NODEPORTS > KUBE-EXT-FFNRHJJFV2V5GBHP > KUBE-SVC-FFNRHJJFV2V5GBHP',
    ],
  ])
})

test('endpoint rows: kube-dns per port with probabilities and counters; the stale capture marks STALE and MISSING', () => {
  const dns = fromIptables(COUNTED, 'kube-system/kube-dns', 'kubectl-endpointslices.json')
  const { headers, rows } = svcEndpointRows(dns)
  assert.equal(headers, ['PORT', 'CHAIN', 'ENDPOINT', 'PROB', 'HAIRPIN-MASQ', 'PKTS/BYTES', 'STATE'])
  const [a, b] = sliceEndpointsOf('kubectl-endpointslices.json', 'kube-system/kube-dns', 'dns').map((e) => e.at)
  const dnat = (at: string) => pb('"kube-system/kube-dns:dns" -m udp -j DNAT', `--to-destination ${at}`)
  assert.equal(rowsText(rows).slice(0, 2), [
    ['dns 53/UDP', 'KUBE-SVC-TCOU7JCQXEZGVUNU', a, '50.0%', 'yes', dnat(a), 'ok'],
    ['', '', b, '50.0%', 'yes', dnat(b), 'ok'],
  ])
  assert.is(rows.length, 6)
  // the stale node's rules (as before the pod was replaced), then what the slices have and the rules lack
  const { deleted, added } = staleRulesChange()
  const before = sliceEndpointsOf('kubectl-endpointslices.json', 'shop/web')
  const stale = svcEndpointRows(
    fromIptables('iptables-save-stale.txt', 'shop/web', 'kubectl-endpointslices-stale.json'),
  )
  assert.equal(rowsText(stale.rows), [
    ...before.map((e, i) => [
      i ? '' : 'http 80/TCP',
      i ? '' : 'KUBE-SVC-67NZLRHBNDSAWJRO',
      e.at,
      '50.0%',
      'yes',
      '',
      e.at === deleted.at ? 'STALE (no such endpoint)' : 'ok',
    ]),
    ['', '-', added.at, '', '', '', `MISSING (${added.pod})`],
  ])
  const staleRow = before.findIndex((e) => e.at === deleted.at)
  assert.equal(
    stale.rows.map((r) => (r[6] as { style?: string }).style === 'red'),
    stale.rows.map((_, i) => i === staleRow || i === before.length),
  )
})

test('renderSvcRules: title, both tables, verdict and hint; colour only when asked', () => {
  const r = fromIptables('iptables-save-stale.txt', 'shop/web', 'kubectl-endpointslices-stale.json')
  const plain = renderSvcRules(r)
  const lines = plain.split('\n')
  assert.is(lines[0], `shop/web on ${nodeOfSave('iptables-save-stale.txt')}: kube-proxy iptables (nf_tables backend)`)
  assert.ok(lines.some((l) => /^PORT +FRONTEND +ACTION/.test(l)))
  assert.ok(lines.some((l) => /^PORT +CHAIN +ENDPOINT/.test(l)))
  assert.is(lines.at(-2), r.verdict)
  assert.is(lines.at(-1), `hint: ${r.hint}`)
  assert.not.match(plain, '\u001b[')
  assert.match(renderSvcRules(r, { color: true }), '\u001b[31m')
})

test('nftables result renders its chain names and no counters column values', () => {
  const svc = labService('shop/web')
  const ports = nftSvcRules(parseNftJson(fx('nft-kube-proxy.json')), svcSpec(svc, 4))
  const r = buildSvcRules(svc, labSlices('kubectl-endpointslices-stale.json', 'shop/web'), 'lab-1', {
    mode: 'nftables',
    ports,
    warnings: ['w1'],
    commands: [],
  })
  const text = renderSvcRules(r)
  assert.match(text, 'shop/web on lab-1: kube-proxy nftables\n')
  const first = sliceEndpointsOf('kubectl-endpointslices-stale.json', 'shop/web')[0].at
  assert.match(
    text,
    new RegExp(`service-KHN6ECMT-shop/web/tcp/http +${first.replaceAll('.', '\\.')} +50\\.0% +yes +ok`),
  )
  assert.match(text, '\nwarning: w1\n')
  assert.match(text, /\nok: shop\/web on lab-1 \(nftables\)/)
})

function webLocal(node: string): SvcRules {
  const svc = localService('web-local')
  const ports = iptablesSvcRules(parseIptablesSave(fx(`svc-local-iptables-save-${node}.txt`)), svcSpec(svc, 4))
  return buildSvcRules(svc, localSlices('web-local'), node, {
    mode: 'iptables',
    backend: 'nf_tables',
    ports,
    warnings: [],
    commands: [],
  })
}

test('client rows (externalTrafficPolicy Local, capture svc): one row per class of the NodePort; none for a Cluster Service', () => {
  const { headers, rows } = svcClientRows(webLocal('lab-1'))
  assert.equal(headers, ['PORT', 'FRONTEND', 'CLIENTS', 'ACTION', 'ENDPOINTS', 'MASQUERADE', 'VIA'])
  assert.equal(rowsText(rows), [
    [
      'http 80/TCP',
      'NodePort 10.99.0.1:30081',
      'pods (src in 10.244.0.0/16)',
      'forward (cluster)',
      '10.244.1.3:8080, 10.244.2.2:8080',
      'no (source kept)',
      'KUBE-EXT-HDZWCINOTGBA7EM2: pod traffic for shop/web-local:http external destinations',
    ],
    [
      '',
      '',
      'the node (src-type LOCAL)',
      'forward (cluster)',
      '10.244.1.3:8080, 10.244.2.2:8080',
      'always',
      'KUBE-EXT-HDZWCINOTGBA7EM2: route LOCAL traffic for shop/web-local:http external destinations',
    ],
    ['', '', 'outside clients', 'DROP', '-', '-', 'filter KUBE-EXTERNAL-SERVICES: has no local endpoints'],
  ])
  assert.equal(rowsText(svcClientRows(webLocal('lab-2')).rows)[2].slice(2, 6), [
    'outside clients',
    'forward (local)',
    '10.244.1.3:8080',
    'no (source kept)',
  ])
  assert.equal(
    svcClientRows(fromIptables('iptables-save.txt', 'shop/web-nodeport', 'kubectl-endpointslices.json')).rows,
    [],
  )
  const text = renderSvcRules(webLocal('lab-1'))
  assert.ok(
    text.split('\n').some((l) => /^PORT +FRONTEND +CLIENTS +ACTION/.test(l)),
    text,
  )
  assert.not.match(
    renderSvcRules(fromIptables('iptables-save.txt', 'shop/web-nodeport', 'kubectl-endpointslices.json')),
    'CLIENTS',
  )
})

test.run()
