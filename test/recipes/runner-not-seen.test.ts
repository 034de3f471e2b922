// The runner's NOT SEEN: errors that mean "could not look" (a refused list, an unreachable node, a timeout), notSeen(),
// the summary and exit codes when nothing could be checked.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fs from 'node:fs'
import path from 'node:path'
import { runParsedRecipe } from '../../src/recipes/runner.ts'
import { summaryLine } from '../../src/recipes/report.ts'
import { ExecError, NodeHandle, type Exec } from '../../src/exec/index.ts'
import { httpError, networkError } from '../../src/kube/errors.ts'
import { fakeSession } from '../repl/fake.ts'
import { headlessShell } from '../../src/repl/index.ts'
import { recipe, run, sink, step } from './runner-kit.ts'

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

test.run()
