// The fleet's DaemonSet on the lab's three real nodes without SSH (nodeAccess transports: [pod], fleet.daemonSetAbove
// 2): `kinspect fleet --yes` makes exactly one DaemonSet, every node answers its own name through it, and nothing is
// left; --dry-run names it and makes nothing; without --yes and a terminal nothing is made; the fleet() global reuses
// it and the session deletes it; a DaemonSet whose pods cannot start fails each node by name; Ctrl-C ends the commands
// and deletes it; kill -9, then `kinspect gc` deletes it.
// Run under the lab lock: flock -w 3600 /tmp/kinspect-lab-e2e.lock node --import tsx test/fleet/daemonset.e2e.ts
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { bindFleet } from '../../src/fleet/index.ts'
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import { IMAGES } from '../lab/manifests.ts'
import { inNode } from '../lab/nodes.ts'
import { NET, labPaths } from '../lab/layout.ts'
import {
  config,
  envFor,
  kinspect,
  kinspectPods,
  kubectl,
  noPodsLeft,
  session,
  sleeping,
  until,
} from '../access/labkit.ts'

const NODES = ['lab-1', 'lab-2', 'lab-3']
const FLEET = 'fleet:\n  daemonSetAbove: 2\n'
const ASK = config('ds-ask', `transports: [pod]\npods: ask\nimage: ${IMAGES.nodePod}`, { nodes: FLEET })
const ALWAYS = config('ds-always', `transports: [pod]\npods: always\nimage: ${IMAGES.nodePod}`, { nodes: FLEET })
const SSH_RULE = `nodes:\n  - match: "lab-?"\n    user: root\n    port: ${NET.sshPort}\n    identityFile: ${labPaths().identity}\n`
const WITH_SSH = config('ds-ssh', `transports: [ssh, pod]\npods: always\nimage: ${IMAGES.nodePod}`, {
  nodes: FLEET + SSH_RULE,
})
const NO_IMAGE = config('ds-no-image', 'transports: [pod]\npods: always\nimage: kinspect.local/no-such-image:1', {
  nodes: FLEET,
})

/** The node's own name as its UTS namespace says (by hand, no kinspect): lab-1 is this machine, whose name differs. */
function unameOn(node: string): string {
  const [bin, ...args] = inNode(node, ['uname', '-n'])
  return spawnSync(bin, args, { encoding: 'utf8', timeout: 30_000 }).stdout
}

/** kinspect's DaemonSets in the lab (namespace/name), including those being deleted. */
function daemonSets(): string[] {
  const items = JSON.parse(
    kubectl('get', 'daemonsets', '-A', '-l', 'app.kubernetes.io/managed-by=kinspect', '-o', 'json'),
  ).items as { metadata: { namespace: string; name: string } }[]
  return items.map((d) => `${d.metadata.namespace}/${d.metadata.name}`)
}

/** Waits until no kinspect DaemonSet is left; those left when it gives up. */
async function noDaemonSetsLeft(timeoutMs = 30_000): Promise<string[]> {
  let left = daemonSets()
  const end = Date.now() + timeoutMs
  while (left.length && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 500))
    left = daemonSets()
  }
  return left
}

/** Samples kinspect's DaemonSets and pods every 300 ms until stopped: every name seen. */
function watch(): { stop: () => { sets: Set<string>; pods: Set<string> } } {
  const sets = new Set<string>()
  const pods = new Set<string>()
  let on = true
  void (async () => {
    while (on) {
      for (const d of daemonSets()) sets.add(d)
      for (const p of kinspectPods()) pods.add(p)
      await new Promise((r) => setTimeout(r, 300))
    }
  })()
  return { stop: () => ((on = false), { sets, pods }) }
}

test.before(() => {
  assert.equal(kinspectPods(), [], 'kinspect pods left from an earlier run')
  assert.equal(daemonSets(), [], 'kinspect DaemonSets left from an earlier run')
})

