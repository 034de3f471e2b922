// svcRules end to end over a fake session: the node answers with the lab captures; argv, modes, verdicts, errors.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { inspect } from 'node:util'
import { svcRules, SvcRulesError, listingCommands, type SvcRules } from '../../../src/net/svc/index.ts'
import { KubeError, type EndpointSlice, type Service } from '../../../src/kube/index.ts'
import {
  fakeSession,
  fx,
  IPTABLES_IN_NFT_MODE,
  labService,
  labSlices,
  localService,
  localSlices,
  type Answer,
} from './fake.ts'
import { IPSET_LIST, IPVS_LAB, IPVS_NAT, IPVSADM_LN, IPVSADM_STATS } from './samples.ts'
import {
  clusterIP,
  countersOf,
  LAB_NODES,
  LAB_SERVICES,
  nodeIP,
  nodeOfSave,
  nodeWithIP,
  sliceEndpointsOf,
  staleRulesChange,
} from './lab.ts'
import { installPresenters } from '../../../src/render/presenters.ts'

installPresenters() // results print as tables, as in the shell

const ALL = LAB_SERVICES
const services = ALL.map(labService)
const slicesOf = (file: string) => ALL.flatMap((k) => labSlices(file, k))
const NO_TABLE: Answer = {
  exitCode: 1,
  stderr: 'Error: No such file or directory\nlist table ip kube-proxy\n              ^^^^^^^^^^\n',
}
const iptablesMode = (save = fx('iptables-save-nat-counters.txt')): Record<string, Answer> => ({
  'iptables-save -c': save,
  'nft -j list table ip kube-proxy': NO_TABLE,
})
/** The lab's nodes, as the cluster lists them: svcRules must be told which node's rules to read. */
const nodes = LAB_NODES
const COUNTED = nodeOfSave('iptables-save-nat-counters.txt')
const STALE = nodeOfSave('iptables-save-stale.txt')

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

test('iptables mode (capture with -c): shop/web is ok; the argv run on the node are exactly the two listings', async () => {
  const { session, calls, nodesAsked } = fakeSession({
    services,
    slices: slicesOf('kubectl-endpointslices.json'),
    answers: iptablesMode(),
    nodes,
  })
  const r = await svcRules(session, 'shop/web', { node: COUNTED })
  assert.equal([r.status, r.mode, r.backend, r.node, r.service], ['ok', 'iptables', 'nf_tables', COUNTED, 'shop/web'])
  assert.equal(calls, [listingCommands(4).iptablesSave, listingCommands(4).nft])
  assert.equal(calls, [
    ['iptables-save', '-c'],
    ['nft', '-j', 'list', 'table', 'ip', 'kube-proxy'],
  ])
  assert.equal(r.commands, ['iptables-save -c', 'nft -j list table ip kube-proxy'])
  assert.equal(nodesAsked, [COUNTED])
  assert.is(
    r.verdict,
    `ok: shop/web on ${COUNTED} (iptables, nf_tables backend): 1 port, 2 endpoints on 2 addresses, the rules match the EndpointSlices`,
  )
  assert.is(r.hint, undefined)
  assert.equal(
    r.ports[0].endpoints.map((e) => [`${e.ip}:${e.port}`, e.probability]),
    sliceEndpointsOf('kubectl-endpointslices.json', 'shop/web').map((e) => [e.at, 0.5]),
  )
})

