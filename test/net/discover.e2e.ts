// PID discovery's label paths against the lab's upstream crictl: a container restarted after the pod status was
// read (crictl ps --name --label), and a crash-looping pod with no running container (crictl pods --label, inspectp).
// Each pod is made here, in its own namespace, and removed afterwards; every PID is checked by hand over ssh.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawnSync } from 'node:child_process'
import { discoverPid } from '../../src/net/discover.ts'
import { enterNetns } from '../../src/net/netns.ts'
import { podRef, rootOn } from '../../src/net/pods.ts'
import { labPaths } from '../lab/layout.ts'
import { IMAGES } from '../lab/manifests.ts'
import { closeSession, kjson, kubectl, labSession, sshOk } from './labkit.ts'

const NS = 'kinspect-e2e-discover'
const session = await labSession()

/** A command on a given node as root, by hand (the manual procedure); must succeed. */
function onNode(node: string, cmd: string): string {
  return sshOk(cmd, node)
}
const nodesUsed = new Set<string>()

async function until<T>(what: string, fn: () => T | undefined, timeoutMs = 90_000): Promise<T> {
  const t0 = Date.now()
  for (;;) {
    const v = fn()
    if (v !== undefined) return v
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 1000))
  }
}

const pod = (name: string, command: string[]) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: NS },
  spec: {
    terminationGracePeriodSeconds: 0,
    containers: [{ name: 'main', image: IMAGES.busybox, imagePullPolicy: 'Never', command }],
  },
})

test.before(() => {
  spawnSync('kubectl', [
    '--kubeconfig',
    labPaths().kubeconfig,
    'delete',
    'namespace',
    NS,
    '--ignore-not-found',
    '--wait=true',
    '--timeout=60s',
  ])
  kubectl('create', 'namespace', NS)
  const list = {
    apiVersion: 'v1',
    kind: 'List',
    items: [pod('sleeper', ['sleep', '3600']), pod('crasher', ['sh', '-c', 'echo crashing; exit 3'])],
  }
  const r = spawnSync('kubectl', ['--kubeconfig', labPaths().kubeconfig, 'apply', '-f', '-'], {
    input: JSON.stringify(list),
    encoding: 'utf8',
  })
  assert.is(r.status, 0, r.stderr)
})

test.after(async () => {
  spawnSync('kubectl', [
    '--kubeconfig',
    labPaths().kubeconfig,
    'delete',
    'namespace',
    NS,
    '--ignore-not-found',
    '--wait=false',
  ])
  await session.close()
})

test("the node's crictl is upstream cri-tools, and it filters by label", async () => {
  const p = await until('sleeper Running', () => {
    const o = kjson('get', 'pod', '-n', NS, 'sleeper')
    return o.status.containerStatuses?.[0]?.state?.running ? o : undefined
  })
  assert.match(onNode(p.spec.nodeName, 'crictl --version'), /^crictl version 1\.37\.0$/m)
  const byLabel = onNode(p.spec.nodeName, `crictl ps -q --label io.kubernetes.pod.uid=${p.metadata.uid}`).trim()
  assert.is(byLabel, p.status.containerStatuses[0].containerID.replace(/^containerd:\/\//, ''))
})

test('container restarted after the status was read: the old ID is exited, crictl ps --name --label finds the new one', async () => {
  const before = kjson('get', 'pod', '-n', NS, 'sleeper')
  const node = before.spec.nodeName as string
  nodesUsed.add(node)
  const oldId = (before.status.containerStatuses[0].containerID as string).replace(/^containerd:\/\//, '')
  onNode(node, `crictl stop --timeout 0 ${oldId}`) // the container exits; the kubelet starts a new one
  const after = await until('sleeper restarted and Running', () => {
    const o = kjson('get', 'pod', '-n', NS, 'sleeper')
    const c = o.status.containerStatuses?.[0]
    return c?.restartCount >= 1 && c.state?.running && !c.containerID.endsWith(oldId) ? o : undefined
  })
  const newId = (after.status.containerStatuses[0].containerID as string).replace(/^containerd:\/\//, '')
  // The pod as it was read before the restart: its status still names the old container as running.
  const stale = structuredClone(after)
  stale.status.containerStatuses[0].containerID = `containerd://${oldId}`
  const found = await discoverPid(rootOn(session, node), podRef(stale))
  assert.is(found.method, 'crictl')
  assert.is(found.containerId, newId)
  assert.is(found.pid, JSON.parse(onNode(node, `crictl inspect ${newId}`)).info.pid)
  assert.equal(
    found.attempts.map((a) => [a.ok, a.what]),
    [
      [false, `crictl inspect ${oldId}`],
      [true, `crictl inspect ${newId}`],
    ],
  )
  assert.match(found.attempts[0].detail, /^container [0-9a-f]{13} is not running \(state CONTAINER_EXITED\)$/)
  // the PID's cgroup names the pod, and it is the new container's process
  assert.ok(onNode(node, `cat /proc/${found.pid}/cgroup`).includes(newId))
})

test('crash-looping pod (no running container): crictl pods --label finds the sandbox, enterNetns enters through its pause process', async () => {
  const p = await until('crasher in CrashLoopBackOff', () => {
    const o = kjson('get', 'pod', '-n', NS, 'crasher')
    return o.status.containerStatuses?.[0]?.state?.waiting?.reason === 'CrashLoopBackOff' && o.status.podIP
      ? o
      : undefined
  })
  const node = p.spec.nodeName as string
  nodesUsed.add(node)
  const sandbox = onNode(node, `crictl pods -q --state ready --label io.kubernetes.pod.uid=${p.metadata.uid}`).trim()
  assert.match(sandbox, /^[0-9a-f]{64}$/)
  const h = await enterNetns(session, `${NS}/crasher`)
  assert.equal([h.node, h.method, h.containerId], [node, 'crictl', sandbox])
  assert.is(h.detail, `sandbox ${sandbox.slice(0, 13)} (crictl inspectp)`)
  assert.is(h.pid, JSON.parse(onNode(node, `crictl inspectp ${sandbox}`)).info.pid)
  // inside: the pod's own address, as kubectl reports it, and by hand with nsenter on the same PID
  const addrs = await h.$`ip -j addr show dev eth0`.json<{ addr_info: { family: string; local: string }[] }[]>()
  assert.equal(
    addrs[0].addr_info.filter((a) => a.family === 'inet').map((a) => a.local),
    [p.status.podIP],
  )
  const byHand = JSON.parse(onNode(node, `nsenter -t ${h.pid} -n ip -j addr show dev eth0`))
  assert.is(byHand[0].addr_info.find((a: { family: string }) => a.family === 'inet').local, p.status.podIP)
})

test('every node command went over the expected transport, and closing the session leaves no node pod', () =>
  closeSession(session, [...nodesUsed]))

test.run()
