// recipes/image-pull.md on the lab: with image-missing on, shop/image-missing's pull is classified "registry
// unreachable" (lab-2 has no route out) and shop/image-never's as "policy" (ErrImageNeverPull), checked by
// faultchecks-node.ts as the node-pod run is; with it off nothing fails. The fault is always turned off again.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { runRecipeJson } from './faultchecks.ts'
import { imageMissing } from './faultchecks-node.ts'
import { failures, kinspectRun, scenario, stepFindings } from './lab.ts'

test.after(async () => {
  await scenario('image-missing', 'off') // ALWAYS leave the lab healthy, even when an assertion failed
})

test("image-missing on: the pull error is classified with the kubelet's message as evidence; Never is a policy failure", async () => {
  try {
    await scenario('image-missing', 'on')
    imageMissing(await runRecipeJson('image-pull', [], 1))
    // One pod by name, in text form.
    const one = await kinspectRun('image-pull', ['--pod', 'shop/image-never', '--ssh', 'false'])
    assert.is(one.code, 1, one.err)
    assert.match(one.out, /FAIL +shop\/image-never\/app: ErrImageNeverPull, policy:/)
    assert.not.match(one.out, 'registry.invalid')
  } finally {
    await scenario('image-missing', 'off')
  }
})

test('image-missing off: no pod waits on an image, nothing fails (exit 0)', async () => {
  const { code, report, err } = await kinspectRun('image-pull', ['-o', 'json'])
  assert.ok(report, err)
  assert.equal(failures(report!), [])
  assert.is(code, 0, err)
  assert.is(stepFindings(report!, 'Pick the pods')[0].message, 'no pod in namespace shop is waiting on an image')
})

test.run()
