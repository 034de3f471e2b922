// The runner on a fake session: shared scope, findings, exit codes, errors, dry run, teach, changes, JSON, progress.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { PassThrough } from 'node:stream'
import { parseRecipe } from '../../src/recipes/format.ts'
import { validateParams } from '../../src/recipes/params.ts'
import { expandManual, runParsedRecipe, type RunnerOptions } from '../../src/recipes/runner.ts'
import { RecipeError, type RecipeReport } from '../../src/recipes/report.ts'
import { plainProgress, spinner, type Progress } from '../../src/recipes/progress.ts'
import { fakeSession } from '../repl/fake.ts'
import { headlessShell } from '../../src/repl/index.ts'

function sink() {
  const s = new PassThrough()
  let text = ''
  s.on('data', (d) => (text += d))
  return Object.assign(s, { text: () => text })
}

function recipe(body: string, front = 'params:\n  - name: pod\n    type: pod\n    description: the pod\n  - name: tail\n    type: int\n    default: 5\n    description: lines\n') {
  return parseRecipe(`---\nname: t\nsummary: a test recipe\n${front}---\n# T\n\nIntro text.\n\n${body}`, '/r/t.md')
}

async function run(body: string, given: Record<string, string> = {}, opts: Partial<RunnerOptions> & { front?: string } = {}): Promise<{ report: RecipeReport; out: string; calls: string[] }> {
  const r = recipe(body, opts.front)
  const calls: string[] = []
  const output = sink()
  const report = await runParsedRecipe(r, validateParams(r, given), { session: fakeSession({ calls }), shell: headlessShell, output, ...opts })
  await new Promise((res) => setImmediate(res))
  return { report, out: output.text(), calls }
}

const step = (title: string, code: string, extra = '') => `## ${title}\n\n${extra}\`\`\`js\n${code}\n\`\`\`\n\n`

test('steps share one scope and see the globals, params, finding(); the worst finding decides exit 1', async () => {
  const { report, out, calls } = await run(
    step('List', "const names = (await pods()).map((p) => p.metadata.name)\nfinding({ severity: 'info', message: `pods: ${names.join(',')} tail=${params.tail} pod=${params.pod}` })") +
      step('Judge', "if (names.length > 1) finding({ severity: 'fail', message: 'too many pods', evidence: { command: 'kubectl get pods', output: names.join('\\n') }, remedy: 'scale down' })\nfinding({ severity: 'ok', message: 'judged' })"),
    { tail: '7' },
  )
  assert.equal(calls, ['pods'])
  assert.equal(report.steps.map((s) => s.status), ['info', 'fail'])
  assert.is(report.steps[0].findings[0].message, 'pods: web-1,web-2 tail=7 pod=undefined')
  assert.equal(report.steps[1].findings[0].evidence, { command: 'kubectl get pods', output: 'web-1\nweb-2' })
  assert.is(report.exitCode, 1)
  assert.is(report.status, 'fail')
  assert.equal(report.params, { pod: undefined, tail: 7 })
  assert.match(out, /^Recipe t — a test recipe\ncontext lab, namespace shop · pod=\(unset\) tail=7\n\n\[1\/2\] List\n  INFO  pods: web-1,web-2/)
  assert.match(out, '[2/2] Judge\n  FAIL  too many pods\n        $ kubectl get pods\n        │ web-1\n        │ web-2\n        remedy: scale down\n  OK    judged\n')
  assert.match(out, /Result: FAIL: 1 failed, 1 info, 1 ok \(exit 1\)\n$/)
})

test('nothing failing is exit 0; console.log and expression values are kept as the step output', async () => {
  const { report, out } = await run(step('Look', "console.log('hello from the step')\nfinding({ severity: 'warn', message: 'meh', remedy: 'shrug' })\n6 * 7"))
  assert.is(report.exitCode, 0)
  assert.is(report.status, 'warn')
  assert.is(report.steps[0].output, 'hello from the step\n42')
  assert.match(out, '  printed: hello from the step\n           42\n  WARN  meh')
})