test('kinspect fleet --yes without SSH on 3 nodes (above 2): one DaemonSet, each node answers its own name through it, nothing left', async () => {
  const w = watch()
  const k = kinspect(['fleet', '--yes', '--timeout', '90s', '-o', 'json', '--', 'uname', '-n'], envFor(ASK), {
    stdin: 'ignore',
  })
  const code = await k.exited
  const seen = w.stop()
  assert.is(code, 0, k.err())
  const r = JSON.parse(k.out()) as {
    ok: boolean
    results: { node: string; transport: string; stdout: string; ok: boolean }[]
  }
  assert.ok(r.ok)
  assert.equal(
    r.results.map((x) => [x.node, x.transport, x.stdout]),
    NODES.map((n) => [n, 'daemonset', unameOn(n)]),
  )
  assert.equal(new Set(r.results.map((x) => x.stdout)).size, 3, 'three different answers: each ran on its own node')
  assert.is(seen.sets.size, 1, `DaemonSets seen during the run: ${[...seen.sets].join(', ')}`)
  const [ds] = [...seen.sets]
  assert.match(ds, /^kube-system\/kinspect-fleet-[a-z0-9]{5}$/)
  const own = [...seen.pods].filter((p) => p.startsWith('kube-system/kinspect-node-'))
  assert.equal(own, [], 'no node pod of its own was made')
  assert.match(k.err(), new RegExp(`deleted daemonset/${ds.split('/')[1]}`))
  assert.equal(daemonSets(), [], 'the DaemonSet is gone when kinspect exits')
  assert.equal(await noPodsLeft(), [])
})

test('where SSH applies, a fleet over 3 nodes (above 2) makes no DaemonSet: every node over SSH', async () => {
  const w = watch()
  const k = kinspect(['fleet', '--yes', '-o', 'json', '--', 'uname', '-n'], envFor(WITH_SSH, { ssh: true }), {
    stdin: 'ignore',
  })
  const code = await k.exited
  const seen = w.stop()
  assert.is(code, 0, k.err())
  const r = JSON.parse(k.out()) as { results: { node: string; transport: string; stdout: string }[] }
  assert.equal(
    r.results.map((x) => [x.node, x.transport, x.stdout]),
    NODES.map((n) => [n, 'ssh', unameOn(n)]),
  )
  assert.equal([...seen.sets], [])
  assert.equal([...seen.pods], [])
})

test('kinspect fleet --dry-run names the DaemonSet it would make for the 3 nodes, creates nothing and runs nothing', async () => {
  const k = kinspect(['fleet', '--dry-run', '--', 'touch', '/tmp/kinspect-dry-run-ran'], envFor(ASK), {
    stdin: 'ignore',
  })
  assert.is(await k.exited, 0, k.err())
  for (const n of NODES)
    assert.match(k.out(), new RegExp(`^  ${n}: the fleet's DaemonSet — nodeAccess puts pod first$`, 'm'))
  assert.match(
    k.out(),
    /a DaemonSet would be created in kube-system for 3 nodes: image kinspect\.local\/nodepod:\S+, privileged, host namespaces, containers exit after 1h; created after asking once/,
  )
  assert.equal(daemonSets(), [])
  assert.equal(kinspectPods(), [])
  assert.not.ok(fs.existsSync('/tmp/kinspect-dry-run-ran'), 'the command did not run on lab-1 (this machine)')
})

test('without --yes and without a terminal, no DaemonSet is made: every node fails by name, exit 1', async () => {
  const k = kinspect(['fleet', '--timeout', '30s', '--', 'uname', '-n'], envFor(ASK), { stdin: 'ignore' })
  assert.is(await k.exited, 1, k.err())
  assert.match(k.err(), /3 of 3 nodes failed: lab-\[1-3\]/)
  assert.match(k.err(), /needs consent|--yes/)
  assert.equal(daemonSets(), [])
  assert.equal(kinspectPods(), [])
})

test('fleet() in a session: the DaemonSet serves node(x) and a second fleet, the session end deletes it', async () => {
  const s = await session(envFor(ALWAYS))
  try {
    const fleet = bindFleet(s)
    const a = await fleet(NODES).timeout(90_000).$`cat /proc/sys/kernel/hostname`
    assert.ok(a.ok, JSON.stringify(a.errors()))
    assert.equal(
      a.results.map((x) => [x.transport, x.stdout]),
      NODES.map((n) => ['daemonset', unameOn(n)]),
    )
    const sets = daemonSets()
    assert.is(sets.length, 1)
    assert.is(s.node('lab-2').via, 'daemonset')
    assert.is((await s.node('lab-2').$`uname -n`).stdout, unameOn('lab-2'))
    const b = await fleet(NODES).$`true`
    assert.ok(b.ok)
    assert.equal(daemonSets(), sets, 'the second fleet reuses the DaemonSet')
    const pods = kinspectPods()
    assert.is(pods.length, 3, pods.join(', '))
    assert.ok(
      pods.every((p) => p.startsWith(`${sets[0]}-`)),
      pods.join(', '),
    )
  } finally {
    const report = await s.shutdown()
    assert.ok(
      report.deleted.some((d) => /^daemonset\/kinspect-fleet-/.test(d)),
      JSON.stringify(report),
    )
  }
  assert.equal(daemonSets(), [])
  assert.equal(await noPodsLeft(), [])
})

