// enterNetns against the lab: every running pod, checked against kubectl and crictl/nsenter done by hand.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { inspect } from 'node:util'
import { enterNetns } from '../../src/net/netns.ts'
import { NetError } from '../../src/net/errors.ts'
import { labPaths, NODE } from '../lab/layout.ts'
import { ENV, agree, crictlPid, kjson, labSession, runningPods, sshOk } from './labkit.ts'
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
      assert.equal([h.pod, h.node, h.method], [p.key, NODE, 'crictl'])
      assert.is(h.pid, crictlPid(p.containerId), p.key)
      const addrs = await h.$`ip -j addr show dev eth0`.json<{ addr_info: { family: string; local: string }[] }[]>()
      assert.equal(addrs[0].addr_info.filter((a) => a.family === 'inet').map((a) => a.local), [p.ip], p.key)
    })
  }
})

test('distroless pod (no shell, no ip): commands use the node tools; netlink shows only the pod interfaces while /sys shows the node', async () => {
  const pod = kjson('get', 'pod', '-n', 'shop', 'distroless')
  const h = await enterNetns(session, 'shop/distroless')
  const links = await h.$`ip -j link`.json<{ ifname: string }[]>()
  assert.equal(links.map((l) => l.ifname).sort(), ['eth0', 'lo'])
  // the pitfall: sysfs belongs to the mount namespace, which nsenter -n does not change
  const sys = await h.$`ls /sys/class/net`.lines()
  assert.ok(sys.includes('kcni0'), `expected the node's kcni0 under /sys in the pod netns, got ${sys.join(' ')}`)
  const route = await h.$`ip -j route show default`.json<{ gateway: string }[]>()
  assert.is(route[0].gateway, '10.244.0.1')
  // the same by hand: nsenter with the PID crictl gives
  const pid = crictlPid(pod.status.containerStatuses[0].containerID.replace(/^containerd:\/\//, ''))
  const byHand = JSON.parse(sshOk(`nsenter -t ${pid} -n ip -j addr show dev eth0`))
  assert.is(byHand[0].addr_info[0].local, pod.status.podIP)
  assert.equal((await h.$`ip -j addr show dev eth0`.json<any[]>())[0].address, byHand[0].address)
  assert.match(inspect(h, { colors: false }), /shop\/distroless\s+lab-1\s+\d+\s+crictl/)
})

test('a second enterNetns is served from the cache (checked against /proc/PID/cgroup); the cgroup names the pod UID', async () => {
  const uid = kjson('get', 'pod', '-n', 'shop', 'client').metadata.uid as string
  const a = await enterNetns(session, 'client')
  const b = await enterNetns(session, 'client')
  assert.ok(b.cached)
  assert.is(b.pid, a.pid)
  assert.ok(sshOk(`cat /proc/${b.pid}/cgroup`).includes(`pod${uid}`))
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
  // a config whose node rule points at a closed port: the helper names the node instead of failing obscurely
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kinspect-net-e2e-'))
  const rc = path.join(dir, '.recipes')
  fs.writeFileSync(rc, `context: kinspect-lab\nnamespace: shop\nnodes:\n  - match: "lab-*"\n    user: root\n    port: 9\n    identityFile: ${labPaths().identity}\n`)
  const bad = await labSession({ ...ENV, KINSPECT_CONFIG: rc })
  try {
    await enterNetns(bad, 'client')
    assert.unreachable()
  } catch (e) {
    assert.instance(e, NetError, String(e))
    assert.is((e as NetError).kind, 'unreachable')
    assert.match((e as Error).message, /node lab-1 \(where shop\/client runs\) is unreachable over SSH/)
  } finally {
    await bad.close()
    fs.rmSync(dir, { recursive: true, force: true })
  }
})

test.run()