test('a step that throws: error with its hint, the rest skipped, exit 2', async () => {
  const { report, out } = await run(step('Ok', "finding({ severity: 'ok', message: 'fine' })") + step('Boom', "await describe('pod/nope')") + step('Never', "finding({ severity: 'fail', message: 'x', remedy: 'y' })"))
  assert.equal(report.steps.map((s) => s.status), ['ok', 'error', 'skipped'])
  assert.equal(report.steps[1].error, { message: 'pod "pod/nope" not found', hint: 'pods() to list what exists' })
  assert.is(report.exitCode, 2)
  assert.match(report.stopped ?? '', 'step 2 (Boom) could not run')
  assert.match(out, '  ERROR the step could not run: pod "pod/nope" not found\n        hint: pods() to list what exists')
  assert.not.match(out, '[3/3] Never\n')
  const ref = await run(step('Typo', 'nope()'))
  assert.equal(ref.report.steps[0].error, { message: 'ReferenceError: nope is not defined' })
})

test('finding() is validated: warn/fail need a remedy, severity and fields are checked', async () => {
  const cases: [string, RegExp][] = [
    ["finding({ severity: 'fail', message: 'broken' })", /a 'fail' finding needs a remedy/],
    ["finding({ severity: 'bad', message: 'm' })", /severity: expected 'ok', 'info', 'warn' or 'fail', received "bad"/],
    ["finding({ severity: 'ok', message: '' })", /message: expected a non-empty string/],
    ["finding({ severity: 'ok', message: 'm', evidence: { command: 'c', output: 5 } })", /evidence.output: expected what the command printed, as a string, received number 5/],
    ["finding({ severity: 'ok', message: 'm', colour: 'red' })", /unknown field "colour"/],
    ["finding('ok')", /argument: expected an object/],
  ]
  for (const [code, re] of cases) {
    const { report } = await run(step('S', code))
    assert.is(report.exitCode, 2, code)
    assert.match(report.steps[0].error?.message ?? '', re)
  }
  const exec = await run(step('S', "finding({ severity: 'info', message: 'm', evidence: await node('lab-1').$`uname -a` })"))
  assert.equal(exec.report.steps[0].findings[0].evidence, { command: 'uname -a', output: 'ran uname -a\n' })
})

test('--dry-run prints the plan with expanded manual commands and runs nothing', async () => {
  const body = step('List', "await pods()\nfinding({ severity: 'ok', message: 'x' })", 'Explains listing.\n\nManual equivalent:\n\n```sh\nkubectl get pod {{pod}} -n {{namespace}} --tail {{tail}}\n```\n\n')
  const { report, out, calls } = await run(body, { pod: 'kube-system/dns-1' }, { dryRun: true })
  assert.equal(calls, [])
  assert.is(report.status, 'planned')
  assert.is(report.exitCode, 0)
  assert.equal(report.steps.map((s) => [s.status, s.manual]), [['planned', ['kubectl get pod dns-1 -n kube-system --tail 5']]])
  assert.match(out, '(dry run: nothing is executed)')
  assert.match(out, '[1/1] List\n  Explains listing.\n  manual equivalent:\n    kubectl get pod dns-1 -n kube-system --tail 5\n')
  assert.match(out, '1 step planned; nothing was run')
})

test('expandManual: params, namespace/context, unset as <name>, ns/name split for pods and services', () => {
  const where = { namespace: 'shop', context: 'lab' }
  const defs = [{ name: 'pod', type: 'pod' as const }, { name: 'tail', type: 'int' as const }]
  assert.is(expandManual('kubectl logs {{pod}} -n {{namespace}} --tail {{ tail }} --context {{context}}', { pod: 'web-1', tail: 5 }, where, defs), 'kubectl logs web-1 -n shop --tail 5 --context lab')
  assert.is(expandManual('kubectl logs {{pod}} -n {{namespace}}', { pod: undefined }, where, defs), 'kubectl logs <pod> -n shop')
  assert.is(expandManual('kubectl logs {{pod}} -n {{namespace}}', { pod: 'kube-system/dns' }, where, defs), 'kubectl logs dns -n kube-system')
  assert.is(expandManual('echo {{other}}', {}, where), 'echo {{other}}')
})

