// The runner's modes: --dry-run (the plan, expandManual), --teach, change() with and without --yes, -o json.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { PassThrough } from 'node:stream'
import { expandManual } from '../../src/recipes/runner.ts'
import { RecipeError } from '../../src/recipes/report.ts'
import { run, step } from './runner-kit.ts'

test('--dry-run prints the plan with expanded manual commands and runs nothing', async () => {
  const body = step(
    'List',
    "await pods()\nfinding({ severity: 'ok', message: 'x' })",
    'Explains listing.\n\nManual equivalent:\n\n```sh\nkubectl get pod {{pod}} -n {{namespace}} --tail {{tail}}\n```\n\n',
  )
  const { report, out, calls } = await run(body, { pod: 'kube-system/dns-1' }, { dryRun: true })
  assert.equal(calls, [])
  assert.is(report.status, 'planned')
  assert.is(report.exitCode, 0)
  assert.equal(
    report.steps.map((s) => [s.status, s.manual]),
    [['planned', ['kubectl get pod dns-1 -n kube-system --tail 5']]],
  )
  assert.match(out, '(dry run: nothing is executed)')
  assert.match(
    out,
    '[1/1] List\n  Explains listing.\n  manual equivalent:\n    kubectl get pod dns-1 -n kube-system --tail 5\n',
  )
  assert.match(out, '1 step planned; nothing was run')
})

test('expandManual: params, namespace/context, unset as <name>, ns/name split for pods and services', () => {
  const where = { namespace: 'shop', context: 'lab' }
  const defs = [
    { name: 'pod', type: 'pod' as const },
    { name: 'tail', type: 'int' as const },
  ]
  assert.is(
    expandManual(
      'kubectl logs {{pod}} -n {{namespace}} --tail {{ tail }} --context {{context}}',
      { pod: 'web-1', tail: 5 },
      where,
      defs,
    ),
    'kubectl logs web-1 -n shop --tail 5 --context lab',
  )
  assert.is(
    expandManual('kubectl logs {{pod}} -n {{namespace}}', { pod: undefined }, where, defs),
    'kubectl logs <pod> -n shop',
  )
  assert.is(
    expandManual('kubectl logs {{pod}} -n {{namespace}}', { pod: 'kube-system/dns' }, where, defs),
    'kubectl logs dns -n kube-system',
  )
  assert.is(expandManual('echo {{other}}', {}, where), 'echo {{other}}')
})

test('--teach: intro, explanation, manual commands, waits for Enter, s skips, the text after; q stops', async () => {
  const input = new PassThrough()
  input.end('\ns\n')
  const body =
    step(
      'First',
      "finding({ severity: 'ok', message: 'first ran' })",
      'Why first.\n\nManual equivalent:\n\n```sh\nkubectl get pods -n {{namespace}}\n```\n\n',
    ) +
    'It means all is well.\n\n' +
    step('Second', "finding({ severity: 'fail', message: 'second ran', remedy: 'r' })") +
    step('Third', "finding({ severity: 'info', message: 'third ran' })")
  const { report, out } = await run(body, {}, { teach: true, input })
  assert.match(out, '(teach mode)')
  assert.match(
    out,
    'T\n\nIntro text.\n\n[1/3] First\n  Why first.\n\n  By hand, you would run:\n    kubectl get pods -n shop\n  Press Enter to run this step (s = skip it, q = stop here) \n  OK    first ran\n\n  What it means:\n  It means all is well.\n',
  )
  assert.match(out, '[2/3] Second')
  assert.match(out, '  (skipped)')
  assert.not.match(out, 'second ran')
  // input ended: the third step runs without waiting
  assert.match(out, 'third ran')
  assert.equal(
    report.steps.map((s) => s.status),
    ['ok', 'skipped', 'info'],
  )
  assert.is(report.exitCode, 0)
  const quit = new PassThrough()
  quit.end('q\n')
  const q = await run(body, {}, { teach: true, input: quit })
  assert.equal(
    q.report.steps.map((s) => s.status),
    ['skipped', 'skipped', 'skipped'],
  )
  assert.match(q.report.stopped ?? '', 'stopped in teach mode before step 1')
  try {
    await run(body, {}, { teach: true })
    assert.unreachable('teach without input')
  } catch (e) {
    assert.instance(e, RecipeError)
    assert.match((e as Error).message, '--teach waits for Enter')
  }
})

test('changes: true asks before each change (y applies, anything else declines); --yes applies; no input declines', async () => {
  const front = 'changes: true\n'
  const body = step(
    'Fix',
    "const r1 = await change('restart the thing', () => 'done-1')\nconst r2 = await change('delete the other', async () => 'done-2')\nfinding({ severity: 'info', message: `results ${r1} ${r2}` })",
  )
  const input = new PassThrough()
  input.end('y\nn\n')
  const asked = await run(body, {}, { front, input })
  assert.match(asked.out, '  change: restart the thing\n  apply it? [y/N] ')
  assert.is(asked.report.steps[0].findings[0].message, 'results done-1 undefined')
  assert.equal(asked.report.steps[0].changes, [
    { description: 'restart the thing', applied: true },
    { description: 'delete the other', applied: false, reason: 'declined' },
  ])
  assert.match(asked.out, '  CHANGED restart the thing\n  NOT CHANGED delete the other (declined)')
  const yes = await run(body, {}, { front, yes: true })
  assert.is(yes.report.steps[0].findings[0].message, 'results done-1 done-2')
  assert.not.match(yes.out, 'apply it?')
  const none = await run(body, {}, { front })
  assert.is(none.report.steps[0].findings[0].message, 'results undefined undefined')
  assert.match(none.report.steps[0].changes[0].reason ?? '', 'pass --yes')
  const plan = await run(body, {}, { front, dryRun: true })
  assert.match(plan.out, '[1/1] Fix (changes things: asks first)')
  const forbidden = await run(step('Fix', "await change('x', () => 1)"))
  assert.match(forbidden.report.steps[0].error?.message ?? '', 'declares changes: false')
})

test('-o json: only the JSON report on the output', async () => {
  const { out, report } = await run(
    step('S', "console.log('noise')\nfinding({ severity: 'fail', message: 'bad', remedy: 'fix' })"),
    {},
    { format: 'json' },
  )
  const j = JSON.parse(out)
  assert.is(j.exitCode, 1)
  assert.is(j.steps[0].findings[0].remedy, 'fix')
  assert.is(j.steps[0].output, 'noise')
  assert.is(report.exitCode, 1)
})

test.run()