test('pods that cannot start (an image that does not exist): each node fails by name and class, not the fleet; nothing left', async () => {
  const k = kinspect(['fleet', '--timeout', '60s', '-o', 'json', '--', 'true'], envFor(NO_IMAGE), { stdin: 'ignore' })
  assert.is(await k.exited, 1, k.err())
  const r = JSON.parse(k.out()) as { results: { node: string; ok: boolean; error?: string; message?: string }[] }
  assert.equal(
    r.results.map((x) => [x.node, x.ok, x.error]),
    NODES.map((n) => [n, false, 'unreachable']),
  )
  for (const x of r.results)
    assert.match(x.message!, /image kinspect\.local\/no-such-image:1 cannot be pulled/, JSON.stringify(r.results))
  assert.equal(await noDaemonSetsLeft(), [])
  assert.equal(await noPodsLeft(60_000), [])
})

test('Ctrl-C (SIGINT) during a DaemonSet fleet: the commands end on every node within 2 s, the DaemonSet is deleted, exit 130', async () => {
  const k = kinspect(['fleet', '--timeout', '300s', '--', 'sleep', '347.8'], envFor(ALWAYS), { stdin: 'ignore' })
  assert.ok(await until(() => NODES.every((n) => sleeping(n, '347.8')), 120_000), k.err())
  assert.is(daemonSets().length, 1)
  const t0 = Date.now()
  k.child.kill('SIGINT')
  assert.ok(
    await until(() => NODES.every((n) => !sleeping(n, '347.8')), 2000),
    `sleep still runs ${Date.now() - t0} ms after SIGINT`,
  )
  assert.is(await k.exited, 130, k.err())
  assert.match(k.err(), /deleted daemonset\/kinspect-fleet-\w{5} and its pods/)
  assert.equal(daemonSets(), [])
  assert.equal(await noPodsLeft(), [])
})

test('kill -9 during a DaemonSet fleet: the DaemonSet stays; kinspect gc deletes it, and its pods go with it', async () => {
  const k = kinspect(['fleet', '--timeout', '300s', '--', 'sleep', '347.7'], envFor(ALWAYS), { stdin: 'ignore' })
  assert.ok(await until(() => NODES.every((n) => sleeping(n, '347.7')), 120_000), k.err())
  k.child.kill('SIGKILL')
  await k.exited
  const left = daemonSets()
  assert.is(left.length, 1, left.join(', '))
  const name = left[0].split('/')[1]
  const dry = kinspect(['gc', '--dry-run'], envFor(ALWAYS), { stdin: 'ignore' })
  assert.is(await dry.exited, 0, dry.err())
  assert.match(
    dry.out(),
    new RegExp(
      `^kube-system\\s+daemonset/${name}\\s+3 nodes\\s+\\w+\\s+would delete\\s+its session \\(pid ${k.child.pid} on `,
      'm',
    ),
  )
  assert.equal(daemonSets(), left, '--dry-run deletes nothing')
  const gc = kinspect(['gc'], envFor(ALWAYS), { stdin: 'ignore' })
  assert.is(await gc.exited, 0, gc.err())
  assert.match(gc.out(), new RegExp(`daemonset/${name}\\s+3 nodes\\s+\\w+\\s+deleted`))
  assert.equal(await noDaemonSetsLeft(), [])
  assert.equal(await noPodsLeft(60_000), [])
  assert.ok(await until(() => NODES.every((n) => !sleeping(n, '347.7')), 30_000), 'the commands ended with the pods')
})

test.after(async () => {
  // Leave the lab clean whatever failed above: what a killed kinspect left (gc), then any DaemonSet still there.
  await kinspect(['gc'], envFor(ALWAYS), { stdin: 'ignore' }).exited
  for (const d of daemonSets()) kubectl('delete', 'daemonset', '-n', d.split('/')[0], d.split('/')[1], '--wait=false')
  await noDaemonSetsLeft()
})

test.run()
