// vethOf against the lab: every running pod, checked against the manual pairing (nsenter ip -j link -> link_index -> ip -j link).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { inspect } from 'node:util'
import { vethOf } from '../../src/net/veth.ts'
import { agree, closeSession, crictlPid, labSession, podByHand, runningPods, sshOk } from './labkit.ts'
import { NODES } from '../lab/layout.ts'
import { installPresenters } from '../../src/render/presenters.ts'

installPresenters() // results print as tables, as in the shell

const session = await labSession()
test.after(() => session.close())

test('every running pod: same host veth, ifindex, MTUs and bridge as found by hand', async () => {
  const pods = runningPods()
  assert.ok(pods.length >= 7)
  const host = (node: string) =>
    JSON.parse(sshOk('ip -j link', node)) as {
      ifindex: number
      ifname: string
      mtu: number
      master?: string
      link_index?: number
    }[]
  const seen = new Set<string>()
  for (const p of pods) {
    await agree(async () => {
      const r = await vethOf(session, p.key)
      // by hand: the container PID, eth0's link_index inside its netns, the node interface with that ifindex
      const pid = crictlPid(p.containerId, p.node)
      const eth0 = JSON.parse(sshOk(`nsenter -t ${pid} -n ip -j link show eth0`, p.node))[0]
      const links = host(p.node)
      const peer = links.find((l) => l.ifindex === eth0.link_index)!
      const bridge = links.find((l) => l.ifname === peer.master)!
      assert.is(r.status, 'ok', r.explanation)
      assert.equal(
        [r.podSide!.name, r.podSide!.ifindex, r.podSide!.peerIfindex, r.podSide!.mtu],
        ['eth0', eth0.ifindex, eth0.link_index, eth0.mtu],
        p.key,
      )
      assert.equal(
        [r.hostSide!.name, r.hostSide!.ifindex, r.hostSide!.mtu, r.hostSide!.master],
        [peer.ifname, peer.ifindex, peer.mtu, peer.master],
        p.key,
      )
      assert.equal([r.bridge!.name, r.bridge!.mtu], [bridge.ifname, bridge.mtu])
      assert.is(r.mtuMismatch, new Set([eth0.mtu, peer.mtu, bridge.mtu]).size > 1, p.key)
      assert.ok(r.podSide!.addresses.includes(`${p.ip}/24`), `${p.key}: ${r.podSide!.addresses}`)
      assert.is(r.podSide!.mac, eth0.address)
      seen.add(`${p.node}/${r.hostSide!.name}`)
    })
  }
  assert.is(seen.size, pods.length, 'each pod has its own host veth')
})

test('counters: what the pod sent, its host veth received (bytes move the same way on both ends)', async () => {
  const r = await vethOf(session, 'shop/client')
  const s = r.podSide!.stats!
  const h = r.hostSide!.stats!
  // read in sequence, so the host side (read second) saw at least what the pod side had sent
  assert.ok(h.rxPackets >= s.txPackets, `${h.rxPackets} >= ${s.txPackets}`)
  assert.ok(s.rxPackets > 0 && h.txPackets > 0)
  const text = inspect(r, { colors: false })
  assert.match(text, new RegExp(`^vethOf shop/client on ${podByHand('shop', 'client').node} \\(pid via crictl\\): ok`))
  assert.match(
    text,
    new RegExp(`host\\s+${r.hostSide!.name}\\s+${r.hostSide!.ifindex}\\s+${r.podSide!.ifindex}\\s+veth`),
  )
})

test('every node command went over the expected transport, and closing the session leaves no node pod', () =>
  closeSession(
    session,
    NODES.map((n) => n.name),
  ))

test.run()