test('every lab Service in sync: web-nodeport NodePort 30080, kube-dns udp+tcp+metrics, kubernetes, web-local', async () => {
  const { session } = fakeSession({
    services,
    slices: slicesOf('kubectl-endpointslices.json'),
    answers: iptablesMode(),
    nodes,
  })
  const np = await svcRules(session, 'shop/web-nodeport', { node: COUNTED })
  assert.equal(
    np.ports[0].frontends.map((f) => `${f.kind} ${f.ip}:${f.port}`),
    [`ClusterIP ${clusterIP('shop/web-nodeport')}:80`, `NodePort ${nodeIP(COUNTED)}:30080`],
  )
  const dns = await svcRules(session, 'kube-system/kube-dns', { node: COUNTED })
  assert.equal(
    dns.ports.map((p) => `${p.name} ${p.port}/${p.protocol}`),
    ['dns 53/UDP', 'dns-tcp 53/TCP', 'metrics 9153/TCP'],
  )
  assert.equal(
    dns.ports[0].frontends[0].counters,
    countersOf('iptables-save-nat-counters.txt', '-A KUBE-SERVICES ', '"kube-system/kube-dns:dns cluster IP"'),
  )
  const pods = sliceEndpointsOf('kubectl-endpointslices.json', 'kube-system/kube-dns', 'dns').length
  assert.match(dns.verdict, `3 ports, ${3 * pods} endpoints on ${pods} addresses`)
  // Every Service, read from the full `iptables-save` of the same capture (web-local's drop rule is in the filter table).
  const full = fakeSession({
    services,
    slices: slicesOf('kubectl-endpointslices.json'),
    answers: iptablesMode(fx('iptables-save.txt')),
    nodes,
  })
  for (const key of ALL) {
    const r = await svcRules(full.session, key, { node: nodeOfSave('iptables-save.txt') })
    assert.is(r.status, 'ok', r.verdict)
  }
})

test("stale-rules fault: mismatch naming the deleted pod's stale endpoint and the missing replacement, with a hint", async () => {
  const { session } = fakeSession({
    services,
    slices: slicesOf('kubectl-endpointslices-stale.json'),
    answers: iptablesMode(fx('iptables-save-stale.txt')),
    nodes,
  })
  const r = await svcRules(session, 'shop/web', { node: STALE })
  const { deleted, added } = staleRulesChange()
  assert.is(r.status, 'mismatch')
  assert.equal(
    r.comparison.stale.map((e) => `${e.ip}:${e.targetPort}`),
    [deleted.at],
  )
  assert.equal(
    r.comparison.missing.map((e) => `${e.ip}:${e.targetPort}`),
    [added.at],
  )
  assert.is(
    r.verdict,
    `mismatch: shop/web on ${STALE} (iptables, nf_tables backend): stale http ${deleted.at} (in the rules, in no EndpointSlice); missing http ${added.at} pod ${added.pod} (usable in the slices, no rule)`,
  )
  assert.match(r.hint!, `kube-proxy on ${STALE} has not applied`)
  assert.not.match(r.verdict, '\n')
})

test('nftables mode: iptables has no kube-proxy rules (nor the legacy backend), the kube-proxy table does', async () => {
  const answers = {
    'iptables-save -c': IPTABLES_IN_NFT_MODE,
    'iptables-legacy-save -c': '',
    'nft -j list table ip kube-proxy': fx('nft-kube-proxy.json'),
  }
  const node = nodeWithIP(
    JSON.parse(fx('nft-kube-proxy.json')).nftables.find((o: any) => o.set?.name === 'nodeport-ips').set.elem[0],
  )
  const { session, calls } = fakeSession({
    services,
    slices: slicesOf('kubectl-endpointslices-stale.json'),
    answers,
    nodes,
  })
  const r = await svcRules(session, 'shop/web-nodeport', { node })
  assert.equal([r.status, r.mode, r.backend], ['ok', 'nftables', undefined])
  assert.equal(
    calls.map((c) => c.join(' ')),
    ['iptables-save -c', 'nft -j list table ip kube-proxy', 'iptables-legacy-save -c'],
  )
  assert.equal(
    r.ports[0].frontends.map((f) => [f.kind, f.ip, f.port, f.path.length]),
    [
      ['ClusterIP', clusterIP('shop/web-nodeport'), 80, 2],
      ['NodePort', nodeIP(node), 30080, 3],
    ],
  )
  assert.equal(r.warnings, [])
})

