// The runner on a fake session: shared scope, findings, exit codes, errors and NOT SEEN (only the steps that need a
// missing name are skipped), dry run, teach, changes, JSON, progress.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { PassThrough } from 'node:stream'
import { parseRecipe } from '../../src/recipes/format.ts'
import { validateParams } from '../../src/recipes/params.ts'
import { expandManual, runParsedRecipe, type RunnerOptions } from '../../src/recipes/runner.ts'
import { RecipeError, summaryLine, type RecipeReport } from '../../src/recipes/report.ts'
import fs from 'node:fs'
import path from 'node:path'
import { ExecError, NodeHandle, type Exec } from '../../src/exec/index.ts'
import { httpError, networkError } from '../../src/kube/errors.ts'
import { plainProgress, spinner, type Progress } from '../../src/recipes/progress.ts'
import { fakeSession } from '../repl/fake.ts'
import { headlessShell } from '../../src/repl/index.ts'

function sink() {
  const s = new PassThrough()
  let text = ''
  s.on('data', (d) => (text += d))
  return Object.assign(s, { text: () => text })
}

function recipe(
  body: string,
  front = 'params:\n  - name: pod\n    type: pod\n    description: the pod\n  - name: tail\n    type: int\n    default: 5\n    description: lines\n',
) {
  return parseRecipe(`---\nname: t\nsummary: a test recipe\n${front}---\n# T\n\nIntro text.\n\n${body}`, '/r/t.md')
}

async function run(
  body: string,
  given: Record<string, string> = {},
  opts: Partial<RunnerOptions> & { front?: string } = {},
): Promise<{ report: RecipeReport; out: string; calls: string[] }> {
  const r = recipe(body, opts.front)
  const calls: string[] = []
  const output = sink()
  const report = await runParsedRecipe(r, validateParams(r, given), {
    session: fakeSession({ calls }),
    shell: headlessShell,
    output,
    ...opts,
  })
  await new Promise((res) => setImmediate(res))
  return { report, out: output.text(), calls }
}

const step = (title: string, code: string, extra = '') => `## ${title}\n\n${extra}\`\`\`js\n${code}\n\`\`\`\n\n`

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

/** A fake session whose node list the API refuses (the lab's own 403) and whose lab-2 SSH cannot connect. */
function blindSession(opts: { listTimesOut?: boolean } = {}) {
  const base = fakeSession()
  const refusal = (
    JSON.parse(fs.readFileSync(path.join(import.meta.dirname, '../fixtures/lab/refusals.json'), 'utf8')) as {
      refusals: { path: string; method: string; status: number; body: string }[]
    }
  ).refusals.find((r) => r.path === '/api/v1/nodes')!
  const nodes = async (): Promise<never> => {
    throw httpError(refusal.status, refusal.body, {
      server: 'https://10.99.0.1:6443',
      method: refusal.method,
      path: refusal.path,
    })
  }
  const pods = async (): Promise<never> => {
    throw networkError(Object.assign(new Error('no answer within 5000 ms'), { code: 'ETIMEDOUT' }), {
      server: 'https://10.99.0.1:6443',
      method: 'GET',
      path: '/api/v1/pods',
      durationMs: 5002,
    })
  }
  const unreachable: Exec = {
    target: 'ssh:lab-2',
    run: async () => {
      throw new ExecError(
        'connect',
        { target: 'ssh:lab-2' },
        'cannot connect to lab-2 (10.99.0.2:2222): connect ECONNREFUSED 10.99.0.2:2222',
        'is sshd running on lab-2?',
      )
    },
  }
  const reachable = base.node
  return Object.assign(base, {
    kube: { ...base.kube, nodes, ...(opts.listTimesOut ? { pods } : {}) },
    node: (name: string) => (name === 'lab-2' ? new NodeHandle(unreachable) : reachable(name)),
  })
}

