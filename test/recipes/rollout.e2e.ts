// recipes/rollout.md on the lab: with rollout-stuck on, shop/checkout fails on its deadline, the surge arithmetic and
// the new pod's readiness failure, which names the crashloop recipe as next; --follow runs it. With the fault off
// nothing fails. The fault is always turned off again.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { failures, kinspectRun, scenario, stepFindings } from './lab.ts'

test.after(async () => {
  await scenario('rollout-stuck', 'off') // ALWAYS leave the lab healthy, even when an assertion failed
})

test("rollout-stuck on: deadline, old and new ReplicaSets, the stuck arithmetic and the new pod's readiness failure with next", async () => {
  try {
    await scenario('rollout-stuck', 'on')
    const { code, report, err } = await kinspectRun('rollout', ['--deployment', 'shop/checkout', '-o', 'json'])
    assert.ok(report, err)
    assert.is(code, 1, `exit code; failures: ${failures(report!).join('\n')}\n${err}`)
    assert.is(
      stepFindings(report!, 'Pick the Deployments')[0].message,
      'shop/checkout: rollout not finished: 1 of 2 replicas updated',
    )
    const prog = stepFindings(report!, 'Progress and the deadline')
    assert.equal(
      prog.map((f) => f.severity),
      ['fail'],
    )
    assert.match(
      prog[0].message,
      /^shop\/checkout made no progress for 8s: Progressing=False \(ProgressDeadlineExceeded\): ReplicaSet "checkout-[a-z0-9]+" has timed out progressing\.$/,
    )
    assert.match(prog[0].remedy!, 'kubectl rollout undo deployment/checkout -n shop')
    const rs = stepFindings(report!, 'Old and new ReplicaSets side by side')
    assert.match(
      rs[0].message,
      /^shop\/checkout: new ReplicaSet checkout-[a-z0-9]+ \(revision 2\) has 0 of 1 available; old checkout-[a-z0-9]+ \(revision 1\) 2 available still serve; the rollout changes app command, app env$/,
    )
    assert.match(
      rs[0].evidence!.output,
      /container app env: \[\{"name":"VERSION","value":"v1"\}\] -> \[\{"name":"VERSION","value":"v2"\}\]/,
    )
    const math = stepFindings(report!, 'maxSurge and maxUnavailable')
    assert.equal(
      math.map((f) => f.severity),
      ['fail'],
    )
    assert.match(
      math[0].message,
      'replicas 2, maxSurge 1 -> 1, maxUnavailable 0 -> 0: at most 3 pods, at least 2 available; now 3 pods, 2 available',
    )
    assert.match(math[0].message, /the rollout is stuck$/)
    const why = stepFindings(report!, 'Why the new pods are not available')
    assert.equal(
      why.map((f) => f.severity),
      ['fail'],
    )
    assert.match(
      why[0].message,
      /^shop\/checkout-[a-z0-9]+-[a-z0-9]+ \(new\) runs but is not Ready: Readiness probe failed: cat: can't open '\/tmp\/ready': No such file or directory \(x\d+\)$/,
    )
    const podKey = why[0].message.split(' ')[0]
    assert.equal(why[0].next, {
      recipe: 'crashloop',
      params: { pod: podKey },
      command: `kinspect run crashloop --pod ${podKey}`,
    })

    // --follow runs the crashloop recipe on that pod after the rollout report; the exit is the worst of both.
    const f = await kinspectRun('rollout', ['--deployment', 'shop/checkout', '--follow', '-o', 'json'])
    assert.ok(f.report, f.err)
    assert.is(f.code, 1, f.err)
    const followed = (f.report as unknown as { followed?: (typeof f.report)[] }).followed ?? []
    assert.equal(
      followed.map((r) => [r!.recipe.name, r!.params.pod]),
      [['crashloop', podKey]],
    )
    const probes = stepFindings(followed[0]!, 'Probes')
    assert.equal(
      probes.map((x) => x.severity),
      ['warn'],
    )
    assert.match(
      probes[0].message,
      `${podKey}/app: its readiness probe fails (the pod gets no Service traffic): Readiness probe failed: cat: can't open '/tmp/ready'`,
    )
    const text = await kinspectRun('rollout', ['--deployment', 'shop/checkout', '--follow'])
    assert.match(text.out, `        next:   kinspect run crashloop --pod ${podKey}\n`)
    assert.match(text.out, `--follow: kinspect run crashloop --pod ${podKey}\n\nRecipe crashloop`)
  } finally {
    await scenario('rollout-stuck', 'off')
  }
})

test('rollout-stuck off: no Deployment of shop is rolling out, nothing fails (exit 0)', async () => {
  const { code, report, err } = await kinspectRun('rollout', ['-o', 'json'])
  assert.ok(report, err)
  assert.equal(failures(report!), [])
  assert.is(code, 0, err)
  assert.match(
    stepFindings(report!, 'Pick the Deployments')[0].message,
    /^no Deployment in namespace shop is rolling out/,
  )
})

test.run()
