// shop/web-local (NodePort 30081, externalTrafficPolicy Local; web pods on lab-2 and lab-3, none on lab-1) on the live
// lab: what svcRules says each client class reaches on lab-1 and lab-2, each claim proven with real traffic — from a
// pod, from the node itself, from outside the node — in iptables mode, then in nftables mode (switched back after).
// Bounded: a few curl requests to lab addresses, each with a 3 s limit. Run under the lab lock.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { svcRules, type SvcClientRoute, type SvcRules } from '../../../src/net/svc/index.ts'
import { labNode } from '../../lab/layout.ts'
import { inNode } from '../../lab/nodes.ts'
import { corednsPods, inPodNetns, podNode } from '../../lab/probe.ts'
import { currentProxyMode, setProxyMode } from '../../lab/proxymode.ts'
import { run, waitFor } from '../../lab/sh.ts'
import { agree, kjson, kubectl, labSession } from '../labkit.ts'

const session = await labSession()
const PORT = 30081
const url = (node: string) => `http://${labNode(node).ip}:${PORT}/`

test.after(async () => {
  if (currentProxyMode() !== 'iptables') await setProxyMode('iptables')
  await session.close()
})

/** The web pods: IP -> {name, node}. */
function webPods(): Map<string, { name: string; node: string }> {
  const pods = (kjson('get', 'pods', '-n', 'shop', '-l', 'app=web').items as any[]).filter(
    (p) => !p.metadata.deletionTimestamp && p.status.podIP,
  )
  return new Map(
    pods.map((p) => [p.status.podIP as string, { name: p.metadata.name as string, node: p.spec.nodeName as string }]),
  )
}

/**
 * n requests to `target` from where `prefix` runs (a pod's netns, a node's namespaces, or this machine), one shell
 * loop of `curl -m 3`: the pod each answer names (labhttpd prints its hostname) and curl's exit code per request.
 */
function requests(
  prefix: (argv: string[]) => string[],
  target: string,
  n: number,
): { pods: string[]; codes: number[] } {
  const loop = `for i in $(seq ${n}); do curl -s -m 3 ${target}; echo "exit=$?"; done`
  const r = run(prefix(['sh', '-c', loop]), { ok: true, timeout: (n * 3 + 30) * 1000 })
  assert.is(r.code, 0, r.stderr)
  const pods: string[] = []
  const codes: number[] = []
  for (const m of r.stdout.matchAll(/^(?:labhttpd (\S+) GET \/\n)?exit=(\d+)$/gm)) {
    if (m[1]) pods.push(m[1])
    codes.push(Number(m[2]))
  }
  assert.is(codes.length, n, `expected ${n} results, got: ${r.stdout}`)
  return { pods, codes }
}

const here = (argv: string[]) => argv
const inPod = (ns: string, pod: string) => (argv: string[]) => inPodNetns(ns, pod, argv)
const onNode = (node: string) => (argv: string[]) => inNode(node, argv)
const sorted = (xs: Iterable<string>) => [...new Set(xs)].sort()

/** svcRules on a node: the NodePort frontend's route for each class. */
async function routes(
  node: string,
  mode: string,
): Promise<{ r: SvcRules; pod: SvcClientRoute; node: SvcClientRoute; external: SvcClientRoute }> {
  const r = await svcRules(session, 'shop/web-local', { node })
  assert.equal([r.mode, r.status], [mode, 'ok'], r.verdict)
  const np = r.ports[0].frontends.find((f) => f.kind === 'NodePort' && f.action === 'forward')
  assert.ok(np, `no forwarding NodePort frontend: ${r.verdict}`)
  assert.equal([np!.ip, np!.port], [labNode(node).ip, PORT])
  const of = (c: string) => {
    const found = np!.clients!.filter((x) => x.client === c)
    assert.is(found.length, 1, `${c}: ${JSON.stringify(np!.clients)}`)
    return found[0]
  }
  return { r, pod: of('pod'), node: of('node'), external: of('external') }
}

/** The answering pods, as the IPs svcRules names. */
const answeredIPs = (pods: string[], web: Map<string, { name: string }>) =>
  sorted(pods.map((name) => [...web].find(([, p]) => p.name === name)?.[0] ?? `unknown pod ${name}`))
const ips = (route: SvcClientRoute) => sorted(route.endpoints.map((e) => e.ip))