test('NOT SEEN: an error that means "could not look" is not an ERROR; notSeen() keeps the step going; the summary lists them', async () => {
  const r = recipe(
    step('Pick the nodes', 'const all = await nodes()\nconst names = all.map((n) => n.metadata.name)') +
      step(
        'On each node',
        "for (const n of ['lab-1', 'lab-2']) {\n  try {\n    const out = await node(n).$`uptime`\n    finding({ severity: 'ok', message: `${n}: ${out.stdout.trim()}` })\n  } catch (e) {\n    notSeen(n, e)\n  }\n}",
      ) +
      step('Per node name', "finding({ severity: 'info', message: names.join(',') })") +
      step('Pods, bounded', "try {\n  await pods()\n} catch (e) {\n  notSeen('the pod names', e)\n}"),
  )
  const output = sink()
  const report = await runParsedRecipe(
    r,
    {},
    { session: blindSession({ listTimesOut: true }), shell: headlessShell, output },
  )
  assert.equal(
    report.steps.map((s) => s.status),
    ['not-seen', 'not-seen', 'skipped', 'not-seen'],
  )
  const [picked] = report.steps[0].findings
  assert.is(picked.severity, 'not-seen')
  assert.equal(picked.notSeen, {
    what: 'Pick the nodes',
    kind: 'forbidden',
    reason:
      '403 Forbidden: nodes is forbidden: User "kinspect-view" cannot list resource "nodes" in API group "" at the cluster scope',
    grant: 'list nodes (cluster-wide) (check: kubectl auth can-i list nodes)',
  })
  assert.is(picked.remedy, 'grant: list nodes (cluster-wide) (check: kubectl auth can-i list nodes)')
  // Findings made before and after stand: lab-1 was seen, lab-2 was not.
  assert.equal(
    report.steps[1].findings.map((f) => [f.severity, f.notSeen?.what ?? f.message]),
    [
      ['ok', 'lab-1: ran uptime'],
      ['not-seen', 'lab-2'],
    ],
  )
  assert.equal(report.steps[1].findings[1].notSeen?.configure, 'is sshd running on lab-2?')
  assert.is(report.steps[2].skip?.reason, 'needs names from step 1 (Pick the nodes), which could not look (NOT SEEN)')
  assert.is(
    report.steps[3].findings[0].notSeen?.reason,
    'GET /api/v1/pods got no answer within 5 s (https://10.99.0.1:6443)',
  )
  assert.equal(report.summary, { ok: 1, info: 0, warn: 0, fail: 0, notSeen: 3, errors: 0, skipped: 1 })
  assert.is(report.exitCode, 0, 'lab-1 was checked and nothing failed')
  assert.equal(
    report.notSeen.map((n) => [n.step, n.what, n.kind]),
    [
      [1, 'Pick the nodes', 'forbidden'],
      [2, 'lab-2', 'unreachable'],
      [4, 'the pod names', 'timeout'],
    ],
  )
  const text = output.text()
  assert.match(
    text,
    '[1/4] Pick the nodes\n  NOT SEEN Pick the nodes: 403 Forbidden: nodes is forbidden: User "kinspect-view" cannot list resource "nodes" in API group "" at the cluster scope\n           grant: list nodes (cluster-wide) (check: kubectl auth can-i list nodes)\n',
  )
  assert.match(
    text,
    '  OK    lab-1: ran uptime\n  NOT SEEN lab-2: cannot connect to lab-2 (10.99.0.2:2222): connect ECONNREFUSED 10.99.0.2:2222\n           configure: is sshd running on lab-2?\n',
  )
  assert.match(
    text,
    /\n1 +Pick the nodes +NOT SEEN +1 not seen\n2 +On each node +NOT SEEN +1 not seen, 1 ok\n3 +Per node name +SKIPPED +needs step 1\n/,
  )
  assert.match(text, 'Not seen:\n  NOT SEEN Pick the nodes (step 1): 403 Forbidden')
  assert.match(
    text,
    '  NOT SEEN the pod names (step 4): GET /api/v1/pods got no answer within 5 s (https://10.99.0.1:6443)\n',
  )
  assert.match(text, /Result: OK: 1 ok, 3 not seen, 1 skipped \(exit 0\)\n$/)
  const json = JSON.parse(JSON.stringify(report))
  assert.equal(json.notSeen[0], {
    step: 1,
    title: 'Pick the nodes',
    what: 'Pick the nodes',
    kind: 'forbidden',
    reason: picked.notSeen!.reason,
    grant: picked.notSeen!.grant,
  })
  assert.is(json.steps[0].findings[0].severity, 'not-seen')
})

