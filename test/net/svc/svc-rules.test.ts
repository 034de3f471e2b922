// svcRules end to end over a fake session, the node answering with the lab captures: argv, iptables and nftables modes,
// the legacy backend, stale rules, externalTrafficPolicy Local per client class, and how the result prints.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { inspect } from 'node:util'
import { svcRules, listingCommands, type SvcRules } from '../../../src/net/svc/index.ts'
import { fakeSession, fx, IPTABLES_IN_NFT_MODE, localService, localSlices, type Answer } from './fake.ts'
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
import { iptablesMode, NO_TABLE, services, slicesOf } from './svc-rules-kit.ts'

installPresenters() // results print as tables, as in the shell

const ALL = LAB_SERVICES
/** The lab's nodes, as the cluster lists them: svcRules must be told which node's rules to read. */
const nodes = LAB_NODES
const COUNTED = nodeOfSave('iptables-save-nat-counters.txt')
const STALE = nodeOfSave('iptables-save-stale.txt')

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
