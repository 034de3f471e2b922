// enterNetns against the lab: every running pod, checked against kubectl and crictl/nsenter done by hand.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { inspect } from 'node:util'
import { enterNetns } from '../../src/net/netns.ts'
import { NetError } from '../../src/net/errors.ts'
import { labPaths } from '../lab/layout.ts'
import { ENV, agree, closeSession, crictlPid, labSession, podByHand, runningPods, sshOk } from './labkit.ts'
import { NODES } from '../lab/layout.ts'
import { installPresenters } from '../../src/render/presenters.ts'

installPresenters() // results print as tables, as in the shell

const session = await labSession()
test.after(() => session.close())

test('every running pod: the netns handle sees the pod IP kubectl reports, through the PID crictl gives by hand', async () => {
  const pods = runningPods()
  assert.ok(pods.length >= 7, `expected the lab's pods, got ${pods.map((p) => p.key).join(', ')}`)
  for (const p of pods) {
    await agree(async () => {
      const h = await enterNetns(session, p.key)
      assert.equal([h.pod, h.node, h.method], [p.key, p.node, 'crictl'])
      assert.is(h.pid, crictlPid(p.containerId, p.node), p.key)
      const addrs = await h.$`ip -j addr show dev eth0`.json<{ addr_info: { family: string; local: string }[] }[]>()
      assert.equal(
        addrs[0].addr_info.filter((a) => a.family === 'inet').map((a) => a.local),
        [p.ip],
        p.key,
      )
    })
  }
})

test('distroless pod (no shell, no ip): commands use the node tools; netlink shows only the pod interfaces while /sys shows the node', async () => {
  const pod = podByHand('shop', 'distroless')
  const h = await enterNetns(session, 'shop/distroless')
  const links = await h.$`ip -j link`.json<{ ifname: string }[]>()
  assert.equal(links.map((l) => l.ifname).sort(), ['eth0', 'lo'])
  // the pitfall: sysfs belongs to the mount namespace, which nsenter -n does not change
  const sys = await h.$`ls /sys/class/net`.lines()
  assert.ok(sys.includes('kcni0'), `expected the node's kcni0 under /sys in the pod netns, got ${sys.join(' ')}`)
  const route = await h.$`ip -j route show default`.json<{ gateway: string }[]>()
  assert.is(route[0].gateway, pod.ip.replace(/\.\d+$/, '.1'), "the node's bridge address is the pod's gateway")
  // the same by hand: nsenter with the PID crictl gives, on the pod's node
  const byHand = JSON.parse(sshOk(`nsenter -t ${pod.pid} -n ip -j addr show dev eth0`, pod.node))
  assert.is(byHand[0].addr_info[0].local, pod.ip)
  assert.equal((await h.$`ip -j addr show dev eth0`.json<any[]>())[0].address, byHand[0].address)
  assert.match(inspect(h, { colors: false }), new RegExp(`shop/distroless\\s+${pod.node}\\s+\\d+\\s+crictl`))
})

test("a second enterNetns is served from the cache (checked against /proc/PID/cgroup on the pod's node); the cgroup names the pod UID", async () => {
  const { uid, node } = podByHand('shop', 'client')
  const a = await enterNetns(session, 'client')
  const b = await enterNetns(session, 'client')
  assert.ok(b.cached)
  assert.is(b.pid, a.pid)
  assert.is(b.node, node)
  assert.ok(sshOk(`cat /proc/${b.pid}/cgroup`, node).includes(`pod${uid}`))
})

test('errors on the real cluster: unknown pod (with a suggestion), unreachable node', async () => {
  try {
    await enterNetns(session, 'shop/web')
    assert.unreachable()
  } catch (e) {
    assert.instance(e, NetError)
    assert.is((e as NetError).kind, 'notfound')
    assert.match((e as NetError).hint!, /shop\/web-/)
  }
  // a config whose node rule points at a closed port, and no node pods allowed without a terminal to ask on: the
  // helper names the node and why each transport did not reach it, one line each
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kinspect-net-e2e-'))
  const rc = path.join(dir, '.recipes')
  fs.writeFileSync(
    rc,
    `context: kinspect-lab\nnamespace: shop\nnodes:\n  - match: "lab-*"\n    user: root\n    port: 9\n    identityFile: ${labPaths().identity}\n`,
  )
  const bad = await labSession({ ...ENV, KINSPECT_CONFIG: rc })
  const node = podByHand('shop', 'client').node
  try {
    await enterNetns(bad, 'client')
    assert.unreachable()
  } catch (e) {
    assert.instance(e, NetError, String(e))
    assert.is((e as NetError).kind, 'unreachable')
    const lines = (e as Error).message.split('\n')
    assert.is(
      lines[0],
      `node ${node} (where shop/client runs) is unreachable: no transport reaches node ${node} (tried ssh, pod):`,
    )
    assert.match(lines[1], new RegExp(`^ssh: cannot connect to ${node} \\(\\S+:9\\): `))
    assert.is(
      lines[2],
      `pod: creating a privileged node pod on ${node} needs consent, and there is no terminal to ask on`,
    )
    assert.match(
      (e as NetError).hint!,
      'pod: pass --yes to allow node pods for this run, or set nodeAccess pods: always in .recipes',
    )
  } finally {
    await bad.close()
    fs.rmSync(dir, { recursive: true, force: true })
  }
})

test('every node command went over the expected transport, and closing the session leaves no node pod', () =>
  closeSession(
    session,
    NODES.map((n) => n.name),
  ))

test.run()