test('--teach: intro, explanation, manual commands, waits for Enter, s skips, the text after; q stops', async () => {
  const input = new PassThrough()
  input.end('\ns\n')
  const body =
    step('First', "finding({ severity: 'ok', message: 'first ran' })", 'Why first.\n\nManual equivalent:\n\n```sh\nkubectl get pods -n {{namespace}}\n```\n\n') +
    'It means all is well.\n\n' +
    step('Second', "finding({ severity: 'fail', message: 'second ran', remedy: 'r' })") +
    step('Third', "finding({ severity: 'info', message: 'third ran' })")
  const { report, out } = await run(body, {}, { teach: true, input })
  assert.match(out, '(teach mode)')
  assert.match(out, 'T\n\nIntro text.\n\n[1/3] First\n  Why first.\n\n  By hand, you would run:\n    kubectl get pods -n shop\n  Press Enter to run this step (s = skip it, q = stop here) \n  OK    first ran\n\n  What it means:\n  It means all is well.\n')
  assert.match(out, '[2/3] Second')
  assert.match(out, '  (skipped)')
  assert.not.match(out, 'second ran')
  // input ended: the third step runs without waiting
  assert.match(out, 'third ran')
  assert.equal(report.steps.map((s) => s.status), ['ok', 'skipped', 'info'])
  assert.is(report.exitCode, 0)
  const quit = new PassThrough()
  quit.end('q\n')
  const q = await run(body, {}, { teach: true, input: quit })
  assert.equal(q.report.steps.map((s) => s.status), ['skipped', 'skipped', 'skipped'])
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
  const body = step('Fix', "const r1 = await change('restart the thing', () => 'done-1')\nconst r2 = await change('delete the other', async () => 'done-2')\nfinding({ severity: 'info', message: `results ${r1} ${r2}` })")
  const input = new PassThrough()
  input.end('y\nn\n')
  const asked = await run(body, {}, { front, input })
  assert.match(asked.out, '  change: restart the thing\n  apply it? [y/N] ')
  assert.is(asked.report.steps[0].findings[0].message, 'results done-1 undefined')
  assert.equal(asked.report.steps[0].changes, [{ description: 'restart the thing', applied: true }, { description: 'delete the other', applied: false, reason: 'declined' }])
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
  const { out, report } = await run(step('S', "console.log('noise')\nfinding({ severity: 'fail', message: 'bad', remedy: 'fix' })"), {}, { format: 'json' })
  const j = JSON.parse(out)
  assert.is(j.exitCode, 1)
  assert.is(j.steps[0].findings[0].remedy, 'fix')
  assert.is(j.steps[0].output, 'noise')
  assert.is(report.exitCode, 1)
})

