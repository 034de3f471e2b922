// The fault cases of the recipes that read the nodes themselves (conntrack, oom, image-pull, node), with SSH unavailable
// (`lab ssh off`, once for the file): the same findings fail with the same evidence as over SSH (faultchecks-node.ts
// holds both transports to them), read through node pods, and no kinspect pod is left. node-notready stops lab-2's
// kubelet, so nothing can exec into a pod there: the API's findings stand, lab-2's node checks are NOT SEEN with the
// node and why, lab-1 and lab-3 are read, and the exit code follows the findings (1, not 2). Each scenario is switched on once and always off again; ssh always on again.
// conntrack-full comes after the others: right after it, the kubelets may still be reconnecting to the API server.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { labEnvVars, NODE } from '../lab/layout.ts'
import { labSession } from '../net/labkit.ts'
import { runThroughPods } from './faultchecks.ts'
import { connectBefore, conntrackFullInSession, conntrackNewProcess } from './faultchecks-node.ts'
import { imageMissing, nodeNotReady, oomKill } from './faultchecks-node.ts'
import { kinspectCli, kinspectPods, lab, NOSSH, restoreOnSignal } from './lab.ts'
import type { TriageData } from '../../src/triage/types.ts'

const SCENARIOS = ['conntrack-full', 'oomkill', 'image-missing', 'node-notready']
restoreOnSignal(SCENARIOS)

async function withFault(name: string, fn: () => Promise<void>): Promise<void> {
  try {
    lab('scenario', name, 'on')
    await fn()
  } finally {
    lab('scenario', name, 'off')
  }
}

const t0 = Date.now()
test.before(() => {
  assert.equal(kinspectPods(), [], 'kinspect pods left from an earlier run')
  lab('ssh', 'off')
})

test.after(() => {
  lab('ssh', 'on')
  console.log(`# transport-pod-node-faults: ${Math.round((Date.now() - t0) / 1000)} s`)
})

test('ssh off, triage --nodes: every node of shop is read through a node pod, and the report says so (transport "pod", per node); no pod left', async () => {
  const r = await kinspectCli(['triage', '-n', 'shop', '--nodes', '-o', 'json'], NOSSH)
  const report = JSON.parse(r.out) as TriageData
  assert.is(r.code, 0, r.err)
  assert.equal([report.nodeChecks.ran, report.nodeChecks.transport], [true, 'pod'])
  assert.equal(report.nodeChecks.nodes.map((n) => [n.node, n.status, n.via]).sort(), [
    ['lab-1', 'read', 'pod'],
    ['lab-2', 'read', 'pod'],
    ['lab-3', 'read', 'pod'],
  ])
  const text = await kinspectCli(['triage', '-n', 'shop', '--nodes'], NOSSH)
  assert.match(text.out, /^Node checks over pod: read lab-1, lab-2, lab-3$/m)
  assert.equal(kinspectPods(), [], 'triage deleted its node pods')
})

test("ssh off, oomkill on: shop/memhog's kill, its cgroup's peak at the 32 MiB limit and the kernel's CONSTRAINT_MEMCG line, read on lab-2 through a node pod", async () => {
  await withFault('oomkill', async () => {
    oomKill(await runThroughPods('oom', [], 1))
  })
})

test("ssh off, image-missing on: the pulls are classified from the kubelet's messages, and lab-2's runtime, listed through a node pod, has no image named missing", async () => {
  await withFault('image-missing', async () => {
    imageMissing(await runThroughPods('image-pull', [], 1))
  })
})

test('ssh off, conntrack-full on: through a node pod opened before the fault, the full table fails with count/max and rising drops, the kernel\'s "table full" lines, the top destination on lo; a new process is bounded and honest', async () => {
  // As over SSH, an operator's session is open before the table fills: its node pod's agent and its API connections
  // are tracked already. Every node command goes through the pod's one long-lived exec.
  const session = await labSession({ ...process.env, ...labEnvVars(), ...NOSSH })
  try {
    await connectBefore(session)
    assert.is(session.node(NODE).via, 'pod')
    await withFault('conntrack-full', async () => {
      await conntrackFullInSession(session)
      // A new process while the table is full: its API connections may be dropped, so either lab-1 answers (the
      // table-full finding, exit 1) or lab-1 is NOT SEEN with why and nothing is claimed about it (exit 2).
      await conntrackNewProcess(NOSSH)
    })
  } finally {
    const closed = await session.shutdown()
    assert.equal(closed.remaining, [], 'the session deleted its node pod')
  }
  assert.equal(kinspectPods(), [])
})

test("ssh off, node-notready on (lab-2's kubelet stopped): lab-2 is NotReady from the API, its node checks are NOT SEEN naming lab-2 and why, lab-1 and lab-3 are read; exit 1", async () => {
  await withFault('node-notready', async () => {
    nodeNotReady(await runThroughPods('node', [], 1, ['lab-2']), 'pod')
  })
})

test.run()
