// The runner on a fake session: shared scope, findings, exit codes, errors (only the steps that need a missing name
// are skipped), notebook-style recipes. NOT SEEN, findings, modes and progress: runner-*.test.ts.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { parseRecipe } from '../../src/recipes/format.ts'
import { runParsedRecipe } from '../../src/recipes/runner.ts'
import { fakeSession } from '../repl/fake.ts'
import { headlessShell } from '../../src/repl/index.ts'
import { run, sink, step } from './runner-kit.ts'

test('steps share one scope and see the globals, params, finding(); the worst finding decides exit 1', async () => {
  const { report, out, calls } = await run(
    step(
      'List',
      "const names = (await pods()).map((p) => p.metadata.name)\nfinding({ severity: 'info', message: `pods: ${names.join(',')} tail=${params.tail} pod=${params.pod}` })",
    ) +
      step(
        'Judge',
        "if (names.length > 1) finding({ severity: 'fail', message: 'too many pods', evidence: { command: 'kubectl get pods', output: names.join('\\n') }, remedy: 'scale down' })\nfinding({ severity: 'ok', message: 'judged' })",
      ),
    { tail: '7' },
  )
  assert.equal(calls, ['pods'])
  assert.equal(
    report.steps.map((s) => s.status),
    ['info', 'fail'],
  )
  assert.is(report.steps[0].findings[0].message, 'pods: web-1,web-2 tail=7 pod=undefined')
  assert.equal(report.steps[1].findings[0].evidence, { command: 'kubectl get pods', output: 'web-1\nweb-2' })
  assert.is(report.exitCode, 1)
  assert.is(report.status, 'fail')
  assert.equal(report.params, { pod: undefined, tail: 7 })
  assert.match(
    out,
    /^Recipe t — a test recipe\ncontext lab, namespace shop · pod=\(unset\) tail=7\n\n\[1\/2\] List\n  INFO  pods: web-1,web-2/,
  )
  assert.match(
    out,
    '[2/2] Judge\n  FAIL  too many pods\n        $ kubectl get pods\n        │ web-1\n        │ web-2\n        remedy: scale down\n  OK    judged\n',
  )
  assert.match(out, /Result: FAIL: 1 failed, 1 info, 1 ok \(exit 1\)\n$/)
})

test('nothing failing is exit 0; console.log and expression values are kept as the step output', async () => {
  const { report, out } = await run(
    step(
      'Look',
      "console.log('hello from the step')\nfinding({ severity: 'warn', message: 'meh', remedy: 'shrug' })\n6 * 7",
    ),
  )
  assert.is(report.exitCode, 0)
  assert.is(report.status, 'warn')
  assert.is(report.steps[0].output, 'hello from the step\n42')
  assert.match(out, '  printed: hello from the step\n           42\n  WARN  meh')
})

test('a step that throws: ERROR with its hint; only the steps that read a name it did not make are skipped, with the reason', async () => {
  const { report, out } = await run(
    step('Ok', "const base = 1\nfinding({ severity: 'ok', message: 'fine' })") +
      step('Boom', "const made = base + 1\nconst described = await describe('pod/nope')\nconst never = 2") +
      step('Needs never', "const twice = never * 2\nfinding({ severity: 'info', message: `never=${never}` })") +
      step('Uses what Boom made', "finding({ severity: 'info', message: `made=${made}` })") +
      step('Chained', "finding({ severity: 'info', message: `twice=${twice}` })") +
      step(
        'Own names only',
        "const never2 = [1].map((never) => never + 1)\nfinding({ severity: 'ok', message: `own ${never2}` })",
      ),
  )
  assert.equal(
    report.steps.map((s) => s.status),
    ['ok', 'error', 'skipped', 'info', 'skipped', 'ok'],
  )
  assert.equal(report.steps[1].error, { message: 'pod "pod/nope" not found', hint: 'pods() to list what exists' })
  assert.equal(report.steps[2].skip, {
    reason: 'needs never from step 2 (Boom), which could not run',
    needs: [{ name: 'never', step: 2 }],
  })
  assert.is(report.steps[3].findings[0].message, 'made=2', 'a name made before the error is there')
  assert.is(report.steps[4].skip?.reason, 'needs twice from step 3 (Needs never), which was skipped')
  assert.is(report.stopped, undefined)
  assert.is(report.exitCode, 2, 'nothing failed, and a step could not run')
  assert.is(report.status, 'error')
  assert.match(
    out,
    '  ERROR the step could not run: pod "pod/nope" not found\n        hint: pods() to list what exists',
  )
  assert.match(out, '[3/6] Needs never\n  SKIPPED needs never from step 2 (Boom), which could not run\n')
  assert.match(out, /\n3 +Needs never +SKIPPED +needs step 2\n/)
  assert.match(out, /Result: ERROR: 1 info, 2 ok, 1 step could not run, 2 skipped \(exit 2\)\n$/)
  const ref = await run(step('Typo', 'nope()'))
  assert.equal(ref.report.steps[0].error, { message: 'ReferenceError: nope is not defined' })
  // A failing finding decides the exit code even when another step could not run: findings stand.
  const both = await run(
    step('Boom', "await describe('pod/nope')") +
      step('Judge', "finding({ severity: 'fail', message: 'bad', remedy: 'fix' })"),
  )
  assert.equal(
    [both.report.steps.map((s) => s.status), both.report.exitCode, both.report.status],
    [['error', 'fail'], 1, 'fail'],
  )
})

test('a notebook-style recipe (no ## headings) runs block by block, dot-commands included', async () => {
  const r = parseRecipe(
    "---\nname: nb\nsummary: saved\n---\n# kinspect notebook\n\nFirst.\n\n```js\nconst n = (await pods()).length\n```\n\n> ```text\n> 2\n> ```\n\n```js\n.ns kube-system\n```\n\n```js\nfinding({ severity: 'info', message: `n=${n} ns=${session.namespace}` })\n```\n",
    '/r/nb.md',
  )
  const output = sink()
  const session = fakeSession()
  const report = await runParsedRecipe(r, {}, { session, shell: headlessShell, output })
  assert.equal(
    report.steps.map((s) => s.status),
    ['none', 'none', 'info'],
  )
  assert.is(report.steps[2].findings[0].message, 'n=2 ns=kube-system')
})

test.run()