test('nothing could be checked: every step NOT SEEN or skipped is exit 2 (status not-seen); a failure elsewhere is exit 1', async () => {
  const blind = await runParsedRecipe(
    recipe(
      step('List', 'const all = await nodes()') +
        step('Use', "finding({ severity: 'ok', message: String(all.length) })"),
    ),
    {},
    { session: blindSession(), shell: headlessShell, output: sink() },
  )
  assert.equal(
    [blind.steps.map((s) => s.status), blind.exitCode, blind.status],
    [['not-seen', 'skipped'], 2, 'not-seen'],
  )
  assert.match(summaryLine(blind), 'NOT SEEN: 1 not seen, 1 skipped (exit 2)')
  const failed = await runParsedRecipe(
    recipe(
      step('List', 'await nodes()') + step('Judge', "finding({ severity: 'fail', message: 'bad', remedy: 'fix' })"),
    ),
    {},
    { session: blindSession(), shell: headlessShell, output: sink() },
  )
  assert.equal([failed.exitCode, failed.status], [1, 'fail'])
})

test('notSeen() rethrows what is not "could not look", takes the recipe\'s own reason, and is checked', async () => {
  const bug = await run(step('S', "try {\n  null.x\n} catch (e) {\n  notSeen('x', e)\n}"))
  assert.is(bug.report.steps[0].status, 'error')
  assert.match(bug.report.steps[0].error!.message, /TypeError: Cannot read properties of null/)
  const own = await run(
    step(
      'S',
      "notSeen('the kernel log of lab-1', { reason: 'dmesg is not permitted (dmesg_restrict=1)', configure: 'read it as root' })\nfinding({ severity: 'ok', message: 'rest' })",
    ),
  )
  assert.equal(own.report.steps[0].findings[0].notSeen, {
    what: 'the kernel log of lab-1',
    kind: 'config',
    reason: 'dmesg is not permitted (dmesg_restrict=1)',
    configure: 'read it as root',
  })
  assert.equal([own.report.steps[0].status, own.report.exitCode], ['not-seen', 0])
  const cases: [string, RegExp][] = [
    [
      "notSeen('', { reason: 'r' })",
      /^notSeen\(\): expected what could not be looked at \(a non-empty string\) as the first argument, received ""$/,
    ],
    ["notSeen('x', { reason: 'r', colour: 1 })", /^notSeen\(\): unknown field "colour"/],
    [
      "notSeen('x', { reason: 'r', kind: 'nope' })",
      /^notSeen\(\): kind: expected one of forbidden, unauthorized, timeout, unreachable, config, received "nope"$/,
    ],
    [
      "finding({ severity: 'not-seen', message: 'm' })",
      /^finding\(\): severity 'not-seen' is for what a step could not look at: call notSeen\(what, error\) instead$/,
    ],
  ]
  for (const [code, re] of cases) {
    const { report } = await run(step('S', code))
    assert.is(report.steps[0].status, 'error', code)
    assert.match(report.steps[0].error!.message, re)
  }
})

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

test('progress: the runner starts and stops it per step with the step label', async () => {
  const events: string[] = []
  const progress: Progress = {
    start: (l) => events.push(`start ${l}`),
    pause: () => events.push('pause'),
    stop: () => events.push('stop'),
  }
  await run(step('One', '1') + step('Two', '2'), {}, { progress })
  assert.equal(
    events.filter((e) => e.startsWith('start')),
    ['start [1/2] One', 'start [2/2] Two'],
  )
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