async function proveLab1(mode: string): Promise<void> {
  await agree(async () => {
    const web = webPods()
    assert.not.ok(
      [...web.values()].some((p) => p.node === 'lab-1'),
      'the lab has no web pod on lab-1',
    )
    const all = sorted(web.keys())
    const c = await routes('lab-1', mode)
    // what svcRules says
    assert.equal([c.pod.action, ips(c.pod)], ['forward', all])
    assert.equal([c.node.action, ips(c.node)], ['forward', all])
    assert.equal(c.external.action, 'drop')
    assert.match(c.external.via, /has no local endpoints/)
    assert.match(c.r.verdict, /NodePort 30081: pods and the node reach 2 endpoints .*; outside clients are dropped/)
    // pods: shop/ndots runs on lab-1; 16 requests reach both endpoints (a miss has probability 2^-15)
    assert.is(podNode('shop', 'ndots'), 'lab-1')
    const fromPod = requests(inPod('shop', 'ndots'), url('lab-1'), 16)
    assert.equal([fromPod.codes.filter((x) => x !== 0), answeredIPs(fromPod.pods, web)], [[], ips(c.pod)])
    // the node itself: this machine is lab-1
    const fromNode = requests(here, url('lab-1'), 16)
    assert.equal([fromNode.codes.filter((x) => x !== 0), answeredIPs(fromNode.pods, web)], [[], ips(c.node)])
    // outside the node: lab-3's namespaces; dropped, so curl times out (28), not refused (7)
    const fromOutside = requests(onNode('lab-3'), url('lab-1'), 2)
    assert.equal([fromOutside.codes, fromOutside.pods], [[28, 28], []])
  })
}

async function proveLab2(mode: string): Promise<void> {
  await agree(async () => {
    const web = webPods()
    const local = [...web].filter(([, p]) => p.node === 'lab-2').map(([ip]) => ip)
    assert.is(local.length, 1, 'the lab has one web pod on lab-2')
    const all = sorted(web.keys())
    const c = await routes('lab-2', mode)
    assert.equal([c.pod.action, ips(c.pod)], ['forward', all])
    assert.equal([c.node.action, ips(c.node)], ['forward', all])
    assert.equal(
      [c.external.action, c.external.scope, ips(c.external), c.external.masquerade],
      ['forward', 'local', local, undefined],
    )
    assert.match(
      c.r.verdict,
      /NodePort 30081: pods and the node reach 2 endpoints .*; outside clients reach only the local endpoint/,
    )
    // pods: the CoreDNS pod on lab-2
    const dns = corednsPods().find((p) => p.node === 'lab-2')
    assert.ok(dns, 'a CoreDNS pod runs on lab-2')
    const fromPod = requests(inPod('kube-system', dns!.name), url('lab-2'), 16)
    assert.equal([fromPod.codes.filter((x) => x !== 0), answeredIPs(fromPod.pods, web)], [[], ips(c.pod)])
    // the node itself: lab-2's namespaces
    const fromNode = requests(onNode('lab-2'), url('lab-2'), 16)
    assert.equal([fromNode.codes.filter((x) => x !== 0), answeredIPs(fromNode.pods, web)], [[], ips(c.node)])
    // outside the node: this machine (lab-1) is outside lab-2; every answer comes from lab-2's own pod, with our source kept
    const fromOutside = requests(here, url('lab-2'), 8)
    assert.equal([fromOutside.codes.filter((x) => x !== 0), answeredIPs(fromOutside.pods, web)], [[], local])
    const logs = kubectl('logs', '-n', 'shop', web.get(local[0])!.name, '--since=60s')
    assert.match(
      logs,
      new RegExp(`GET / from ${labNode('lab-1').ip.replaceAll('.', '\\.')}:\\d+`),
      'the pod sees lab-1 as the client: Local keeps the source address',
    )
  })
}

test('iptables mode, lab-1 (no web pod): pods and the node reach both endpoints, outside clients are dropped — as svcRules says', async () => {
  assert.is(currentProxyMode(), 'iptables')
  await proveLab1('iptables')
})

test('iptables mode, lab-2 (one web pod): pods and the node reach both endpoints, outside clients only the local one', async () => {
  await proveLab2('iptables')
})

test('nftables mode: the same claims on lab-1 and lab-2, proven the same way; then back to iptables', async () => {
  try {
    await setProxyMode('nftables')
    for (const node of ['lab-1', 'lab-2']) {
      await waitFor(
        `kube-proxy's nft rules for shop/web-local on ${node}`,
        () =>
          run(inNode(node, ['nft', 'list', 'table', 'ip', 'kube-proxy']), { ok: true }).stdout.includes(
            'shop/web-local/',
          ),
        30_000,
      )
    }
    await proveLab1('nftables')
    await proveLab2('nftables')
  } finally {
    await setProxyMode('iptables')
  }
  assert.is(currentProxyMode(), 'iptables')
})

test.run()
