// The runner's finding(): what recipe code passes is validated (severity, remedy, fields, evidence), and a `next`
// recipe is checked against the recipes and their parameters.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { fakeSession } from '../repl/fake.ts'
import { run, step } from './runner-kit.ts'

test('finding() is validated: warn/fail need a remedy, severity and fields are checked', async () => {
  const cases: [string, RegExp][] = [
    ["finding({ severity: 'fail', message: 'broken' })", /a 'fail' finding needs a remedy/],
    ["finding({ severity: 'bad', message: 'm' })", /severity: expected 'ok', 'info', 'warn' or 'fail', received "bad"/],
    ["finding({ severity: 'ok', message: '' })", /message: expected a non-empty string/],
    [
      "finding({ severity: 'ok', message: 'm', evidence: { command: 'c', output: 5 } })",
      /evidence.output: expected what the command printed, as a string, received number 5/,
    ],
    ["finding({ severity: 'ok', message: 'm', colour: 'red' })", /unknown field "colour"/],
    ["finding('ok')", /argument: expected an object/],
  ]
  for (const [code, re] of cases) {
    const { report } = await run(step('S', code))
    assert.is(report.exitCode, 2, code)
    assert.match(report.steps[0].error?.message ?? '', re)
  }
  const exec = await run(
    step('S', "finding({ severity: 'info', message: 'm', evidence: await node('lab-1').$`uname -a` })"),
  )
  assert.equal(exec.report.steps[0].findings[0].evidence, { command: 'uname -a', output: 'ran uname -a\n' })
})

test('evidence that reads `ssh NODE …` says when kinspect reached NODE through its node pod, not SSH', async () => {
  const base = fakeSession({ calls: [] })
  // lab-1 over SSH, lab-2 through a node pod; lab-3 not reached yet
  const session = {
    ...base,
    nodeVia: (n: string) => ({ 'lab-1': 'ssh', 'lab-2': 'pod' })[n] as 'ssh' | 'pod' | undefined,
  }
  const code = ['lab-1', 'lab-2', 'lab-3']
    .map(
      (n) =>
        `finding({ severity: 'info', message: '${n}', evidence: { command: 'ssh ${n} conntrack -S', output: 'x' } })`,
    )
    .concat("finding({ severity: 'info', message: 'api', evidence: { command: 'kubectl get pods', output: 'y' } })")
    .join('\n')
  const { report, out } = await run(step('S', code), {}, { session })
  assert.equal(
    report.steps[0].findings.map((f) => [f.message, f.evidence?.via]),
    [
      ['lab-1', undefined],
      ['lab-2', 'pod'],
      ['lab-3', undefined],
      ['api', undefined],
    ],
  )
  assert.match(
    out,
    "$ ssh lab-2 conntrack -S\n        (read through kinspect's node pod, not SSH; over SSH this is the command)",
  )
  assert.is(out.split('node pod, not SSH').length, 2, 'said once, under lab-2 only')
})

test('finding() next: checked against the recipes and their parameters; the command line is in the report', async () => {
  const ok = await run(
    step(
      'Point',
      "finding({ severity: 'fail', message: 'crash loop', remedy: 'see it', next: { recipe: 'crashloop', params: { pod: 'shop/web-1', tail: 50 } } })",
    ),
  )
  assert.equal(ok.report.steps[0].findings[0].next, {
    recipe: 'crashloop',
    params: { pod: 'shop/web-1', tail: '50' },
    command: 'kinspect run crashloop --pod shop/web-1 --tail 50',
  })
  assert.match(ok.out, '        next:   kinspect run crashloop --pod shop/web-1 --tail 50\n')
  const cases: [string, RegExp][] = [
    [
      "finding({ severity: 'info', message: 'm', next: { recipe: 'nope' } })",
      /^finding\(\): next\.recipe: expected one of the recipes \(.*crashloop.*\), received "nope"$/,
    ],
    [
      "finding({ severity: 'info', message: 'm', next: { recipe: 'crashloop', params: { pod: 'Bad Name' } } })",
      /^finding\(\): next\.params: parameter pod \(pod\): expected a pod name, or namespace\/name, received "Bad Name"/,
    ],
    [
      "finding({ severity: 'info', message: 'm', next: { recipe: 'crashloop', params: { nope: 1 } } })",
      /^finding\(\): next\.params: unknown parameter --nope: recipe crashloop takes pod \(pod\)/,
    ],
    [
      "finding({ severity: 'info', message: 'm', next: { recipe: 'pod-network' } })",
      /^finding\(\): next\.params: parameter pod \(pod\) is required/,
    ],
    [
      "finding({ severity: 'info', message: 'm', next: 'crashloop' })",
      /^finding\(\): next: expected an object \{recipe, params\}, received "crashloop"/,
    ],
    [
      "finding({ severity: 'info', message: 'm', next: { recipe: 'crashloop', param: {} } })",
      /^finding\(\): next: unknown field "param": expected only recipe and params/,
    ],
    [
      "finding({ severity: 'info', message: 'm', next: { recipe: 'crashloop', params: { pod: ['a'] } } })",
      /^finding\(\): next\.params\.pod: expected a string, number or boolean/,
    ],
  ]
  for (const [code, re] of cases) {
    const { report } = await run(step('Bad', code))
    assert.is(report.steps[0].status, 'error', code)
    assert.match(report.steps[0].error!.message, re)
  }
  // A catalog given by the caller is the one checked against.
  const own = await run(
    step('Own', "finding({ severity: 'info', message: 'm', next: { recipe: 'crashloop' } })"),
    {},
    { recipes: new Map([['other', { name: 'other', params: [] }]]) },
  )
  assert.match(own.report.steps[0].error!.message, /expected one of the recipes \(other\), received "crashloop"/)
})

test.run()
