// Rendering recipe reports: findings with evidence and remedy, the summary table, plans, teach pages, the list.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { inspect } from 'node:util'
import { RecipeReport, type StepReport } from '../../src/recipes/report.ts'
import {
  paramWords,
  renderFinding,
  renderPlan,
  renderRecipeList,
  renderReport,
  renderSummary,
  renderTeachIntro,
  renderTeachStart,
} from '../../src/render/report.ts'
import { stripAnsi } from '../../src/render/color.ts'

const step = (index: number, title: string, over: Partial<StepReport> = {}): StepReport => ({
  index,
  title,
  line: index * 10,
  status: 'none',
  findings: [],
  changes: [],
  manual: [],
  durationMs: 5,
  ...over,
})

function sample(): RecipeReport {
  return new RecipeReport({
    recipe: { name: 'crashloop', summary: 'Why does a pod restart?', file: '/r/crashloop.md', changes: false },
    params: { pod: undefined, tail: 20 },
    context: 'lab',
    namespace: 'shop',
    mode: 'run',
    startedAt: '2025-01-01T00:00:00.000Z',
    steps: [
      step(1, 'Pick the pods', {
        status: 'info',
        findings: [{ severity: 'info', message: '1 pod to check: shop/crasher' }],
      }),
      step(2, 'Container state', {
        status: 'fail',
        findings: [
          {
            severity: 'fail',
            message: 'shop/crasher/app is crash-looping: exit code 3',
            evidence: {
              command: 'kubectl describe pod crasher -n shop',
              output: 'State:  Waiting\n  Reason:  CrashLoopBackOff',
            },
            remedy: 'read the previous log',
          },
          { severity: 'ok', message: 'shop/crasher/side is running' },
        ],
      }),
      step(3, 'Previous log', {
        status: 'warn',
        findings: [
          {
            severity: 'warn',
            message: 'nothing logged',
            evidence: { command: 'kubectl logs crasher --previous', output: '' },
            remedy: 'check the command\nand the image',
          },
        ],
      }),
      step(4, 'Events', { status: 'error', error: { message: 'boom', hint: 'try again' } }),
      step(5, 'Probes', { status: 'skipped' }),
    ],
  })
}

test('summary, status and exit code come from the steps: a failed finding decides; an error, or nothing seen, without one is exit 2', () => {
  const r = sample()
  assert.equal(r.summary, { ok: 1, info: 1, warn: 1, fail: 1, notSeen: 0, errors: 1, skipped: 1 })
  // Findings stand when a step could not run: the failure is what the operator acts on.
  assert.equal([r.exitCode, r.status], [1, 'fail'])
  r.steps[1].findings = [{ severity: 'ok', message: 'fine' }]
  r.finish()
  assert.equal([r.exitCode, r.status], [2, 'error'])
  r.steps[3] = step(4, 'Events', { status: 'none' })
  r.finish()
  assert.equal([r.exitCode, r.status], [0, 'warn'])
  assert.is(inspect(r), 'RecipeReport crashloop: WARN: 1 warning, 1 info, 1 ok, 1 skipped (exit 0)')
  // NOT SEEN beside what was seen leaves the exit code to the findings; NOT SEEN alone is exit 2.
  const blind = {
    severity: 'not-seen' as const,
    message: 'lab-2: refused',
    notSeen: { what: 'lab-2', kind: 'unreachable' as const, reason: 'refused' },
  }
  r.steps[3] = step(4, 'Events', { status: 'not-seen', findings: [blind] })
  r.finish()
  assert.equal(
    [r.exitCode, r.status, r.summary.notSeen, r.notSeen],
    [0, 'warn', 1, [{ step: 4, title: 'Events', what: 'lab-2', kind: 'unreachable', reason: 'refused' }]],
  )
  assert.is(inspect(r), 'RecipeReport crashloop: WARN: 1 warning, 1 info, 1 ok, 1 not seen, 1 skipped (exit 0)')
  for (const st of r.steps) if (st.index !== 4) st.findings = []
  r.finish()
  assert.equal([r.exitCode, r.status], [2, 'not-seen'])
  assert.is(inspect(r), 'RecipeReport crashloop: NOT SEEN: 1 not seen, 1 skipped (exit 2)')
})

test('JSON has every field, unset params as null, and round-trips', () => {
  const j = JSON.parse(JSON.stringify(sample()))
  assert.equal(Object.keys(j), [
    'recipe',
    'params',
    'context',
    'namespace',
    'mode',
    'startedAt',
    'durationMs',
    'steps',
    'summary',
    'status',
    'exitCode',
    'notSeen',
  ])
  assert.equal(j.params, { pod: null, tail: 20 })
  assert.equal(j.steps[1].findings[0].evidence, {
    command: 'kubectl describe pod crasher -n shop',
    output: 'State:  Waiting\n  Reason:  CrashLoopBackOff',
  })
  assert.is(j.steps[3].error.hint, 'try again')
})

