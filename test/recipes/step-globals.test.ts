// finding(), notSeen() and change() on their own: they report into the running step, refuse to report after it ended,
// and change() applies only what was allowed (--yes) or confirmed.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { RecipeError, type StepReport } from '../../src/recipes/report.ts'
import { stepGlobals, type StepGlobalsOptions } from '../../src/recipes/step-globals.ts'

function setup(o: Partial<StepGlobalsOptions> & { answers?: (string | null)[] } = {}) {
  let written = ''
  let paused = 0
  const answers = [...(o.answers ?? [])]
  const step: StepReport = {
    index: 1,
    title: 'S',
    line: 1,
    status: 'ok',
    findings: [],
    changes: [],
    manual: [],
    durationMs: 0,
  }
  const cursor = { current: step as StepReport | undefined }
  const g = stepGlobals({
    recipe: { name: 'r', file: 'recipes/r.md', changes: true },
    recipes: new Map(),
    session: {},
    cursor,
    output: { write: (s: string) => ((written += s), true) } as unknown as NodeJS.WritableStream,
    progress: { pause: () => void paused++ },
    reader: o.answers ? { next: async () => answers.shift() ?? null, echoes: false } : undefined,
    ...o,
  })
  return { g, step, cursor, out: () => written, paused: () => paused }
}

test('finding() and notSeen() report into the running step, and refuse once it has ended', () => {
  const { g, step, cursor } = setup()
  g.finding({ severity: 'info', message: 'seen' })
  g.notSeen('the kernel log of lab-1', { reason: 'dmesg is not permitted', configure: 'read it as root' })
  assert.is(step.findings.length, 2)
  assert.is(step.findings[0].message, 'seen')
  assert.ok(step.findings[1].notSeen, 'the second is a NOT SEEN finding')
  assert.match(step.findings[1].message, /kernel log of lab-1/)
  cursor.current = undefined
  assert.throws(
    () => g.finding({ severity: 'info', message: 'late' }),
    (e: unknown) => e instanceof RecipeError && /finding\(\) was called after its step ended: "late"/.test(e.message),
  )
  assert.throws(() => g.notSeen('x', new TypeError('a bug')), /a bug/, 'a bug is thrown on, never NOT SEEN')
})

test('change() asks, and applies only a yes; without input or with no it is recorded, not applied', async () => {
  let ran = 0
  const act = () => ++ran
  const yes = setup({ answers: ['y'] })
  assert.is(await yes.g.change('restart it', act), 1)
  assert.equal(yes.step.changes, [{ description: 'restart it', applied: true }])
  assert.match(yes.out(), /change: restart it\n {2}apply it\? \[y\/N\] /)
  assert.is(yes.paused(), 1, 'the progress display is paused while it asks')

  const no = setup({ answers: ['n'] })
  assert.is(await no.g.change('restart it', act), undefined)
  assert.equal(no.step.changes, [{ description: 'restart it', applied: false, reason: 'declined' }])

  const ended = setup({ answers: [] })
  await ended.g.change('restart it', act)
  assert.equal(ended.step.changes[0].reason, 'not confirmed: input ended')

  const none = setup()
  await none.g.change('restart it', act)
  assert.equal(none.step.changes[0], {
    description: 'restart it',
    applied: false,
    reason: 'not confirmed: no input to ask on; pass --yes to apply changes',
  })

  const allowed = setup({ yes: true })
  assert.is(await allowed.g.change('restart it', act), 2)
  assert.is(allowed.out(), '', '--yes asks nothing')
  assert.is(ran, 2)
})

test('change() refuses a missing description or action, and any change in a recipe declaring changes: false', async () => {
  const { g } = setup({ yes: true })
  const usage = (re: RegExp) => (e: unknown) => e instanceof RecipeError && e.kind === 'usage' && re.test(e.message)
  await g
    .change('', () => 1)
    .then(
      () => assert.unreachable(),
      (e) => assert.ok(usage(/expected a description of the change/)(e)),
    )
  await g.change('x', 'not a function').then(
    () => assert.unreachable(),
    (e) => assert.ok(usage(/expected a function that makes the change, received "not a function"|received/)(e)),
  )
  const ro = setup({ yes: true, recipe: { name: 'dns', file: 'recipes/dns.md', changes: false } })
  let ran = false
  await ro.g
    .change('restart', () => (ran = true))
    .then(
      () => assert.unreachable(),
      (e) => assert.ok(usage(/recipe dns declares changes: false/)(e)),
    )
  assert.is(ran, false)
})

test.run()