test('finding() next: checked against the recipes and their parameters; the command line is in the report', async () => {
  const ok = await run(step('Point', "finding({ severity: 'fail', message: 'crash loop', remedy: 'see it', next: { recipe: 'crashloop', params: { pod: 'shop/web-1', tail: 50 } } })"))
  assert.equal(ok.report.steps[0].findings[0].next, { recipe: 'crashloop', params: { pod: 'shop/web-1', tail: '50' }, command: 'kinspect run crashloop --pod shop/web-1 --tail 50' })
  assert.match(ok.out, '        next:   kinspect run crashloop --pod shop/web-1 --tail 50\n')
  const cases: [string, RegExp][] = [
    ["finding({ severity: 'info', message: 'm', next: { recipe: 'nope' } })", /^finding\(\): next\.recipe: expected one of the recipes \(.*crashloop.*\), received "nope"$/],
    ["finding({ severity: 'info', message: 'm', next: { recipe: 'crashloop', params: { pod: 'Bad Name' } } })", /^finding\(\): next\.params: parameter pod \(pod\): expected a pod name, or namespace\/name, received "Bad Name"/],
    ["finding({ severity: 'info', message: 'm', next: { recipe: 'crashloop', params: { nope: 1 } } })", /^finding\(\): next\.params: unknown parameter --nope: recipe crashloop takes pod \(pod\)/],
    ["finding({ severity: 'info', message: 'm', next: { recipe: 'pod-network' } })", /^finding\(\): next\.params: parameter pod \(pod\) is required/],
    ["finding({ severity: 'info', message: 'm', next: 'crashloop' })", /^finding\(\): next: expected an object \{recipe, params\}, received "crashloop"/],
    ["finding({ severity: 'info', message: 'm', next: { recipe: 'crashloop', param: {} } })", /^finding\(\): next: unknown field "param": expected only recipe and params/],
    ["finding({ severity: 'info', message: 'm', next: { recipe: 'crashloop', params: { pod: ['a'] } } })", /^finding\(\): next\.params\.pod: expected a string, number or boolean/],
  ]
  for (const [code, re] of cases) {
    const { report } = await run(step('Bad', code))
    assert.is(report.steps[0].status, 'error', code)
    assert.match(report.steps[0].error!.message, re)
  }
  // A catalog given by the caller is the one checked against.
  const own = await run(step('Own', "finding({ severity: 'info', message: 'm', next: { recipe: 'crashloop' } })"), {}, { recipes: new Map([['other', { name: 'other', params: [] }]]) })
  assert.match(own.report.steps[0].error!.message, /expected one of the recipes \(other\), received "crashloop"/)
})

test('a notebook-style recipe (no ## headings) runs block by block, dot-commands included', async () => {
  const r = parseRecipe('---\nname: nb\nsummary: saved\n---\n# kinspect notebook\n\nFirst.\n\n```js\nconst n = (await pods()).length\n```\n\n> ```text\n> 2\n> ```\n\n```js\n.ns kube-system\n```\n\n```js\nfinding({ severity: \'info\', message: `n=${n} ns=${session.namespace}` })\n```\n', '/r/nb.md')
  const output = sink()
  const session = fakeSession()
  const report = await runParsedRecipe(r, {}, { session, shell: headlessShell, output })
  assert.equal(report.steps.map((s) => s.status), ['none', 'none', 'info'])
  assert.is(report.steps[2].findings[0].message, 'n=2 ns=kube-system')
})

test('progress: the runner starts and stops it per step with the step label', async () => {
  const events: string[] = []
  const progress: Progress = { start: (l) => events.push(`start ${l}`), pause: () => events.push('pause'), stop: () => events.push('stop') }
  await run(step('One', '1') + step('Two', '2'), {}, { progress })
  assert.equal(events.filter((e) => e.startsWith('start')), ['start [1/2] One', 'start [2/2] Two'])
  assert.ok(events.filter((e) => e === 'stop').length >= 2)
})

test('spinner draws frame, label and time on one line and clears it; plain progress prints still-running lines', async () => {
  const out = sink()
  let now = 0
  const sp = spinner(out, { intervalMs: 5, now: () => now })
  sp.start('[1/2] Conditions')
  now = 3000
  await new Promise((r) => setTimeout(r, 30))
  sp.stop()
  await new Promise((r) => setImmediate(r))
  assert.match(out.text(), /^\r\u001b\[2K⠋ \[1\/2\] Conditions 0s\r\u001b\[2K⠙ \[1\/2\] Conditions 3s/)
  assert.ok(out.text().endsWith('\r\u001b[2K'))
  const plain = sink()
  const pp = plainProgress(plain, { everyMs: 5, now: () => now })
  now = 0
  pp.start('[2/2] Slow')
  now = 12_000
  await new Promise((r) => setTimeout(r, 20))
  pp.stop()
  const before = plain.text()
  await new Promise((r) => setTimeout(r, 20))
  assert.match(before, '  … still running: [2/2] Slow (12s)\n')
  assert.is(plain.text(), before, 'no lines after stop()')
})

test.run()
