// The workload scenarios are real breaks: on (twice: idempotent), check with plain tools, off, check nothing is left.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { kubectl, kubectlJSON, workloadsReady } from './lab.ts'
import { inNode, nodeRun } from './nodes.ts'
import { crictl } from './probe.ts'
import { nodePaths } from './layout.ts'
import { scenario } from './scenarios.ts'
import {
  IMAGE_NODE,
  MISSING_IMAGE,
  NEVER_IMAGE,
  OOM_NODE,
  PENDING_TAINT,
  WORKLOAD_FAULTS,
  containerStatus,
  progressing,
  scheduled,
} from './faults/workloads.ts'
import { run, waitFor } from './sh.ts'

const exists = (kind: string, name: string) => kubectl(['get', kind, name, '-n', 'shop'], { ok: true }).code === 0
const eventsFor = (name: string) =>
  kubectl([
    'get',
    'events',
    '-n',
    'shop',
    '--field-selector',
    `involvedObject.name=${name}`,
    '-o',
    'custom-columns=REASON:.reason,MESSAGE:.message',
    '--no-headers',
  ]).stdout
const taintsOf = (node: string) =>
  (kubectlJSON(['get', 'node', node]).spec?.taints ?? []) as { key: string; value?: string; effect: string }[]

test.after(async () => {
  const failed: string[] = []
  for (const s of WORKLOAD_FAULTS) {
    try {
      await scenario(s.name, 'off')
    } catch (e) {
      failed.push(`${s.name}: ${(e as Error).message}`)
    }
  }
  if (failed.length) throw new Error(`could not turn off: ${failed.join('; ')}`)
})

test('pending-resources: shop/pending-big asks for 64 CPUs; the scheduler finds no node with that much and says so', async () => {
  await scenario('pending-resources', 'on')
  await scenario('pending-resources', 'on') // idempotent
  const pod = kubectlJSON(['get', 'pod', 'pending-big', '-n', 'shop'])
  assert.is(pod.status.phase, 'Pending')
  assert.is(pod.spec.nodeName, undefined)
  assert.match(
    scheduled('shop', 'pending-big'),
    /^False\/Unschedulable: 0\/\d+ nodes are available: .*\b3 Insufficient cpu/,
  )
  const allocatable = (kubectlJSON(['get', 'nodes', '-l', 'kinspect.dev/lab-role!=ssh-only']).items as any[]).map((n) =>
    Number(n.status.allocatable.cpu),
  )
  assert.ok(
    allocatable.every((c) => c < 64),
    `every node has fewer than 64 CPUs allocatable: ${allocatable}`,
  )
  await waitFor(
    'a FailedScheduling event',
    () => /FailedScheduling +0\/\d+ nodes are available/.test(eventsFor('pending-big')),
    10_000,
  )
  await scenario('pending-resources', 'off')
  assert.not.ok(exists('pod', 'pending-big'))
})

test('pending-taint: the node gets a NoSchedule taint, the pod pinned to it stays Pending, what ran there keeps running; off removes both', async () => {
  const node = 'lab-3'
  const before = (kubectlJSON(['get', 'pods', '-A', '--field-selector', `spec.nodeName=${node}`]).items as any[])
    .map((p) => p.metadata.uid)
    .sort()
  await scenario('pending-taint', 'on')
  await scenario('pending-taint', 'on') // idempotent
  assert.equal(
    taintsOf(node).filter((t) => t.key === PENDING_TAINT.key),
    [{ key: PENDING_TAINT.key, value: PENDING_TAINT.value, effect: 'NoSchedule' }],
  )
  assert.match(
    scheduled('shop', 'pending-taint'),
    /^False\/Unschedulable: 0\/\d+ nodes are available: 1 node\(s\) had untolerated taint \{kinspect\.dev\/pending-taint: demo\}, 2 node\(s\) didn't match Pod's node affinity\/selector/,
  )
  const after = (kubectlJSON(['get', 'pods', '-A', '--field-selector', `spec.nodeName=${node}`]).items as any[])
    .filter((p) => p.status.phase === 'Running')
    .map((p) => p.metadata.uid)
    .sort()
  assert.equal(after, before, 'NoSchedule evicts nothing: the same pods still run there')
  await scenario('pending-taint', 'off')
  assert.equal(
    taintsOf(node).filter((t) => t.key === PENDING_TAINT.key),
    [],
  )
  assert.not.ok(exists('pod', 'pending-taint'))
})

