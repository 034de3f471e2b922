// recipes/oom.md on the lab: with oomkill on it fails on shop/memhog's kill (exit 137), the pod cgroup's peak at its
// 32 MiB limit on lab-2 and the kernel's CONSTRAINT_MEMCG line; with it off nothing fails. The fault is always
// turned off again.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawnSync } from 'node:child_process'
import { labEnvVars } from '../lab/layout.ts'
import { failures, kinspectRun, scenario, stepFindings } from './lab.ts'

const uidOf = (pod: string) =>
  spawnSync('kubectl', ['get', 'pod', pod, '-n', 'shop', '-o', 'jsonpath={.metadata.uid}'], {
    env: { ...process.env, ...labEnvVars() },
    encoding: 'utf8',
  }).stdout.trim()

test.after(async () => {
  await scenario('oomkill', 'off') // ALWAYS leave the lab healthy, even when an assertion failed
})

test('oomkill on: the kill, the cgroup peak at the limit and the kernel line are failures with their evidence', async () => {
  try {
    await scenario('oomkill', 'on')
    const uid = uidOf('memhog')
    const { code, report, err } = await kinspectRun('oom', ['-o', 'json'])
    assert.ok(report, err)
    assert.is(code, 1, `exit code; failures: ${failures(report!).join('\n')}\n${err}`)
    assert.is(stepFindings(report!, 'Pick the pods')[0].message, '1 pod with an OOMKilled container: shop/memhog')
    const kill = stepFindings(report!, 'The kill, and restarts over time')
    assert.equal(
      kill.map((f) => f.severity),
      ['fail'],
    )
    assert.match(
      kill[0].message,
      /^shop\/memhog\/hog was OOMKilled \(exit 137\) \d+s ago; \d+ restarts? in \d+s \([\d.]+\/h\); the last run lasted \d+s before the kill: it needs more than its limit almost at once$/,
    )
    assert.match(kill[0].evidence!.output, /Reason: +OOMKilled\n +Exit Code: +137/)
    const usage = stepFindings(report!, 'Limit against usage (metrics API)')
    assert.is(usage.length, 1)
    assert.match(usage[0].evidence!.output, 'limit:   32 MiB')
    const cg = stepFindings(report!, "The cgroup's peak and limit hits (on the node)")
    assert.equal(
      cg.map((f) => f.severity),
      ['fail'],
    )
    assert.match(
      cg[0].message,
      /^shop\/memhog: the pod's memory cgroup on lab-2 peaked at 32 MiB, its limit 32 MiB; usage hit the limit \d+ times?/,
    )
    assert.match(
      cg[0].evidence!.command,
      `ssh lab-2 cat /sys/fs/cgroup/memory/kinspect-lab-2/kubepods/pod${uid}/memory.{limit_in_bytes,max_usage_in_bytes,failcnt}`,
    )
    assert.match(cg[0].evidence!.output, 'memory.limit_in_bytes 33554432')
    const kernel = stepFindings(report!, "The kernel's oom-kill line")
    assert.equal(
      kernel.map((f) => f.severity),
      ['fail'],
    )
    assert.match(
      kernel[0].message,
      /^shop\/memhog: the kernel on lab-2 killed dd \(anon-rss [\d.]+ MiB\): its memory cgroup's limit was reached \(CONSTRAINT_MEMCG\)$/,
    )
    assert.match(
      kernel[0].evidence!.output,
      new RegExp(`oom-kill:constraint=CONSTRAINT_MEMCG.*oom_memcg=/kinspect-lab-2/kubepods/pod${uid}.*task=dd`),
    )
    assert.match(kernel[0].evidence!.output, /Memory cgroup out of memory: Killed process \d+ \(dd\)/)
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