test('a finding: severity label, message, $ command, │ output lines, remedy (multi-line indented)', () => {
  const r = sample()
  assert.is(
    renderFinding(r.steps[1].findings[0]),
    [
      '  FAIL  shop/crasher/app is crash-looping: exit code 3',
      '        $ kubectl describe pod crasher -n shop',
      '        │ State:  Waiting',
      '        │   Reason:  CrashLoopBackOff',
      '        remedy: read the previous log',
    ].join('\n'),
  )
  assert.is(
    renderFinding(r.steps[2].findings[0]),
    [
      '  WARN  nothing logged',
      '        $ kubectl logs crasher --previous',
      '        │ (no output)',
      '        remedy: check the command',
      '                and the image',
    ].join('\n'),
  )
  const long = renderFinding(
    {
      severity: 'info',
      message: 'm',
      evidence: { command: 'c', output: Array.from({ length: 30 }, (_, i) => `line ${i + 1}`).join('\n') },
    },
    { evidenceLines: 5 },
  )
  assert.match(long, '│ … 25 earlier lines (all of them: -o json)\n        │ line 26\n')
  assert.not.match(long, 'line 25\n')
  assert.match(long, 'line 30')
})

test('the whole report: header, numbered steps, errors with hints, summary table and result line', () => {
  const text = renderReport(sample())
  assert.match(
    text,
    /^Recipe crashloop — Why does a pod restart\?\ncontext lab, namespace shop · pod=\(unset\) tail=20\n/,
  )
  assert.match(text, '[2/5] Container state\n  FAIL  shop/crasher/app')
  assert.match(text, '[4/5] Events\n  ERROR the step could not run: boom\n        hint: try again')
  assert.match(text, '[5/5] Probes\n  SKIPPED')
  const summary = renderSummary(sample())
  assert.equal(summary.split('\n').slice(0, 3), [
    'Summary',
    '#   STEP              RESULT    FINDINGS',
    '1   Pick the pods     INFO      1 info',
  ])
  assert.match(summary, '2   Container state   FAIL      1 fail, 1 ok')
  assert.match(summary, '4   Events            ERROR     could not run')
  assert.match(summary, /Result: FAIL: 1 failed, 1 warning, 1 info, 1 ok, 1 step could not run, 1 skipped \(exit 1\)$/)
  assert.not.match(text, '\u001b[')
})

test('colour only when asked, and only around labels (the text stays the same)', () => {
  const colored = renderReport(sample(), { color: true })
  assert.match(colored, '\u001b[31mFAIL ')
  assert.is(stripAnsi(colored), renderReport(sample()))
})

test('plan, teach pages and params words', () => {
  const steps = [
    {
      index: 1,
      title: 'Look',
      explain: 'First paragraph\nwraps.\n\nSecond paragraph.',
      manual: ['kubectl get pods -n shop'],
      changes: false,
      blocks: 1,
    },
    { index: 2, title: 'Fix', explain: '', manual: [], changes: true, blocks: 1 },
  ]
  const plan = renderPlan(steps)
  assert.match(plan, '[1/2] Look\n  First paragraph wraps.\n  manual equivalent:\n    kubectl get pods -n shop\n')
  assert.not.match(plan, 'Second paragraph')
  assert.match(plan, '[2/2] Fix (changes things: asks first)')
  assert.match(plan, '2 steps planned; nothing was run')
  const intro = renderTeachIntro(steps[0], 2)
  assert.is(
    intro,
    '[1/2] Look\n  First paragraph\n  wraps.\n  \n  Second paragraph.\n\n  By hand, you would run:\n    kubectl get pods -n shop',
  )
  assert.is(renderTeachStart({ title: 'T', intro: 'Hello.' }), 'T\n\nHello.\n\n')
  assert.is(renderTeachStart({ intro: '' }), '')
  assert.is(paramWords({ a: 'x y', b: 2, c: undefined, d: false }), 'a="x y" b=2 c=(unset) d=false')
  assert.is(paramWords({}), '(no parameters)')
})

test('recipe list: names aligned, params with type and default, malformed entries say why', () => {
  const text = renderRecipeList([
    {
      name: 'crashloop',
      description: 'Why does a pod restart?',
      params: [
        { name: 'pod', type: 'pod', description: 'the pod' },
        { name: 'tail', type: 'int', default: 20, description: 'lines' },
      ],
    },
    { name: 'fix', description: 'Fixes it', changes: true, params: [{ name: 'node', type: 'node', required: true }] },
    { name: 'broken', error: '/r/broken.md:3: name: expected "broken"' },
  ])
  assert.match(
    text,
    'crashloop  Why does a pod restart?\n           --pod (pod, optional) the pod\n           --tail (int, default 20) lines\n',
  )
  assert.match(text, 'fix        Fixes it [changes things]\n           --node (node, required)\n')
  assert.match(text, 'broken     malformed: /r/broken.md:3: name: expected "broken"')
  assert.match(renderRecipeList([], { dirs: ['/a'] }), 'no recipes found in /a')
})

test.run()
