// Pairing a pod's eth0 with its host veth on ip -j outputs captured from the lab (normal and mtu-mismatch).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { linkEnd, pairVeth, parseIpJson, podInterface, type IpLink } from '../../src/net/iplink.ts'
import { NetError } from '../../src/net/errors.ts'
import { clientNodeLinks, labFx, labPods } from './fake.ts'

const load = (f: string) => parseIpJson(labFx(f))
const podLinks = load('ip-link-pod-client-stats.json')
// the client's node (not necessarily lab-1): its interfaces, with the client's veth in full detail
const hostLinks = clientNodeLinks()
const veth = load('ip-link-veth-client.json')[0]

test('parseIpJson: arrays of interfaces; junk is NetError parse', () => {
  assert.equal(
    podLinks.map((l) => l.ifname),
    ['lo', 'eth0'],
  )
  assert.throws(
    () => parseIpJson('Device "eth0" does not exist.'),
    (e: unknown) => e instanceof NetError && e.kind === 'parse',
  )
  assert.throws(() => parseIpJson('{"a":1}'), /not an array/)
})

test('linkEnd: counters, master, addresses from ip -j -s -d addr', () => {
  const eth0 = podLinks.find((l) => l.ifname === 'eth0')!
  const e = linkEnd(eth0)
  assert.equal(
    [e.ifindex, e.peerIfindex, e.kind, e.mtu, e.mac],
    [eth0.ifindex, eth0.link_index, 'veth', eth0.mtu, eth0.address],
  )
  assert.equal(e.stats, {
    rxBytes: eth0.stats64!.rx!.bytes,
    rxPackets: eth0.stats64!.rx!.packets,
    rxErrors: 0,
    rxDropped: 0,
    txBytes: eth0.stats64!.tx!.bytes,
    txPackets: eth0.stats64!.tx!.packets,
    txErrors: 0,
    txDropped: 0,
  })
  // the client's eth0 (captured with the pods): its pod IP in the node's /24, and its link-local address
  const addrs = linkEnd(load('ip-addr-pod-client.json').find((l) => l.ifname === 'eth0')!).addresses
  assert.is(addrs.length, 2)
  assert.is(addrs[0], `${labPods().get('shop/client')!.status!.podIP}/24`)
  assert.match(addrs[1], /^fe80::[0-9a-f:]+\/64$/)
})

test('pairVeth: the client eth0 pairs with the host interface whose ifindex is its link_index, both ways', () => {
  const r = pairVeth(podLinks, hostLinks)
  const eth0 = podLinks.find((l) => l.ifname === 'eth0')!
  const byHand = hostLinks.find((l) => l.ifindex === eth0.link_index)!
  assert.is(r.status, 'ok')
  assert.is(r.hostSide!.name, byHand.ifname)
  assert.is(r.hostSide!.peerIfindex, eth0.ifindex)
  assert.is(r.hostSide!.name, veth.ifname)
  assert.is(r.hostSide!.master, 'kcni0')
  assert.equal([r.bridge!.name, r.bridge!.mtu], ['kcni0', 1500])
  // the bridge found is the one the veth is a port of: the veth's bridge_id is that bridge's MAC
  const port = (byHand.linkinfo as { info_slave_kind?: string; info_slave_data?: { bridge_id?: string } }) ?? {}
  assert.is(port.info_slave_kind, 'bridge')
  assert.is(port.info_slave_data?.bridge_id?.split('.')[1], r.bridge!.mac)
  assert.not.ok(r.mtuMismatch)
  assert.equal(r.warnings, [])
  // the counters mirror each other: what the pod sends, the host end receives
  assert.is(r.podSide!.stats!.txBytes, r.hostSide!.stats!.rxBytes)
  assert.is(r.podSide!.stats!.rxPackets, r.hostSide!.stats!.txPackets)
})

test('pairVeth: mtu-mismatch capture (eth0 and veth 9000, bridge 1500) is flagged with all three MTUs', () => {
  const pod = load('ip-link-pod-client-mtu9000.json')
  const r = pairVeth(pod, clientNodeLinks('ip-link-veth-client-mtu9000.json'))
  assert.is(r.status, 'ok')
  assert.ok(r.mtuMismatch)
  assert.equal([r.podSide!.mtu, r.hostSide!.mtu, r.bridge!.mtu], [9000, 9000, 1500])
  assert.match(
    r.warnings[0],
    `MTU mismatch: pod eth0 9000, host ${veth.ifname} 9000, bridge kcni0 1500: packets larger than 1500 bytes`,
  )
})