test('legacy backend: `iptables-save` (nf_tables) is empty of kube-proxy rules, iptables-legacy-save has them', async () => {
  const legacy = fx('iptables-save.txt').replaceAll('(nf_tables)', '(legacy)')
  const { session } = fakeSession({
    services,
    slices: slicesOf('kubectl-endpointslices.json'),
    answers: {
      'iptables-save -c': IPTABLES_IN_NFT_MODE,
      'iptables-legacy-save -c': legacy,
      'nft -j list table ip kube-proxy': NO_TABLE,
    },
  })
  const r = await svcRules(session, 'shop/web')
  assert.equal([r.status, r.mode, r.backend], ['ok', 'iptables', 'legacy'])
  assert.equal(r.warnings, [
    "kube-proxy's rules are in the legacy iptables backend, but `iptables-save` on this node shows nf_tables: tools using the default backend do not see them",
  ])
})

test('ipvs mode (hand-written ipvsadm/ipset/nat samples, see samples.ts): detected from the nat rules, ipvsadm and ipset read', async () => {
  const answers = {
    'iptables-save -c': IPVS_NAT,
    'nft -j list table ip kube-proxy': NO_TABLE,
    'ipvsadm -Ln': IPVSADM_LN,
    'ipvsadm -Ln --stats --exact': IPVSADM_STATS,
    'ipset list': IPSET_LIST,
  }
  const { session, calls } = fakeSession({ services, slices: slicesOf('kubectl-endpointslices.json'), answers })
  const r = await svcRules(session, 'shop/web-nodeport')
  assert.equal([r.status, r.mode], ['ok', 'ipvs'], r.verdict)
  assert.equal(
    calls.slice(2).map((c) => c.join(' ')),
    ['ipvsadm -Ln', 'ipvsadm -Ln --stats --exact', 'ipset list'],
  )
  assert.equal(
    r.ports[0].frontends.map((f) => `${f.kind} ${f.ip}:${f.port} ${f.masquerade}`),
    [`ClusterIP ${IPVS_LAB.webNodePort}:80 if src not in 10.244.0.0/16`, `NodePort ${IPVS_LAB.node}:30080 always`],
  )
  const noIpset = fakeSession({
    services,
    slices: slicesOf('kubectl-endpointslices.json'),
    answers: { ...answers, 'ipset list': { exitCode: 127, stderr: 'not found' } },
  })
  const r2 = await svcRules(noIpset.session, 'shop/web')
  assert.equal([r2.status, r2.warnings.length], ['ok', 1])
  assert.match(r2.warnings[0], 'ipset list')
})

test('no endpoints (hand-written REJECT rules) vs the dns-down slices: status no-endpoints, the rejected addresses in the verdict', async () => {
  const { dnsDownIptables } = await import('./samples.ts')
  const { session } = fakeSession({
    services,
    slices: labSlices('kubectl-endpointslices-dns-down.json', 'kube-system/kube-dns'),
    answers: iptablesMode(dnsDownIptables()),
  })
  const r = await svcRules(session, 'kube-system/kube-dns')
  assert.is(r.status, 'no-endpoints')
  assert.is(
    r.verdict,
    'no endpoints: kube-system/kube-dns has no usable endpoints; lab-1 rejects/drops 10.96.0.10:53/UDP, 10.96.0.10:53/TCP, 10.96.0.10:9153/TCP (iptables, nf_tables backend; the rules match the EndpointSlices)',
  )
  assert.match(r.hint!, "endpoints('kube-system/kube-dns')")
})

