// ipvs mode. Every sample in this file is HAND-WRITTEN, not captured: the lab kernel has no IPVS
// (CONFIG_IP_VS is not set). They follow ipvsadm(8)'s listing formats (-Ln, --stats, --exact), `ipset list`,
// and the nat rules and ipset names of kube-proxy's ipvs proxier, using the lab's Services and pod IPs (IPVS_LAB, read
// from the captures).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { ipvsNumber, ipvsSvcRules, parseIpsetList, parseIpvsadm, parseIpvsadmStats } from '../../../src/net/svc/ipvs.ts'
import { hasIptablesProxyRules, hasIpvsProxyRules, parseIptablesSave } from '../../../src/net/svc/iptables.ts'
import { SvcRulesError } from '../../../src/net/svc/errors.ts'
import { svcSpec } from '../../../src/net/svc/spec.ts'
import type { Service } from '../../../src/kube/index.ts'
import { labService } from './fake.ts'
import { IPSET_LIST, IPVS_LAB as L, IPVS_NAT, IPVSADM_LN, IPVSADM_STATS } from './samples.ts'
import { assertFast } from '../../fast.ts'

const services = parseIpvsadm(IPVSADM_LN)
const stats = parseIpvsadmStats(IPVSADM_STATS)
const sets = parseIpsetList(IPSET_LIST)
const nat = parseIptablesSave(IPVS_NAT)
const rules = (key: string) => ipvsSvcRules(services, stats, sets, nat, svcSpec(labService(key), 4))

test('parse -Ln (hand-written): virtual services, schedulers, real servers with weights and connection counts', () => {
  assert.is(services.length, 7)
  assert.equal(
    services.map((s) => `${s.protocol} ${s.ip}:${s.port} ${s.scheduler}`),
    [
      `TCP ${L.kubernetes}:443 rr`,
      `TCP ${L.dns}:53 rr`,
      `TCP ${L.dns}:9153 rr`,
      `TCP ${L.webNodePort}:80 rr`,
      `TCP ${L.web}:80 rr`,
      `TCP ${L.node}:30080 rr`,
      `UDP ${L.dns}:53 rr`,
    ],
  )
  assert.equal(services[4].reals, [
    { ip: L.webPods[0], port: 8080, forward: 'Masq', weight: 1, activeConns: 1, inactiveConns: 2 },
    { ip: L.webPods[1], port: 8080, forward: 'Masq', weight: 1, activeConns: 0, inactiveConns: 1 },
  ])
})

test('parse -Ln (hand-written): the seed article sample, persistence, flags, IPv6, FWM, a service without real servers', () => {
  const seed = parseIpvsadm(`IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port Scheduler Flags
  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn
TCP  100.64.0.1:443 rr
  -> 178.128.226.86:443           Masq    1      0          0
TCP  100.64.0.10:53 rr
  -> 100.96.1.3:53                Masq    1      0          0
  -> 100.96.1.4:53                Masq    1      0          0
UDP  100.64.0.10:53 rr
  -> 100.96.1.3:53                Masq    1      0          0
  -> 100.96.1.4:53                Masq    1      0          0
`)
  assert.equal(
    seed.map((s) => [s.protocol, s.ip, s.port, s.reals.length]),
    [
      ['TCP', '100.64.0.1', 443, 1],
      ['TCP', '100.64.0.10', 53, 2],
      ['UDP', '100.64.0.10', 53, 2],
    ],
  )
  const odd = parseIpvsadm(`TCP  10.96.5.5:80 wrr persistent 10800 ops
  -> 10.244.0.9:80                Masq    3      0          0
  -> 10.244.0.10:80               Masq    1      0          0
UDP  [fd00:10:96::a]:53 lc
  -> [fd00:10:244::5]:53          Masq    1      0          0
FWM  7 sh
TCP  10.96.9.9:80 rr
`)
  assert.equal(
    odd.map((s) => [
      s.protocol,
      s.ip,
      s.port,
      s.scheduler,
      s.persistent,
      s.flags,
      s.fwmark,
      s.reals.map((r) => `${r.ip}:${r.port}/${r.weight}`),
    ]),
    [
      ['TCP', '10.96.5.5', 80, 'wrr', 10800, ['ops'], undefined, ['10.244.0.9:80/3', '10.244.0.10:80/1']],
      ['UDP', 'fd00:10:96::a', 53, 'lc', undefined, [], undefined, ['fd00:10:244::5:53/1']],
      ['FWM', '', 0, 'sh', undefined, [], 7, []],
      ['TCP', '10.96.9.9', 80, 'rr', undefined, [], undefined, []],
    ],
  )
  assert.throws(
    () => parseIpvsadm("Can't initialize ipvs: Protocol not available"),
    (e: unknown) => e instanceof SvcRulesError && e.kind === 'parse',
  )
  assert.throws(
    () => parseIpvsadm('  -> 10.0.0.1:80  Masq 1 0 0'),
    (e: unknown) => e instanceof SvcRulesError && /before any virtual service/.test(e.message),
  )
})