test('oomkill: shop/memhog is killed by its memory cgroup (OOMKilled, 137), the kernel logs it and the pod cgroup counts limit hits', async () => {
  await scenario('oomkill', 'on')
  await scenario('oomkill', 'on') // idempotent
  const st = containerStatus('shop', 'memhog')
  assert.ok(st.restartCount >= 1, `restartCount ${st.restartCount}`)
  assert.is(st.lastState.terminated.reason, 'OOMKilled')
  assert.is(st.lastState.terminated.exitCode, 137)
  const pod = kubectlJSON(['get', 'pod', 'memhog', '-n', 'shop'])
  assert.is(pod.spec.nodeName, OOM_NODE)
  // On the node: the exited containers (crictl), the kernel's oom-kill line for this pod's cgroup, the cgroup's counters.
  const exited = JSON.parse(crictl(OOM_NODE, ['ps', '-a', '--name', '^hog$', '-o', 'json'])).containers as any[]
  assert.ok(
    exited.some((c) => c.state === 'CONTAINER_EXITED'),
    JSON.stringify(exited.map((c) => c.state)),
  )
  const uid = pod.metadata.uid
  const dmesg = run(inNode(OOM_NODE, ['dmesg'])).stdout
  assert.match(
    dmesg,
    new RegExp(
      `oom-kill:constraint=CONSTRAINT_MEMCG.*oom_memcg=\\S*/kubepods/(burstable/|besteffort/)?pod${uid}.*task=dd`,
    ),
  )
  const cg = `/sys/fs/cgroup/memory${nodePaths(OOM_NODE).cgroupRoot.replace(/\/$/, '')}/kubepods/pod${uid}`
  const [maxUsage, failcnt, limit] = nodeRun(OOM_NODE, [
    'cat',
    `${cg}/memory.max_usage_in_bytes`,
    `${cg}/memory.failcnt`,
    `${cg}/memory.limit_in_bytes`,
  ])
    .stdout.trim()
    .split('\n')
    .map(Number)
  assert.is(limit, 32 * 1024 * 1024)
  assert.ok(maxUsage >= limit * 0.95, `peak ${maxUsage} reaches the limit ${limit}`)
  assert.ok(failcnt > 0, `failcnt ${failcnt}`)
  await scenario('oomkill', 'off')
  assert.not.ok(exists('pod', 'memhog'))
})

test('image-missing: the pull of a reserved name fails on the node (network unreachable: nothing leaves), the Never pod waits with ErrImageNeverPull', async () => {
  await scenario('image-missing', 'on')
  await scenario('image-missing', 'on') // idempotent
  const missing = containerStatus('shop', 'image-missing')
  assert.ok(['ErrImagePull', 'ImagePullBackOff'].includes(missing.state.waiting.reason), missing.state.waiting.reason)
  await waitFor('the pull error event', () => eventsFor('image-missing').includes('Failed to pull image'), 10_000)
  assert.match(
    eventsFor('image-missing'),
    /Failed to pull image "registry\.invalid\/kinspect\/missing:1\.0": .*lookup registry\.invalid on [\d.]+:53: .*network is unreachable/,
  )
  const never = containerStatus('shop', 'image-never')
  assert.is(never.state.waiting.reason, 'ErrImageNeverPull')
  assert.match(never.state.waiting.message, `Container image "${NEVER_IMAGE}" is not present with pull policy of Never`)
  const images = crictl(IMAGE_NODE, ['images'])
  assert.not.match(images, 'registry.invalid')
  assert.not.match(images, 'kinspect.local/missing')
  assert.is(
    kubectl(['get', 'pod', 'image-missing', '-n', 'shop', '-o', 'jsonpath={.spec.containers[0].image}']).stdout,
    MISSING_IMAGE,
  )
  await scenario('image-missing', 'off')
  assert.not.ok(exists('pod', 'image-missing'))
  assert.not.ok(exists('pod', 'image-never'))
})

test('rollout-stuck: v2 of shop/checkout never becomes ready, v1 keeps serving, the deadline turns Progressing False', async () => {
  await scenario('rollout-stuck', 'on')
  await scenario('rollout-stuck', 'on') // idempotent: does not roll back to v1
  assert.is(progressing('shop', 'checkout'), 'False/ProgressDeadlineExceeded')
  const rs = (kubectlJSON(['get', 'rs', '-n', 'shop', '-l', 'app=checkout']).items as any[])
    .map((r) => [r.spec.template.metadata.labels.version, r.spec.replicas, r.status.readyReplicas ?? 0])
    .sort()
  assert.equal(rs, [
    ['v1', 2, 2],
    ['v2', 1, 0],
  ])
  const v2 = (kubectlJSON(['get', 'pods', '-n', 'shop', '-l', 'app=checkout,version=v2']).items as any[])[0]
  assert.is(v2.status.phase, 'Running')
  assert.is(v2.status.containerStatuses[0].ready, false)
  await waitFor(
    'a readiness failure event',
    () => /Unhealthy +Readiness probe failed: cat: can't open '\/tmp\/ready'/.test(eventsFor(v2.metadata.name)),
    10_000,
  )
  await scenario('rollout-stuck', 'off')
  assert.not.ok(exists('deployment', 'checkout'))
})

test('after every workload scenario is off the lab is healthy and shop holds only its own pods', () => {
  assert.ok(workloadsReady())
  const names = (kubectlJSON(['get', 'pods', '-n', 'shop']).items as any[]).map((p) =>
    p.metadata.name.replace(/-[a-z0-9]+-[a-z0-9]+$/, ''),
  )
  assert.equal([...new Set(names)].sort(), ['client', 'distroless', 'ndots', 'web'])
})

test.run()
