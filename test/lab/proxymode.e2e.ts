// kube-proxy can be restarted in nftables mode and back; ipvs is refused with the kernel's reason.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import path from 'node:path'
import { NET, NODES } from './layout.ts'
import { inNode } from './nodes.ts'
import { currentProxyMode } from './proxymode.ts'
import { onPodNetns } from './scenarios.ts'
import { run } from './sh.ts'
import { loadConfig } from '../../src/config.ts'
import { Session } from '../../src/session.ts'
import { svcRules } from '../../src/net/svc/index.ts'
import { labEnvVars } from './layout.ts'
import { sliceIPs } from './scenarios.ts'

const env = { ...process.env, ...labEnvVars() }
const session = await Session.create({ config: loadConfig({ env }), env })

const labCli = (...args: string[]) =>
  run([process.execPath, '--import', 'tsx', path.join(import.meta.dirname, 'cli.ts'), ...args], {
    ok: true,
    timeout: 300_000,
  })
const digFromClient = () =>
  onPodNetns('shop', 'client', ['dig', '+short', '+time=2', `@${NET.dnsIP}`, 'web.shop.svc.cluster.local'], {
    ok: true,
  }).stdout.trim()
const on = (node: string, argv: string[]) => run(inNode(node, argv)).stdout

test.after(async () => {
  if (currentProxyMode() !== 'iptables') labCli('proxy-mode', 'iptables')
  await session.close()
})

test('nftables mode on every node: the kube-proxy nft table holds the Services, iptables KUBE chains are gone, DNS still works', () => {
  const r = labCli('proxy-mode', 'nftables')
  assert.equal(r.code, 0, r.stderr)
  assert.equal(currentProxyMode(), 'nftables')
  for (const n of NODES) {
    assert.match(
      on(n.name, ['nft', 'list', 'table', 'ip', 'kube-proxy']),
      /10\.96\.0\.10 \. udp \. 53 : goto service-\S+-kube-system\/kube-dns\/udp\/dns/,
      n.name,
    )
    assert.not.match(on(n.name, ['iptables-save', '-t', 'nat']), /^:KUBE-SERVICES/m, n.name)
  }
  assert.match(digFromClient(), /^10\.96\.\d+\.\d+$/)
})

test('svcRules reads nftables mode on the live node: shop/web endpoints equal the EndpointSlices', async () => {
  const r = await svcRules(session, 'shop/web', { node: 'lab-2' })
  assert.is(r.mode, 'nftables')
  const programmed = [...new Set(r.ports.flatMap((p) => p.chains.flatMap((c) => c.endpoints.map((e) => e.ip))))].sort()
  assert.equal(programmed, sliceIPs('shop', 'web'))
  assert.is(r.status, 'ok', r.verdict)
})

test('back to iptables mode on every node: KUBE-SERVICES is back and the nft table is gone', () => {
  const r = labCli('proxy-mode', 'iptables')
  assert.equal(r.code, 0, r.stderr)
  for (const n of NODES) {
    assert.match(on(n.name, ['iptables-save', '-t', 'nat']), /^:KUBE-SERVICES/m, n.name)
    assert.not.match(on(n.name, ['nft', 'list', 'tables']), /table ip kube-proxy/, n.name)
  }
  assert.match(digFromClient(), /^10\.96\.\d+\.\d+$/)
})

test('ipvs mode is refused with the reason (no IPVS in this kernel); a bad mode names the choices', () => {
  const ipvs = labCli('proxy-mode', 'ipvs')
  assert.not.equal(ipvs.code, 0)
  assert.match(ipvs.stderr, /no IPVS \(CONFIG_IP_VS is not set\)/)
  const bad = labCli('proxy-mode', 'userspace')
  assert.match(bad.stderr, /must be one of iptables, nftables, ipvs, got "userspace"/)
  assert.equal(currentProxyMode(), 'iptables')
})

test.run()
