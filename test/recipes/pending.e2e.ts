// recipes/pending.md on the lab: pending-resources fails on the CPU request against every node's allocatable,
// pending-taint on the taint of the one node the pod's selector allows; with both off nothing fails. The faults are
// always turned off again.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { failures, kinspectRun, scenario, stepFindings } from './lab.ts'

test.after(async () => {
  // ALWAYS leave the lab healthy, even when an assertion failed
  await scenario('pending-resources', 'off')
  await scenario('pending-taint', 'off')
})

test("pending-resources on: shop/pending-big fails on its 64-CPU request, with each node's allocatable as evidence", async () => {
  try {
    await scenario('pending-resources', 'on')
    const { code, report, err } = await kinspectRun('pending', ['-o', 'json'])
    assert.ok(report, err)
    assert.is(code, 1, `exit code; failures: ${failures(report!).join('\n')}\n${err}`)
    assert.match(stepFindings(report!, 'Pick the pods')[0].message, /pods? not scheduled: .*shop\/pending-big/)
    const verdict = stepFindings(report!, "The scheduler's verdict").filter((f) =>
      f.message.startsWith('shop/pending-big'),
    )
    assert.equal(
      verdict.map((f) => f.severity),
      ['fail'],
    )
    assert.match(
      verdict[0].message,
      /^shop\/pending-big cannot be scheduled: 0\/\d+ nodes are available: .*\b\d Insufficient cpu/,
    )
    assert.match(verdict[0].evidence!.output, /PodScheduled: False \(Unschedulable\)/)
    assert.match(verdict[0].evidence!.output, /FailedScheduling +\(x\d+\) +0\/\d+ nodes are available/)
    assert.equal(
      stepFindings(report!, 'Taints and tolerations')
        .filter((f) => f.message.startsWith('shop/pending-big'))
        .map((f) => f.severity),
      ['ok'],
    )
    const cpu = stepFindings(report!, "CPU and memory: requests against each node's allocatable").filter((f) =>
      f.message.startsWith('shop/pending-big'),
    )
    assert.is(cpu.length, 1)
    assert.is(cpu[0].severity, 'fail')
    assert.match(
      cpu[0].message,
      /^shop\/pending-big requests more than any candidate node has free: cpu \(needs 64, [\d.m]+ free of 2 allocatable, [\d.m]+ requested by \d+ pods\) on lab-\d, the roomiest; its cpu request is larger than any candidate node's whole allocatable, so it fits on none of them even empty$/,
    )
    assert.match(cpu[0].evidence!.output, 'shop/pending-big requests cpu 64, memory 64Mi')
    assert.match(cpu[0].evidence!.output, /lab-1 +cpu +[\d.m]+ free of 2 +memory +\d+Mi free of \d+Mi +SHORT: cpu/)
    assert.match(cpu[0].remedy!, "lower the pod's cpu request")
    assert.equal(
      stepFindings(report!, 'ResourceQuotas').map((f) => f.severity),
      ['ok'],
    )
  } finally {
    await scenario('pending-resources', 'off')
  }
})

test('pending-taint on: shop/pending-taint fails on the NoSchedule taint of lab-3, the only node its selector allows', async () => {
  try {
    await scenario('pending-taint', 'on')
    const { code, report, err } = await kinspectRun('pending', ['--pod', 'shop/pending-taint', '-o', 'json'])
    assert.ok(report, err)
    assert.is(code, 1, `exit code; failures: ${failures(report!).join('\n')}\n${err}`)
    assert.match(
      stepFindings(report!, "The scheduler's verdict")[0].message,
      /^shop\/pending-taint cannot be scheduled: 0\/\d+ nodes are available: 1 node\(s\) had untolerated taint \{kinspect\.dev\/pending-taint: demo\}/,
    )
    const sel = stepFindings(report!, 'Node selector and node affinity')
    assert.equal(
      sel.map((f) => f.severity),
      ['info'],
    )
    assert.match(sel[0].message, /^shop\/pending-taint: its node selector or affinity allows 1 of \d+ nodes: lab-3$/)
    assert.match(
      sel[0].evidence!.output,
      'lab-1: nodeSelector kubernetes.io/hostname=lab-3 (node has kubernetes.io/hostname=lab-1)',
    )
    const taint = stepFindings(report!, 'Taints and tolerations')
    assert.equal(
      taint.map((f) => f.severity),
      ['fail'],
    )
    assert.is(
      taint[0].message,
      'shop/pending-taint: every node its selector allows has a taint it does not tolerate: lab-3 (kinspect.dev/pending-taint=demo:NoSchedule)',
    )
    assert.match(taint[0].evidence!.output, 'lab-3: kinspect.dev/pending-taint=demo:NoSchedule')
    assert.match(taint[0].remedy!, 'kubectl taint node lab-3 kinspect.dev/pending-taint-')
    assert.match(
      stepFindings(report!, "CPU and memory: requests against each node's allocatable")[0].message,
      'skipped (no node passes its selector and taints',
    )
  } finally {
    await scenario('pending-taint', 'off')
  }
})

test('both off: the recipe finds no Pending pod and nothing fails (exit 0)', async () => {
  const { code, report, err } = await kinspectRun('pending', ['-o', 'json'])
  assert.ok(report, err)
  assert.equal(failures(report!), [])
  assert.is(code, 0, err)
  assert.is(stepFindings(report!, 'Pick the pods')[0].message, 'no pod in namespace shop is Pending')
})

test.run()
