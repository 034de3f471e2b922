// recipes/crashloop.md on the lab: with the crashloop fault on it fails with exit code 3 / Error / BackOff as
// evidence; with the fault off it reports nothing failing. The fault is always turned off again.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawnSync } from 'node:child_process'
import { labEnvVars } from '../lab/layout.ts'
import { failures, kinspectRun, scenario, stepFindings } from './lab.ts'

/** Waits until the crasher pod has a BackOff event (the kubelet records it while it waits to restart). */
async function backOffRecorded(timeoutMs = 60_000): Promise<void> {
  const t0 = Date.now()
  while (Date.now() - t0 < timeoutMs) {
    const r = spawnSync(
      'kubectl',
      ['get', 'events', '-n', 'shop', '--field-selector', 'reason=BackOff', '-o', 'name'],
      { env: { ...process.env, ...labEnvVars() }, encoding: 'utf8' },
    )
    if (r.stdout.trim()) return
    await new Promise((res) => setTimeout(res, 2000))
  }
  throw new Error('no BackOff event for shop/crasher within a minute')
}

test.after(async () => {
  await scenario('crashloop', 'off') // ALWAYS leave the lab healthy, even when an assertion failed
})

test('crashloop on: the recipe fails on shop/crasher with exit code 3 (Error), its log and BackOff as evidence', async () => {
  try {
    await scenario('crashloop', 'on')
    await backOffRecorded()
    const { code, report, err } = await kinspectRun('crashloop', ['-o', 'json'])
    assert.ok(report, err)
    assert.is(code, 1, `exit code; failures: ${failures(report!).join('\n')}\n${err}`)
    assert.is(report!.exitCode, 1)

    const picked = stepFindings(report!, 'Pick the pods to check')
    assert.match(picked[0].message, /pods? to check: .*shop\/crasher-/)

    const state = stepFindings(report!, 'Container state and last state').filter((f) => f.severity === 'fail')
    assert.is(state.length, 1, JSON.stringify(state))
    assert.match(
      state[0].message,
      /^shop\/crasher-[a-z0-9-]+\/app is crash-looping: .*last run Terminated \(Error\) with exit code 3; \d+ restarts?$/,
    )
    assert.match(state[0].evidence!.command, /^kubectl describe pod crasher-[a-z0-9-]+ -n shop$/)
    assert.match(state[0].evidence!.output, /Last State: +Terminated\n +Reason: +Error\n +Exit Code: +3\n/)
    assert.match(state[0].remedy!, 'exited with code 3 by itself')

    // Pods that restarted for other reasons (a lab restart restarts them all) have log findings of their own.
    const log = stepFindings(report!, "The previous run's log").filter((f) => /^shop\/crasher-/.test(f.message))
    assert.is(log.length, 1, JSON.stringify(stepFindings(report!, "The previous run's log")))
    assert.ok(
      log[0].message.includes(
        'the previous run ended with: fatal: open /etc/crasher/config.yaml: no such file or directory',
      ),
      JSON.stringify(log),
    )
    assert.match(log[0].evidence!.command, /^kubectl logs crasher-[a-z0-9-]+ -n shop -c app( --previous)? --tail 20$/)
    assert.match(log[0].evidence!.output, 'loading config from /etc/crasher/config.yaml')

    const backoff = stepFindings(report!, 'BackOff events').filter((f) => f.severity === 'fail')
    assert.is(backoff.length, 1)
    assert.match(backoff[0].message, /backed off restarting a failed container \d+ times?/)
    assert.match(backoff[0].evidence!.output, /Warning +BackOff +\(x\d+\) +Back-off restarting failed container app/)

    assert.match(
      stepFindings(report!, 'Probes')[0].message,
      'no probe failure is recorded (events are kept about an hour) and it has no liveness probe',
    )
    assert.match(
      stepFindings(report!, 'Command and image')[0].message,
      /runs sh -c .*exit 3.* from kinspect\.local\/busybox/,
    )

    // The same in text form, selected by label: the FAIL lines, the evidence and the summary.
    const text = await kinspectRun('crashloop', ['--app', 'crasher'])
    assert.is(text.code, 1, text.err)
    assert.match(text.out, /\[2\/6\] Container state and last state\n  FAIL  shop\/crasher-/)
    assert.match(text.out, /│ +Exit Code: +3/)
    assert.match(text.out, /Result: FAIL: 2 failed/)
  } finally {
    await scenario('crashloop', 'off')
  }
})

test('crashloop off: the recipe reports nothing failing (exit 0)', async () => {
  const { code, report, err } = await kinspectRun('crashloop', ['-o', 'json'])
  assert.ok(report, err)
  assert.equal(failures(report!), [])
  assert.is(code, 0, err)
  assert.is(report!.summary.fail, 0)
  assert.not.match(JSON.stringify(report), 'crasher')
})

test.run()
