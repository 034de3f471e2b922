// vethOf on a fake node answering with the lab's ip -j captures: the commands it runs and what it returns.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { inspect } from 'node:util'
import { vethOf } from '../../src/net/veth.ts'
import { NetError } from '../../src/net/errors.ts'
import { CLIENT, clientNodeLinks, fakeNetSession, labFx, labPods } from './fake.ts'
import { installPresenters } from '../../src/render/presenters.ts'

installPresenters() // results print as tables, as in the shell

// The client's node answers with its own captures; any other node has nothing to say.
function route(podFile = 'ip-link-pod-client-stats.json', vethFile = 'ip-link-veth-client.json') {
  return (n: string, argv: string[]) => {
    const cmd = argv.join(' ')
    if (n !== CLIENT.node) return { exitCode: 1, stderr: `asked ${n}, the client runs on ${CLIENT.node}` }
    if (cmd === `crictl inspect ${CLIENT.containerId}`) return { stdout: labFx('crictl-inspect-client.json') }
    if (cmd === `nsenter -t ${CLIENT.pid} -n -- ip -j -s -d addr show`) return { stdout: labFx(podFile) }
    if (cmd === 'ip -j -s -d addr show') return { stdout: JSON.stringify(clientNodeLinks(vethFile)) }
    return { exitCode: 1, stderr: `unexpected: ${cmd}` }
  }
}
const veth = JSON.parse(labFx('ip-link-veth-client.json'))[0] as { ifname: string; ifindex: number; link_index: number }

test('vethOf(client): netlink inside the netns and on the node (never /sys), both ends and the bridge', async () => {
  const { session, calls } = fakeNetSession(route())
  const r = await vethOf(session, 'client')
  assert.equal([r.pod, r.node, r.method, r.status], ['shop/client', CLIENT.node, 'crictl', 'ok'])
  assert.equal([r.podSide!.name, r.hostSide!.name, r.bridge!.name], ['eth0', veth.ifname, 'kcni0'])
  assert.ok(calls.every((c) => c.node === CLIENT.node))
  assert.ok(calls.every((c) => !c.argv.join(' ').includes('/sys/')))
  assert.ok(calls.filter((c) => c.argv.includes('ip')).every((c) => c.opts.sudo === true))
  const json = JSON.parse(JSON.stringify(r))
  assert.is(json.hostSide.ifindex, veth.ifindex)
  const text = inspect(r, { colors: false })
  assert.ok(text.startsWith(`vethOf shop/client on ${CLIENT.node} (pid via crictl): ok`), text)
  assert.match(text, new RegExp(`pod\\s+eth0\\s+${veth.link_index}\\s+${veth.ifindex}\\s+veth\\s+1500`))
  assert.match(
    text,
    new RegExp(`host\\s+${veth.ifname}\\s+${veth.ifindex}\\s+${veth.link_index}\\s+veth\\s+1500\\s+kcni0`),
  )
})

test('vethOf in the mtu-mismatch state: mtuMismatch and a warning that names 9000 and 1500', async () => {
  const { session } = fakeNetSession(route('ip-link-pod-client-mtu9000.json', 'ip-link-veth-client-mtu9000.json'))
  const r = await vethOf(session, 'shop/client')
  assert.ok(r.mtuMismatch)
  assert.match(
    inspect(r, { colors: false }),
    `warning: MTU mismatch: pod eth0 9000, host ${veth.ifname} 9000, bridge kcni0 1500`,
  )
})

test('vethOf of a hostNetwork pod: an explanation, nothing run on the node', async () => {
  const pods = labPods()
  pods.get('shop/client')!.spec.hostNetwork = true
  const { session, calls } = fakeNetSession(route(), pods)
  const r = await vethOf(session, 'client')
  assert.is(r.status, 'hostNetwork')
  assert.match(r.explanation!, /uses hostNetwork: it has no veth, its interfaces are the node's own/)
  assert.is(calls.length, 0)
  assert.match(inspect(r, { colors: false }), /hostNetwork/)
})

test('vethOf options are validated', async () => {
  const { session } = fakeNetSession(route())
  const bad: [unknown, RegExp][] = [
    [{ ifname: 'a b' }, /^ifname: expected an interface name/],
    [{ ifname: 'x'.repeat(16) }, /^ifname: expected an interface name/],
    [null, /^options: expected an object of options \(ifname\), received null$/],
    [{ ifnmae: 'eth0' }, /^options: unknown option "ifnmae" \(did you mean ifname\?\); the options are ifname$/],
  ]
  for (const [opts, re] of bad) {
    try {
      await vethOf(session, 'client', opts as never)
      assert.unreachable()
    } catch (e) {
      assert.instance(e, NetError)
      assert.is((e as NetError).kind, 'invalid')
      assert.match((e as NetError).message, re)
    }
  }
})

test.run()