test('pairVeth: ipvlan/macvlan and non-veth interfaces get an explanation, never a host end', () => {
  for (const kind of ['ipvlan', 'macvlan']) {
    const pod = structuredClone(podLinks)
    pod[1].linkinfo = { info_kind: kind }
    const r = pairVeth(pod, hostLinks)
    assert.is(r.status, 'not-veth')
    assert.is(r.hostSide, undefined)
    assert.match(
      r.explanation!,
      new RegExp(`eth0 in the pod is a ${kind} interface, not a veth: ${kind} has no host-side peer`),
    )
  }
  const plain = structuredClone(podLinks)
  delete plain[1].linkinfo
  assert.match(pairVeth(plain, hostLinks).explanation!, /unknown kind/)
})

test('pairVeth: an ifindex that exists on the host but does not point back is not returned', () => {
  const eth0 = podLinks.find((l) => l.ifname === 'eth0')!
  const host: IpLink[] = structuredClone(hostLinks)
  const impostor = host.find((l) => l.ifindex === eth0.link_index)!
  impostor.link_index = 99
  const r = pairVeth(podLinks, host)
  assert.is(r.status, 'peer-not-found')
  assert.is(r.hostSide, undefined)
  assert.match(
    r.explanation!,
    `the node's ifindex ${eth0.link_index} is ${veth.ifname} (veth, link_index 99), which does not point back at the pod's ifindex ${eth0.ifindex}`,
  )
  const missing = pairVeth(
    podLinks,
    hostLinks.filter((l) => l.ifindex !== eth0.link_index),
  )
  assert.is(missing.status, 'peer-not-found')
  assert.match(missing.explanation!, `no interface with ifindex ${eth0.link_index} in the node's netns`)
})

test('podInterface / no-interface: eth0, an explicit name, or the only non-loopback one', () => {
  assert.is(podInterface(podLinks)!.ifname, 'eth0')
  const renamed = structuredClone(podLinks)
  renamed[1].ifname = 'net1'
  assert.is(podInterface(renamed)!.ifname, 'net1')
  assert.is(podInterface(podLinks, 'eth1'), undefined)
  const r = pairVeth(podLinks, hostLinks, 'eth1')
  assert.is(r.status, 'no-interface')
  assert.match(r.explanation!, /no interface eth1 \(interfaces: lo, eth0\)/)
})

test('pairVeth: errors and drops and a DOWN link become warnings', () => {
  const pod = structuredClone(podLinks)
  pod[1].stats64!.rx!.dropped = 7
  pod[1].operstate = 'DOWN'
  const r = pairVeth(pod, hostLinks)
  assert.ok(r.warnings.some((w) => /eth0: rx errors 0 dropped 7/.test(w)))
  assert.ok(r.warnings.some((w) => /link state: pod eth0 DOWN/.test(w)))
})

// Regression cases found by test/fuzz/iplink.test.ts (fast-check counterexamples, shrunk).
test('fuzz regressions: fields of the wrong type are left out, entries that are no interface are skipped, linkEnd never throws', () => {
  const [lo] = parseIpJson(
    '[{"ifindex":1,"ifname":"lo","flags":7,"mtu":65536,"operstate":null,"address":{},"addr_info":{},"stats64":{"rx":{"bytes":"12"},"tx":null}},{"ifindex":"2","ifname":"eth0","mtu":1500},{"dst":"default","gateway":"10.244.0.1"},null]',
  )
  assert.equal(lo, { ifindex: 1, ifname: 'lo', mtu: 65536, stats64: { rx: {}, tx: undefined } })
  assert.equal(linkEnd(lo), {
    name: 'lo',
    ifindex: 1,
    peerIfindex: undefined,
    kind: undefined,
    mtu: 65536,
    mac: undefined,
    operstate: undefined,
    flags: [],
    master: undefined,
    addresses: [],
    stats: undefined,
  })
  const [eth0] = parseIpJson(
    '[{"ifindex":3,"ifname":"eth0","mtu":1500,"addr_info":[{"family":"inet","local":"10.244.0.4","prefixlen":24},{"family":"inet","local":"10.244.0","prefixlen":24},{"family":"inet","local":"10.0.0.1","prefixlen":"x"},7]}]',
  )
  assert.equal(linkEnd(eth0).addresses, ['10.244.0.4/24'])
})

test.run()
