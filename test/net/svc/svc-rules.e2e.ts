// svcRules against the live lab (lab-1, kube-proxy in iptables mode), checked against `iptables-save -t nat`
// parsed by hand here and against `kubectl get endpointslices -o json`. Read-only: never changes the lab.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawnSync } from 'node:child_process'
import { inspect } from 'node:util'
import { KubeError } from '../../../src/kube/index.ts'
import { svcRules, type SvcRules } from '../../../src/net/svc/index.ts'
import { NET, NODE } from '../../lab/layout.ts'
import { ENV, TRANSPORT, agree, closeSession, labSession } from '../labkit.ts'
import { installPresenters } from '../../../src/render/presenters.ts'

installPresenters() // results print as tables, as in the shell

const env = ENV
const session = await labSession()

function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 60_000, env })
  assert.is(r.status, 0, `${cmd} ${args.join(' ')}: ${r.stderr}`)
  return r.stdout
}

/**
 * By hand, independent of src/net/svc: the endpoints (ip:port) and their --probability values behind the
 * "ns/name:port cluster IP" rule in `iptables-save -t nat` on this machine (it is lab-1).
 */
function handParsed(spn: string): { chain: string; endpoints: string[]; probabilities: (number | null)[] } {
  const lines = run('iptables-save', ['-t', 'nat']).split('\n')
  const entry = lines.find((l) => l.startsWith('-A KUBE-SERVICES ') && l.includes(`--comment "${spn} cluster IP"`))
  assert.ok(entry, `no KUBE-SERVICES rule for ${spn}`)
  const chain = / -j (KUBE-SVC-\w+)/.exec(entry!)![1]
  const jumps = lines.filter((l) => l.startsWith(`-A ${chain} `) && / -j KUBE-SEP-\w+/.test(l))
  const endpoints = jumps.map((j) => {
    const sep = / -j (KUBE-SEP-\w+)/.exec(j)![1]
    const dnat = lines.find((l) => l.startsWith(`-A ${sep} `) && l.includes(' -j DNAT '))
    return /--to-destination (\S+)/.exec(dnat!)![1]
  })
  const probabilities = jumps.map((j) =>
    /--probability ([\d.]+)/.exec(j) ? Number(/--probability ([\d.]+)/.exec(j)![1]) : null,
  )
  return { chain, endpoints, probabilities }
}

/** The ready endpoints (addresses[0]:port of the named port) of a Service, from kubectl. */
function kubectlEndpoints(ns: string, name: string, portName: string): string[] {
  const l = JSON.parse(
    run('kubectl', ['get', 'endpointslices', '-n', ns, '-l', `kubernetes.io/service-name=${name}`, '-o', 'json']),
  )
  return l.items.flatMap((s: any) => {
    const port = (s.ports ?? []).find((p: any) => (p.name ?? '') === portName)?.port
    return (s.endpoints ?? [])
      .filter((e: any) => e.conditions?.ready !== false)
      .map((e: any) => `${e.addresses[0]}:${port}`)
  })
}

const sorted = (xs: string[]) => [...xs].sort()
const eps = (r: SvcRules, port: string) =>
  r.ports.find((p) => p.name === port)!.endpoints.map((e) => `${e.ip}:${e.port}`)

test('shop/web on lab-1: same chain and endpoints as iptables-save -t nat by hand, same as kubectl, verdict ok', async () => {
  await agree(async () => {
    const r = await svcRules(session, 'shop/web', { node: NODE })
    const hand = handParsed('shop/web:http')
    const kube = kubectlEndpoints('shop', 'web', 'http')
    assert.equal([r.mode, r.status, r.node], ['iptables', 'ok', NODE], r.verdict)
    assert.match(r.verdict, /^ok: shop\/web on lab-1 \(iptables, /)
    assert.equal(
      r.ports[0].chains.map((c) => c.name),
      [hand.chain],
    )
    assert.equal(eps(r, 'http'), hand.endpoints)
    assert.equal(sorted(eps(r, 'http')), sorted(kube))
    assert.equal(
      r.ports[0].endpoints.map((e) => e.ruleProbability ?? null),
      hand.probabilities,
    )
    const total = r.ports[0].endpoints.reduce((s, e) => s + (e.probability ?? 0), 0)
    assert.ok(Math.abs(total - 1) < 1e-9, `probabilities add up to ${total}`)
    assert.equal(
      r.ports[0].frontends.map((f) => `${f.kind} ${f.ip}:${f.port}`),
      [`ClusterIP ${run('kubectl', ['get', 'svc', '-n', 'shop', 'web', '-o', 'jsonpath={.spec.clusterIP}'])}:80`],
    )
    assert.ok(r.ports[0].frontends[0].counters, 'iptables-save -c counters are read')
    assert.equal(r.comparison.stale, [])
    assert.equal(r.comparison.missing, [])
  })
})

test(`the backend is the one \`iptables-save --version\` names, and the commands ran over ${TRANSPORT} on lab-1`, async () => {
  const r = await svcRules(session, 'shop/web', { node: NODE })
  const version = run('iptables-save', ['--version'])
  assert.is(r.backend, /nf_tables/.test(version) ? 'nf_tables' : 'legacy')
  assert.equal(r.commands.slice(0, 2), ['iptables-save -c', 'nft -j list table ip kube-proxy'])
  assert.is(session.node(NODE).target, `${TRANSPORT}:${NODE}`)
})

test('shop/web-nodeport: NodePort 30080 on the node address, via KUBE-EXT, endpoints as kubectl says', async () => {
  await agree(async () => {
    const r = await svcRules(session, 'shop/web-nodeport', { node: NODE }) // one node: the node option may be left out
    assert.is(r.node, NODE)
    assert.is(r.status, 'ok', r.verdict)
    const np = r.ports[0].frontends.find((f) => f.kind === 'NodePort')!
    assert.equal([np.ip, np.port, np.masquerade], [NET.nodeIP, 30080, 'always'])
    assert.equal(np.path.slice(0, 2), ['KUBE-NODEPORTS', np.path[1]])
    assert.match(np.path[1], /^KUBE-EXT-/)
    assert.equal(sorted(eps(r, 'http')), sorted(kubectlEndpoints('shop', 'web-nodeport', 'http')))
  })
})

test('kube-system/kube-dns: three ports, each matching the hand-parsed chain and kubectl', async () => {
  await agree(async () => {
    const r = await svcRules(session, 'kube-system/kube-dns', { node: NODE })
    assert.is(r.status, 'ok', r.verdict)
    assert.equal(
      r.ports.map((p) => `${p.name}/${p.protocol}`),
      ['dns/UDP', 'dns-tcp/TCP', 'metrics/TCP'],
    )
    for (const port of ['dns', 'dns-tcp', 'metrics']) {
      assert.equal(eps(r, port), handParsed(`kube-system/kube-dns:${port}`).endpoints, port)
      assert.equal(sorted(eps(r, port)), sorted(kubectlEndpoints('kube-system', 'kube-dns', port)), port)
    }
    assert.match(inspect(r, { colors: false }), /^kube-system\/kube-dns on lab-1: kube-proxy iptables/)
  })
})

test("a Service that does not exist: the API's notfound error", async () => {
  let err: unknown
  try {
    await svcRules(session, 'shop/no-such-svc', { node: NODE })
  } catch (e) {
    err = e
  }
  assert.instance(err, KubeError)
  assert.is((err as KubeError).kind, 'notfound')
})

test.after(() => session.close())
test('every node command went over the expected transport, and closing the session leaves no node pod', () =>
  closeSession(session, [NODE]))

test.run()