test('parse --stats (hand-written): exact numbers, and K/M/G rounding without --exact', () => {
  assert.equal(stats.get(`UDP ${L.dns}:53`)!.counters, { connections: 21, packets: 21, bytes: 1900 })
  assert.equal(stats.get(`UDP ${L.dns}:53`)!.reals.get(`${L.dnsPods[1]}:53`), {
    connections: 9,
    packets: 9,
    bytes: 810,
  })
  const rounded = parseIpvsadmStats(`Prot LocalAddress:Port               Conns   InPkts  OutPkts  InBytes OutBytes
  -> RemoteAddress:Port
TCP  10.100.5.98:6030               113786 19495479        0    2110M        0
  -> 10.100.5.86:6030                12883  1679941        0  181747K        0
`)
  assert.equal(rounded.get('TCP 10.100.5.98:6030')!.counters, { connections: 113786, packets: 19495479, bytes: 2110e6 })
  assert.equal(rounded.get('TCP 10.100.5.98:6030')!.reals.get('10.100.5.86:6030')!.bytes, 181747e3)
  assert.is(ipvsNumber('3G'), 3e9)
  assert.ok(Number.isNaN(ipvsNumber('x')))
})

test('parse ipset list (hand-written): names, types, members; the nat dump is recognised as ipvs mode', () => {
  assert.equal([...sets.keys()], ['KUBE-CLUSTER-IP', 'KUBE-LOOP-BACK', 'KUBE-NODE-PORT-TCP'])
  assert.equal(sets.get('KUBE-NODE-PORT-TCP'), { name: 'KUBE-NODE-PORT-TCP', type: 'bitmap:port', members: ['30080'] })
  assert.is(sets.get('KUBE-CLUSTER-IP')!.members.length, 6)
  assert.ok(hasIpvsProxyRules(nat))
  assert.not.ok(hasIptablesProxyRules(nat))
})

test('shop/web-nodeport (hand-written ipvs): ClusterIP and NodePort virtual servers, rr -> 50% each, masquerade from ipsets', () => {
  const [p] = rules('shop/web-nodeport')
  assert.equal(
    p.frontends.map((f) => [f.kind, f.ip, f.port, f.action, f.path, f.masquerade]),
    [
      ['ClusterIP', L.webNodePort, 80, 'forward', ['ipvs', `TCP ${L.webNodePort}:80`], 'if src not in 10.244.0.0/16'],
      ['NodePort', L.node, 30080, 'forward', ['ipvs', `TCP ${L.node}:30080`], 'always'],
    ],
  )
  assert.equal(p.frontends[0].notes, ['in ipset KUBE-CLUSTER-IP'])
  const pods = L.webPods.map((ip) => [`${ip}:8080`, 1, 0.5, true])
  assert.equal(
    p.chains.map((c) => [
      c.name,
      c.scheduler,
      c.endpoints.map((e) => [`${e.ip}:${e.port}`, e.weight, e.probability, e.hairpinMasquerade]),
    ]),
    [
      [`TCP ${L.webNodePort}:80`, 'rr', pods],
      [`TCP ${L.node}:30080`, 'rr', pods],
    ],
  )
  assert.equal(
    p.endpoints.map((e) => e.ip),
    [...L.webPods],
  )
})

test('shop/web and kube-dns (hand-written ipvs): counters from --stats, UDP and TCP ports kept apart', () => {
  const [web] = rules('shop/web')
  assert.equal(web.frontends[0].counters, { connections: 4, packets: 26, bytes: 1730 })
  assert.equal(
    web.endpoints.map((e) => [e.ip, e.counters, e.activeConns, e.inactiveConns]),
    [
      [L.webPods[0], { connections: 3, packets: 20, bytes: 1330 }, 1, 2],
      [L.webPods[1], { connections: 1, packets: 6, bytes: 400 }, 0, 1],
    ],
  )
  const dns = rules('kube-system/kube-dns')
  assert.equal(
    dns.map((p) => [p.name, p.protocol, p.frontends.map((f) => f.rule), p.endpoints.map((e) => `${e.ip}:${e.port}`)]),
    [
      ['dns', 'UDP', [`UDP  ${L.dns}:53 rr`], L.dnsPods.map((ip) => `${ip}:53`)],
      ['dns-tcp', 'TCP', [`TCP  ${L.dns}:53 rr`], L.dnsPods.map((ip) => `${ip}:53`)],
      ['metrics', 'TCP', [`TCP  ${L.dns}:9153 rr`], L.dnsPods.map((ip) => `${ip}:9153`)],
    ],
  )
  const [k] = rules('default/kubernetes')
  assert.equal(
    k.endpoints.map((e) => [`${e.ip}:${e.port}`, e.probability, e.hairpinMasquerade]),
    [[L.apiserver, 1, false]],
  )
})

