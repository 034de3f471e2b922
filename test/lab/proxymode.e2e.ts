// kube-proxy can be restarted in nftables mode and back; ipvs is refused with the kernel's reason.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import path from 'node:path'
import { NET } from './layout.ts'
import { currentProxyMode } from './proxymode.ts'
import { podPid } from './scenarios.ts'
import { run } from './sh.ts'
import { loadConfig } from '../../src/config.ts'
import { Session } from '../../src/session.ts'
import { svcRules } from '../../src/net/svc/index.ts'
import { labEnvVars } from './layout.ts'
import { sliceIPs } from './scenarios.ts'

const env = { ...process.env, ...labEnvVars() }
const session = await Session.create({ config: loadConfig({ env }), env })

const labCli = (...args: string[]) => run([process.execPath, '--import', 'tsx', path.join(import.meta.dirname, 'cli.ts'), ...args], { ok: true, timeout: 300_000 })
const digFromClient = () => run(['nsenter', '-t', String(podPid('shop', 'client')), '-n', 'dig', '+short', '+time=2', `@${NET.dnsIP}`, 'web.shop.svc.cluster.local'], { ok: true }).stdout.trim()

test.after(async () => {
  if (currentProxyMode() !== 'iptables') labCli('proxy-mode', 'iptables')
  await session.close()
})

test('nftables mode: the kube-proxy nft table holds the Services, iptables KUBE chains are gone, DNS still works', () => {
  const r = labCli('proxy-mode', 'nftables')
  assert.equal(r.code, 0, r.stderr)
  assert.equal(currentProxyMode(), 'nftables')
  const nft = run(['nft', 'list', 'table', 'ip', 'kube-proxy']).stdout
  assert.match(nft, /10\.96\.0\.10 \. udp \. 53 : goto service-\S+-kube-system\/kube-dns\/udp\/dns/)
  assert.not.match(run(['iptables-save', '-t', 'nat']).stdout, /^:KUBE-SERVICES/m)
  assert.match(digFromClient(), /^10\.96\.\d+\.\d+$/)
})

test('svcRules reads nftables mode on the live node: shop/web endpoints equal the EndpointSlices', async () => {
  const r = await svcRules(session, 'shop/web')
  assert.is(r.mode, 'nftables')
  const programmed = [...new Set(r.ports.flatMap((p) => p.chains.flatMap((c) => c.endpoints.map((e) => e.ip))))].sort()
  assert.equal(programmed, sliceIPs('shop', 'web'))
  assert.is(r.status, 'ok', r.verdict)
})

test('back to iptables mode: KUBE-SERVICES is back and the nft table is gone', () => {
  const r = labCli('proxy-mode', 'iptables')
  assert.equal(r.code, 0, r.stderr)
  assert.match(run(['iptables-save', '-t', 'nat']).stdout, /^:KUBE-SERVICES/m)
  assert.not.match(run(['nft', 'list', 'tables']).stdout, /table ip kube-proxy/)
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
