// recipes/node.md on the lab: with node-notready on (kubelet stopped, SSH still up) it fails on the Ready
// condition and on the kubelet process (checked by faultchecks-node.ts, with the node-pod run's NOT SEEN); with the
// fault off it reports nothing failing. Always turned off again.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
// node-notready acts on lab-2 by default; lab-1 and lab-3 stay Ready.
const NODE = 'lab-2'
import { runRecipeJson } from './faultchecks.ts'
import { nodeNotReady } from './faultchecks-node.ts'
import { failures, kinspectRun, scenario, stepFindings } from './lab.ts'

test.after(async () => {
  await scenario('node-notready', 'off') // ALWAYS leave the lab healthy, even when an assertion failed
})

test('node-notready on: NotReady (Ready=Unknown) and "kubelet is not running" fail, with their evidence', async () => {
  try {
    await scenario('node-notready', 'on')
    nodeNotReady(await runRecipeJson('node', ['--node', NODE], 1), 'ssh')
  } finally {
    await scenario('node-notready', 'off')
  }
})

test('node-notready off: the recipe reports nothing failing on every node (exit 0)', async () => {
  const { code, report, err } = await kinspectRun('node', ['-o', 'json'])
  assert.ok(report, err)
  assert.equal(failures(report!), [])
  assert.is(code, 0, err)
  assert.ok(stepFindings(report!, 'Conditions').every((f) => f.severity === 'ok'))
  // Every node of the lab is checked, the one the fault was on among them.
  const kubelets = stepFindings(report!, 'Is the kubelet running?').map((f) => f.message)
  for (const n of ['lab-1', 'lab-2', 'lab-3'])
    assert.ok(
      kubelets.some((m) => m.includes(`the kubelet runs on ${n}`)),
      `${n}: ${kubelets.join(' | ')}`,
    )
  assert.match(stepFindings(report!, 'Kubelet client certificate')[0].message, /expires in \d+ days/)
})

test.run()