test('no kube-proxy rules at all on the node: status no-rules, mode unknown', async () => {
  const { session } = fakeSession({
    services,
    slices: slicesOf('kubectl-endpointslices.json'),
    answers: {
      'iptables-save -c': IPTABLES_IN_NFT_MODE,
      'iptables-legacy-save -c': '',
      'nft -j list table ip kube-proxy': NO_TABLE,
    },
  })
  const r = await svcRules(session, 'shop/web')
  assert.equal([r.status, r.mode], ['no-rules', 'unknown'])
  assert.match(r.verdict, /^no rules: lab-1 has no kube-proxy rules for shop\/web — no kube-proxy rules at all/)
})

test('dual-stack: ip6tables-save is read too and both families land in one port', async () => {
  const dual: Service = {
    metadata: { name: 'dual', namespace: 'shop' },
    spec: {
      clusterIP: '10.96.50.1',
      clusterIPs: ['10.96.50.1', 'fd00:10:96::50'],
      ipFamilies: ['IPv4', 'IPv6'],
      ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 8080 }],
    },
  }
  const v4 = `*nat\n-A KUBE-SERVICES -d 10.96.50.1/32 -p tcp -m comment --comment "shop/dual:http cluster IP" -m tcp --dport 80 -j KUBE-SVC-V4\n-A KUBE-SVC-V4 -m comment --comment "shop/dual:http -> 10.244.0.5:8080" -j KUBE-SEP-V4\n-A KUBE-SEP-V4 -p tcp -m comment --comment "shop/dual:http" -m tcp -j DNAT --to-destination 10.244.0.5:8080\nCOMMIT\n`
  const v6 = `# Generated by ip6tables-save v1.8.9 (nf_tables)\n*nat\n-A KUBE-SERVICES -d fd00:10:96::50/128 -p tcp -m comment --comment "shop/dual:http cluster IP" -m tcp --dport 80 -j KUBE-SVC-V6\n-A KUBE-SVC-V6 -m comment --comment "shop/dual:http -> [fd00:10:244::5]:8080" -j KUBE-SEP-V6\n-A KUBE-SEP-V6 -p tcp -m comment --comment "shop/dual:http" -m tcp -j DNAT --to-destination [fd00:10:244::5]:8080\nCOMMIT\n`
  const sl = (fam: 'IPv4' | 'IPv6', ip: string): EndpointSlice => ({
    metadata: { name: `dual-${fam}`, namespace: 'shop', labels: { 'kubernetes.io/service-name': 'dual' } },
    addressType: fam,
    endpoints: [{ addresses: [ip], conditions: { ready: true } }],
    ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
  })
  const answers = {
    'iptables-save -c': v4,
    'ip6tables-save -c': v6,
    'nft -j list table ip kube-proxy': NO_TABLE,
    'nft -j list table ip6 kube-proxy': NO_TABLE,
  }
  const { session, calls } = fakeSession({
    services: [dual],
    slices: [sl('IPv4', '10.244.0.5'), sl('IPv6', 'fd00:10:244::5')],
    answers,
  })
  const r = await svcRules(session, 'shop/dual')
  assert.is(r.status, 'ok', r.verdict)
  assert.equal(r.ports.length, 1)
  assert.equal(
    r.ports[0].frontends.map((f) => [f.ip, f.family]),
    [
      ['10.96.50.1', 4],
      ['fd00:10:96::50', 6],
    ],
  )
  assert.equal(
    r.ports[0].endpoints.map((e) => [e.ip, e.port, e.family]),
    [
      ['10.244.0.5', 8080, 4],
      ['fd00:10:244::5', 8080, 6],
    ],
  )
  assert.ok(calls.some((c) => c.join(' ') === 'ip6tables-save -c'))
})

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
    invalid(/^opts: unknown option "nod"/),
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