test('weights and schedulers (hand-written): wrr 3:1, weight 0 (terminating), lc has no fixed probability, no real servers rejects', () => {
  const vs = parseIpvsadm(`TCP  10.96.5.5:80 wrr persistent 600
  -> 10.244.0.9:80                Masq    3      0          0
  -> 10.244.0.10:80               Masq    1      0          0
  -> 10.244.0.11:80               Masq    0      0          4
TCP  10.96.6.6:80 lc
  -> 10.244.0.12:80               Masq    1      5          0
TCP  10.96.7.7:80 rr
`)
  const svc = (ip: string): Service => ({
    metadata: { name: 'x', namespace: 'a' },
    spec: { clusterIP: ip, ports: [{ name: 'http', port: 80, protocol: 'TCP' }] },
  })
  const [wrr] = ipvsSvcRules(vs, new Map(), new Map(), undefined, svcSpec(svc('10.96.5.5'), 4))
  assert.equal(
    wrr.endpoints.map((e) => [e.ip, e.probability, e.affinitySeconds]),
    [
      ['10.244.0.9', 0.75, 600],
      ['10.244.0.10', 0.25, 600],
      ['10.244.0.11', 0, 600],
    ],
  )
  const [lc] = ipvsSvcRules(vs, new Map(), new Map(), undefined, svcSpec(svc('10.96.6.6'), 4))
  assert.is(lc.endpoints[0].probability, undefined)
  assert.match(lc.chains[0].notes[0], 'scheduler lc')
  const [none] = ipvsSvcRules(vs, new Map(), new Map(), undefined, svcSpec(svc('10.96.7.7'), 4))
  assert.equal(
    none.frontends.map((f) => [f.action, f.masquerade]),
    [['reject', undefined]],
  )
  assert.match(none.frontends[0].notes[0], 'no real servers')
})

// Regression cases found by test/fuzz/svc.test.ts (fast-check counterexamples, shrunk).
test('fuzz regressions: a port beyond 65535, a count or counter that is not a number, are parse errors naming the line', () => {
  const bad = (f: () => unknown, re: RegExp) =>
    assert.throws(f, (e: unknown) => e instanceof SvcRulesError && e.kind === 'parse' && re.test(e.message))
  bad(() => parseIpvsadm('TCP  10.99.0.1:70080 rr\n'), /cannot read the address "10\.99\.0\.1:70080"/)
  bad(
    () => parseIpvsadm('TCP  10.96.0.1:443 rr\n  -> 10.99.0.1:6443 Masq 18446744073709551616 0 0\n'),
    /weight "18446744073709551616" is not a count/,
  )
  bad(() => parseIpvsadm('TCP  10.96.0.1:443 rr persistent\n'), /persistence timeout "" is not a count/)
  bad(() => parseIpvsadmStats('TCP  10.96.0.1:443 3 % 40 38 4400 19000\n'), /"%" is not a counter/)
})

test('fuzz regressions: ipset list with CRLF or a stray \\r after a long blank run: names are trimmed, the read is linear', () => {
  assert.equal(
    [...parseIpsetList('Name: KUBE-CLUSTER-IP\r\nType: hash:ip,port\r\nMembers:\r\n10.96.0.10,udp:53\r\n').values()],
    [{ name: 'KUBE-CLUSTER-IP', type: 'hash:ip,port', members: ['10.96.0.10,udp:53'] }],
  )
  const blanks = `Name:${' '.repeat(30000)}x\r`
  assert.equal([...assertFast(() => parseIpsetList(blanks), 50, 'Name: + 30,000 blanks').keys()], ['x'])
})

test('fuzz regressions: a long scheduler word then U+2028 (\\s matches it, . does not) is read in linear time', () => {
  const word = 'r'.repeat(40000)
  const text = `TCP  10.96.0.10:53 ${word}\u2028${word}\n`
  const [vs] = assertFast(() => parseIpvsadm(text), 50, 'a 40,000-letter scheduler then U+2028')
  assert.equal([vs.ip, vs.port, vs.scheduler.length, vs.flags.map((f) => f.length)], ['10.96.0.10', 53, 40000, [40000]])
})

test.run()
