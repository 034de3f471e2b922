// recipes/pod-network.md on the lab: with mtu-mismatch on (shop/client's eth0 and host veth 9000, bridge kcni0
// 1500) it fails on the MTU step with the three MTUs as evidence, and nothing else fails; with the fault off it
// reports nothing failing for shop/client and shop/distroless. The fault's findings are checked by faultchecks.ts, as
// the node-pod run (transport-pod-faults.e2e.ts) is. The fault is always turned off again.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawnSync } from 'node:child_process'
import { NET } from '../lab/layout.ts'
import { hostVeth, inPodNetnsArgv, podNode } from '../lab/scenarios.ts'
import { inNode } from '../lab/nodes.ts'
import { podNetworkMtu, runRecipeJson } from './faultchecks.ts'
import { failures, kinspectRun, scenario, stepFindings } from './lab.ts'

/** The MTU of an interface on a lab node, or in shop/client's netns, by hand with ip -j. */
function mtuByHand(ifname: string, where: { node: string } | 'client'): number {
  const ip = ['ip', '-j', 'link', 'show', ifname]
  const argv = where === 'client' ? inPodNetnsArgv('shop', 'client', ip) : inNode(where.node, ip)
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8' })
  return (JSON.parse(r.stdout) as { mtu: number }[])[0].mtu
}

const MTU_STEP = 'The veth pair and its MTU'

test.after(async () => {
  await scenario('mtu-mismatch', 'off') // ALWAYS leave the lab healthy, even when an assertion failed
})

test('mtu-mismatch on: the MTU step fails with pod eth0 9000, host veth 9000, bridge kcni0 1500 as evidence; nothing else fails', async () => {
  try {
    await scenario('mtu-mismatch', 'on')
    const node = podNode('shop', 'client')
    const { veth } = hostVeth('shop', 'client')
    // The fault by hand, so the test knows what the recipe must report.
    assert.equal(
      [mtuByHand('eth0', 'client'), mtuByHand(veth, { node }), mtuByHand(NET.cniBridge, { node })],
      [9000, 9000, 1500],
    )

    podNetworkMtu(await runRecipeJson('pod-network', ['--pod', 'shop/client'], 1))
  } finally {
    await scenario('mtu-mismatch', 'off')
  }
})

test('mtu-mismatch off: nothing fails for shop/client and shop/distroless (exit 0); MTU 1500 everywhere, both default targets connect', async () => {
  for (const p of ['shop/client', 'shop/distroless']) {
    const { code, report, err } = await kinspectRun('pod-network', ['--pod', p, '-o', 'json'])
    assert.ok(report, err)
    assert.equal(failures(report!), [], p)
    assert.is(code, 0, err)
    const mtu = stepFindings(report!, MTU_STEP)
    assert.is(mtu[0].severity, 'ok', JSON.stringify(mtu))
    assert.match(
      mtu[0].message,
      new RegExp(
        `^${p}: eth0 ↔ veth\\w+ on bridge ${NET.cniBridge}, MTU 1500 on all of them; the CNI config asks for 1500$`,
      ),
    )
    assert.match(mtu[0].evidence!.output, /56 bytes: reply; 1472 bytes \(a 1500-byte packet\): reply$/m)
    const conn = stepFindings(report!, 'Connection test')
    assert.equal(
      conn.map((x) => x.severity),
      ['ok', 'ok'],
    )
    assert.match(
      conn[0].message,
      new RegExp(
        `^${p} connects to ${NET.dnsIP.replace(/\./g, '\\.')}:53 \\(Service kube-system/kube-dns port dns-tcp\\) in \\d+ ms$`,
      ),
    )
    assert.match(
      conn[1].message,
      new RegExp(
        `^${p} connects to ${NET.kubernetesSvcIP.replace(/\./g, '\\.')}:443 \\(Service default/kubernetes port https\\)`,
      ),
    )
    assert.match(
      conn[0].evidence!.command,
      /nsenter -t \d+ -n timeout 3 bash -c 'exec 3<>\/dev\/tcp\/10\.96\.0\.10\/53'$/,
    )
  }
})

test('--target: a Service by name connects; an address outside the machine has no route; an address without a port stops the run', async () => {
  const web = await kinspectRun('pod-network', ['--pod', 'shop/client', '--target', 'web:80', '-o', 'json'])
  assert.ok(web.report, web.err)
  assert.is(web.code, 0, failures(web.report!).join('\n'))
  const conn = stepFindings(web.report!, 'Connection test')
  assert.is(conn.length, 1)
  assert.match(conn[0].message, /^shop\/client connects to 10\.96\.\d+\.\d+:80 \(Service shop\/web port http\)/)

  // Pod traffic to outside the machine has no route in the lab: lab-3 (shop/client's node) has no default route at
  // all (network unreachable); on lab-1 a policy-routing table answers unreachable (no route to host) for shop/ndots.
  const out = await kinspectRun('pod-network', [
    '--pod',
    'shop/client',
    '--target',
    '198.51.100.7:80',
    '--timeout',
    '2s',
    '-o',
    'json',
  ])
  assert.ok(out.report, out.err)
  assert.is(out.code, 1)
  const c = stepFindings(out.report!, 'Connection test')
  assert.equal(
    c.map((x) => [x.severity, x.message]),
    [['fail', 'shop/client cannot connect to 198.51.100.7:80 (198.51.100.7): network unreachable']],
  )
  assert.match(c[0].evidence!.output, /Network is unreachable|Network unreachable/)
  const out1 = await kinspectRun('pod-network', [
    '--pod',
    'shop/ndots',
    '--target',
    '198.51.100.7:80',
    '--timeout',
    '2s',
    '-o',
    'json',
  ])
  assert.equal(
    stepFindings(out1.report!, 'Connection test').map((x) => [x.severity, x.message]),
    [['fail', 'shop/ndots cannot connect to 198.51.100.7:80 (198.51.100.7): no route to host']],
  )
  assert.match(c[0].remedy!, 'the routes step')

  // A bad target stops the recipe before anything is tested (exit 2).
  const bad = await kinspectRun('pod-network', ['--pod', 'shop/client', '--target', '10.96.0.10', '-o', 'json'])
  assert.is(bad.code, 2)
  assert.match(JSON.stringify(bad.report), 'an address needs a port (host:port)')
})

test.run()