test('externalTrafficPolicy Local (capture svc): the verdict says per client class what happens, on lab-1 and lab-2, both modes', async () => {
  const modes = (node: string): Record<string, Record<string, Answer>> => ({
    iptables: {
      'iptables-save -c': fx(`svc-local-iptables-save-${node}.txt`),
      'nft -j list table ip kube-proxy': NO_TABLE,
    },
    nftables: {
      'iptables-save -c': IPTABLES_IN_NFT_MODE,
      'iptables-legacy-save -c': '',
      'nft -j list table ip kube-proxy': fx(`svc-local-nft-${node}.json`),
    },
  })
  const lines: string[] = []
  for (const node of ['lab-1', 'lab-2']) {
    for (const [mode, answers] of Object.entries(modes(node))) {
      const { session } = fakeSession({
        services: [localService('web-local')],
        slices: localSlices('web-local'),
        nodes: ['lab-1', 'lab-2', 'lab-3'],
        answers,
      })
      const r = await svcRules(session, 'shop/web-local', { node })
      assert.equal([r.status, r.mode], ['ok', mode], r.verdict)
      lines.push(r.verdict.split('EndpointSlices; ')[1])
    }
  }
  const both = 'pods and the node reach 2 endpoints (10.244.1.3:8080, 10.244.2.2:8080)'
  assert.equal(lines, [
    `NodePort 30081: ${both}; outside clients are dropped (has no local endpoints)`,
    `NodePort 30081: ${both}; outside clients are dropped (has no local endpoints)`,
    `NodePort 30081: ${both}; outside clients reach only the local endpoint (10.244.1.3:8080)`,
    `NodePort 30081: ${both}; outside clients reach only the local endpoint (10.244.1.3:8080)`,
  ])
})

test('a web pod on lab-1 in the slices while lab-1 drops outside clients: mismatch naming the class, with the per-class summary', async () => {
  const slices = localSlices('web-local').map((s) => ({
    ...s,
    endpoints: s.endpoints!.map((e) => (e.addresses[0] === '10.244.2.2' ? { ...e, nodeName: 'lab-1' } : e)),
  }))
  const answers = {
    'iptables-save -c': fx('svc-local-iptables-save-lab-1.txt'),
    'nft -j list table ip kube-proxy': NO_TABLE,
  }
  const { session } = fakeSession({ services: [localService('web-local')], slices, nodes: ['lab-1', 'lab-2'], answers })
  const r = await svcRules(session, 'shop/web-local', { node: 'lab-1' })
  assert.is(r.status, 'mismatch')
  assert.is(
    r.verdict,
    'mismatch: shop/web-local on lab-1 (iptables, nf_tables backend): http 80/TCP: NodePort 30081, outside clients: dropped (filter KUBE-EXTERNAL-SERVICES: has no local endpoints) although lab-1 has the usable local endpoint 10.244.2.2:8080; NodePort 30081: pods and the node reach 2 endpoints (10.244.1.3:8080, 10.244.2.2:8080); outside clients are dropped (has no local endpoints)',
  )
})

test('the result prints as tables in the REPL and stays plain data for JSON', async () => {
  const { session } = fakeSession({
    services,
    slices: slicesOf('kubectl-endpointslices-stale.json'),
    answers: iptablesMode(fx('iptables-save-stale.txt')),
    nodes,
  })
  const r: SvcRules = await svcRules(session, 'shop/web', { node: STALE })
  const text = inspect(r, { colors: false })
  const { deleted, added } = staleRulesChange()
  assert.ok(text.startsWith(`shop/web on ${STALE}: kube-proxy iptables (nf_tables backend)\n`), text)
  assert.match(text, new RegExp(`${deleted.at.replaceAll('.', '\\.')} +50\\.0% +yes +STALE`))
  assert.match(text, new RegExp(`${added.at.replaceAll('.', '\\.')} +MISSING \\(${added.pod}\\)`))
  assert.ok(text.includes(r.verdict))
  const json = JSON.parse(JSON.stringify(r))
  assert.equal(Object.keys(json).sort(), [
    'backend',
    'commands',
    'comparison',
    'hint',
    'mode',
    'node',
    'ports',
    'service',
    'status',
    'verdict',
    'warnings',
  ])
})

test.run()
