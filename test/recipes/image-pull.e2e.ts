// recipes/image-pull.md on the lab: with image-missing on, shop/image-missing's pull is classified "registry
// unreachable" (lab-2 has no route out) and shop/image-never's as "policy" (ErrImageNeverPull); with it off nothing
// fails. The fault is always turned off again.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { failures, kinspectRun, scenario, stepFindings } from './lab.ts'

test.after(async () => {
  await scenario('image-missing', 'off') // ALWAYS leave the lab healthy, even when an assertion failed
})

test("image-missing on: the pull error is classified with the kubelet's message as evidence; Never is a policy failure", async () => {
  try {
    await scenario('image-missing', 'on')
    const { code, report, err } = await kinspectRun('image-pull', ['-o', 'json'])
    assert.ok(report, err)
    assert.is(code, 1, `exit code; failures: ${failures(report!).join('\n')}\n${err}`)
    assert.is(
      stepFindings(report!, 'Pick the pods')[0].message,
      '2 pods waiting on an image: shop/image-missing, shop/image-never',
    )
    const ref = stepFindings(report!, 'The image reference')
    assert.is(ref[0].message, 'shop/image-missing/app: kinspect/missing:1.0 from registry.invalid')
    const policy = stepFindings(report!, 'Pull policy')
    assert.equal(
      policy.map((f) => f.severity),
      ['info', 'fail'],
    )
    assert.is(
      policy[1].message,
      'shop/image-never/app: imagePullPolicy Never, so the kubelet never pulls kinspect.local/missing:1.0; it must already be on lab-2',
    )
    const cls = stepFindings(report!, "The kubelet's message, classified")
    assert.equal(
      cls.map((f) => f.severity),
      ['fail', 'fail'],
    )
    assert.match(
      cls[0].message,
      /^shop\/image-missing\/app: (ErrImagePull|ImagePullBackOff), registry unreachable: lookup registry\.invalid on [\d.]+:53: dial udp [\d.]+:53: connect: network is unreachable$/,
    )
    assert.match(
      cls[0].evidence!.output,
      /Failed +\(x\d+\) +Failed to pull image "registry\.invalid\/kinspect\/missing:1\.0"/,
    )
    assert.match(cls[0].remedy!, 'lab-2 cannot reach the registry host')
    assert.is(
      cls[1].message,
      'shop/image-never/app: ErrImageNeverPull, policy: Container image "kinspect.local/missing:1.0" is not present with pull policy of Never',
    )
    assert.match(cls[1].remedy!, 'imagePullPolicy is Never and lab-2 does not have kinspect.local/missing:1.0')
    const onNode = stepFindings(report!, 'Is the image on the node?')
    assert.match(onNode[0].message, /^lab-2 has no image named missing \(\d+ images in its runtime\)$/)
    assert.match(onNode[0].evidence!.output, 'kinspect.local/busybox')
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
