// recipes/oom.md on the lab: with oomkill on it fails on shop/memhog's kill (exit 137), the pod cgroup's peak at its
// 32 MiB limit on lab-2 and the kernel's CONSTRAINT_MEMCG line (checked by faultchecks-node.ts, as the node-pod run in
// transport-pod-node-faults.e2e.ts is); with it off nothing fails. The fault is always turned off again.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { runRecipeJson } from './faultchecks.ts'
import { oomKill } from './faultchecks-node.ts'
import { failures, kinspectRun, scenario, stepFindings } from './lab.ts'

test.after(async () => {
  await scenario('oomkill', 'off') // ALWAYS leave the lab healthy, even when an assertion failed
})

test('oomkill on: the kill, the cgroup peak at the limit and the kernel line are failures with their evidence', async () => {
  try {
    await scenario('oomkill', 'on')
    oomKill(await runRecipeJson('oom', [], 1))
  } finally {
    await scenario('oomkill', 'off')
  }
})

test('oomkill off: no OOMKilled container, nothing fails (exit 0)', async () => {
  const { code, report, err } = await kinspectRun('oom', ['-o', 'json'])
  assert.ok(report, err)
  assert.equal(failures(report!), [])
  assert.is(code, 0, err)
  assert.is(stepFindings(report!, 'Pick the pods')[0].message, 'no pod in namespace shop has an OOMKilled container')
})

test.run()
