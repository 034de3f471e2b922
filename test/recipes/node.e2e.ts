// recipes/node.md on the lab: with node-notready on (kubelet stopped, SSH still up) it fails on the Ready
// condition and on the kubelet process; with the fault off it reports nothing failing. Always turned off again.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
// node-notready acts on lab-2 by default; lab-1 and lab-3 stay Ready.
const NODE = 'lab-2'
import { failures, kinspectRun, scenario, stepFindings } from './lab.ts'

test.after(async () => {
  await scenario('node-notready', 'off') // ALWAYS leave the lab healthy, even when an assertion failed
})

test('node-notready on: NotReady (Ready=Unknown) and "kubelet is not running" fail, with their evidence', async () => {
  try {
    await scenario('node-notready', 'on')
    const { code, report, err } = await kinspectRun('node', ['--node', NODE, '-o', 'json'])
    assert.ok(report, err)
    assert.is(code, 1, `exit code; failures: ${failures(report!).join('\n')}\n${err}`)

    const ready = stepFindings(report!, 'Conditions').filter((f) => f.severity === 'fail')
    assert.is(ready.length, 1, JSON.stringify(ready))
    assert.match(
      ready[0].message,
      new RegExp(
        `^${NODE} is NotReady: Ready=Unknown \\(NodeStatusUnknown: Kubelet stopped posting node status\\.\\); the kubelet stopped posting its status`,
      ),
    )
    assert.is(ready[0].evidence!.command, `kubectl describe node ${NODE}  # Conditions`)
    assert.match(ready[0].evidence!.output, /^Ready +Unknown /m)

    const kubelet = stepFindings(report!, 'Is the kubelet running?')
    assert.equal(
      kubelet.map((f) => [f.severity, f.message]),
      [['fail', `the kubelet is not running on ${NODE}`]],
    )
    assert.is(kubelet[0].evidence!.command, `ssh ${NODE} pgrep -x kubelet`)
    assert.match(kubelet[0].evidence!.output, '(exit 1)')
    assert.match(kubelet[0].remedy!, 'start it')

    // SSH still works, so the other node-side checks ran and found the log, a ready runtime and resources.
    assert.match(stepFindings(report!, "The kubelet's log")[0].message, new RegExp(`^kubelet log on ${NODE}: `))
    assert.is(stepFindings(report!, 'Container runtime')[0].severity, 'ok')
    const resources = stepFindings(report!, 'Disk, memory and PIDs')
    assert.ok(resources.length > 0, 'the resources step reported something')
    assert.ok(
      resources.every((f) => f.severity === 'ok'),
      JSON.stringify(resources),
    )
    const lease = stepFindings(report!, 'Lease heartbeat')[0]
    assert.ok(lease.severity === 'warn' || lease.severity === 'fail', `an old lease: ${lease.message}`)
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
