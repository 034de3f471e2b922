// Grouping a fleet's results: identical outputs with their node sets (clush -b / dshbak -c), failures by class.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { ExecError, exitError } from '../../src/exec/types.ts'
import { classifyError } from '../../src/fleet/classify.ts'
import { unreachable } from '../../src/access/errors.ts'
import { FleetResult, groupErrors, groupResults, type FleetNodeResult } from '../../src/fleet/index.ts'

const ok = (node: string, stdout: string, stderr = ''): FleetNodeResult => ({
  node,
  transport: 'ssh',
  ok: true,
  exitCode: 0,
  stdout,
  stderr,
  durationMs: 10,
  startedAtMs: 0,
})
const bad = (
  node: string,
  error: FleetNodeResult['error'],
  message: string,
  extra: Partial<FleetNodeResult> = {},
): FleetNodeResult => ({
  node,
  transport: 'ssh',
  ok: false,
  exitCode: null,
  stdout: '',
  stderr: '',
  durationMs: 10,
  startedAtMs: 0,
  error,
  message,
  ...extra,
})
const many = (from: number, to: number, f: (n: string) => FleetNodeResult) =>
  Array.from({ length: to - from + 1 }, (_, i) => f(`lab-ssh-${from + i}`))

test('groups: identical stdout+stderr+exit gather under a folded node set, biggest first', () => {
  const results = [
    ...many(1, 20, (n) => ok(n, 'Linux 6.1\n')),
    ok('lab-ssh-21', 'Linux 6.8\n'),
    ...many(22, 25, (n) => ok(n, 'Linux 6.1\n')),
    ok('lab-ssh-26', 'Linux 6.1\n', 'warning: clock skew\n'),
    bad('lab-ssh-27', 'exit', 'x exited 1', { exitCode: 1, stdout: 'Linux 6.1\n' }),
    ...many(28, 30, (n) => bad(n, 'timeout', `x on ${n} timed out`)),
  ]
  const g = groupResults(results)
  assert.equal(
    g.map((x) => [x.nodeset, x.nodes.length, x.ok, x.error ?? null]),
    [
      ['lab-ssh-[1-20,22-25]', 24, true, null],
      ['lab-ssh-[28-30]', 3, false, 'timeout'],
      ['lab-ssh-21', 1, true, null],
      ['lab-ssh-26', 1, true, null],
      ['lab-ssh-27', 1, false, 'exit'],
    ],
  )
  assert.is(g[0].stdout, 'Linux 6.1\n')
  assert.is(g.find((x) => x.nodeset === 'lab-ssh-26')!.stderr, 'warning: clock skew\n')
  // every node is in exactly one group
  assert.is(
    g.reduce((n, x) => n + x.nodes.length, 0),
    results.length,
  )
})

test('errors: by class in a fixed order, naming the nodes; one message for the same failure on many nodes, a lone one keeps its node', () => {
  const results = [
    ok('lab-1', 'x'),
    ...many(81, 100, (n) =>
      bad(n, 'timeout', `\`true\` on ssh:${n} timed out after 5000 ms before it could start`, {
        hint: `check that ${n} answers SSH`,
      }),
    ),
    bad('lab-2', 'exit', '`false` on ssh:lab-2 exited 1', { exitCode: 1 }),
    bad('lab-3', 'unreachable', 'cannot connect to lab-3 (10.99.0.3:2222): connect ECONNREFUSED'),
    bad('lab-4', 'unreachable', 'cannot connect to lab-4: no route'),
  ]
  const e = groupErrors(results)
  assert.equal(
    e.map((x) => [x.class, x.nodeset]),
    [
      ['unreachable', 'lab-[3-4]'],
      ['timeout', 'lab-ssh-[81-100]'],
      ['exit', 'lab-2'],
    ],
  )
  const t = e.find((x) => x.class === 'timeout')!
  assert.equal(t.messages, [
    {
      message: '`true` on ssh:NODE timed out after 5000 ms before it could start',
      nodeset: 'lab-ssh-[81-100]',
      count: 20,
    },
  ])
  assert.is(t.hint, 'check that NODE answers SSH')
  assert.is(e[0].messages.length, 2)
  // a message (and hint) only one node gave keeps the node's name: "applies to NODE" would say less
  assert.equal(
    e[0].messages.map((m) => m.message),
    ['cannot connect to lab-3 (10.99.0.3:2222): connect ECONNREFUSED', 'cannot connect to lab-4: no route'],
  )
  assert.equal(
    groupErrors([bad('lab-2', 'timeout', 'lab-2 timed out', { hint: 'check that lab-2 answers SSH' })]).map((g) => [
      g.messages[0].message,
      g.hint,
    ]),
    [['lab-2 timed out', 'check that lab-2 answers SSH']],
  )
})

test('FleetResult: succeeded/failed/get, groups() and errors() print through their presentations, JSON stays plain', () => {
  const r = new FleetResult({
    argv: ['uname'],
    nodes: ['a', 'b'],
    results: [ok('a', 'L\n'), bad('b', 'auth', 'refused')],
    ok: false,
    durationMs: 5,
  })
  assert.equal(
    r.succeeded.map((x) => x.node),
    ['a'],
  )
  assert.equal(
    r.failed.map((x) => x.node),
    ['b'],
  )
  assert.is(r.get('b')!.error, 'auth')
  assert.is(r.stopped, undefined)
  assert.not.ok('stopped' in JSON.parse(JSON.stringify(r)))
  const g = r.groups()
  assert.ok(Array.isArray(g))
  assert.is(JSON.parse(JSON.stringify(g)).length, 2)
})

test('classifyError: every ExecError kind and the node pod and API errors map to a fleet class', () => {
  const ex = (kind: ConstructorParameters<typeof ExecError>[0], extra: object = {}, msg = 'm', cause?: unknown) =>
    classifyError(new ExecError(kind, { target: 'ssh:n', ...extra }, msg, 'a hint', cause)).class
  assert.is(ex('exit', { exitCode: 2 }), 'exit')
  assert.is(ex('exit', { exitCode: 1, stderr: 'sudo: a password is required\n' }), 'forbidden')
  assert.is(ex('timeout'), 'timeout')
  assert.is(ex('connect', {}, 'cannot connect to n (10.0.0.1:22): connect ECONNREFUSED'), 'unreachable')
  assert.is(ex('connect', {}, 'timed out after 5000 ms connecting to n'), 'timeout')
  assert.is(
    ex(
      'connect',
      {},
      'handshake',
      Object.assign(new Error('Timed out while waiting for handshake'), { level: 'client-timeout' }),
    ),
    'timeout',
  )
  assert.is(ex('auth'), 'auth')
  assert.is(ex('hostkey'), 'hostkey')
  assert.is(ex('aborted'), 'aborted')
  assert.is(ex('invalid'), 'error')
  const named = (name: string, kind: string) => classifyError(Object.assign(new Error('x'), { name, kind })).class
  assert.is(named('NodePodError', 'rbac'), 'forbidden')
  assert.is(named('NodePodError', 'podsecurity'), 'forbidden')
  assert.is(named('NodePodError', 'unschedulable'), 'unreachable')
  assert.is(named('NodePodError', 'timeout'), 'timeout')
  assert.is(named('KubeError', 'forbidden'), 'forbidden')
  assert.is(named('KubeError', 'connection'), 'unreachable')
  assert.is(named('AbortError', ''), 'aborted')
  assert.is(classifyError(new TypeError('bug')).class, 'error')
  const f = classifyError(new ExecError('auth', { target: 'ssh:n' }, 'first line\nsecond', 'use a key'))
  assert.equal(f, { class: 'auth', message: 'first line', hint: 'use a key' })
})

test("classifyError: a non-zero exit carries no `{nothrow: true}` hint (a fleet never throws on one); a missing command's hint stays", () => {
  const run = { argv: ['sleep', '--bad'], target: 'ssh:lab-1', stdout: '', durationMs: 5, signal: null }
  const one = classifyError(exitError({ ...run, exitCode: 1, stderr: "sleep: unrecognized option '--bad'\n" }))
  assert.equal(one, {
    class: 'exit',
    message: "`sleep --bad` on ssh:lab-1 exited 1: sleep: unrecognized option '--bad'",
  })
  const missing = classifyError(exitError({ ...run, exitCode: 127, stderr: 'sh: 1: sleep: not found\n' }))
  assert.is(missing.hint, 'the command is not installed on ssh:lab-1')
})

test('classifyError: a node no transport reached keeps the class of the transport that was tried (an SSH timeout before a pod that was not allowed)', () => {
  const sshTimeout = new ExecError(
    'connect',
    { target: 'ssh:lab-ssh-81' },
    'timed out while waiting for the SSH banner of lab-ssh-81',
    'check that the node answers SSH',
  )
  const e = unreachable('lab-ssh-81', [
    {
      transport: 'ssh',
      outcome: 'failed',
      reason: 'timed out while waiting for the SSH banner of lab-ssh-81',
      cause: sshTimeout,
    },
    { transport: 'pod', outcome: 'consent', reason: 'not allowed: no terminal to ask on', hint: 'pass --yes' },
  ])
  const c = classifyError(e)
  assert.is(c.class, 'timeout')
  assert.is(
    c.message,
    'ssh: timed out while waiting for the SSH banner of lab-ssh-81; pod: not allowed: no terminal to ask on',
  )
  // nothing tried and failed: it stays unreachable
  assert.is(
    classifyError(
      unreachable('lab-2', [{ transport: 'ssh', outcome: 'not-configured', reason: 'no ssh config entry applies' }]),
    ).class,
    'unreachable',
  )
})

test('classifyError: a node no transport reached gets the class of the last transport tried and every reason on one line', async () => {
  const { unreachable } = await import('../../src/access/errors.ts')
  const { NodePodError } = await import('../../src/exec/nodepod/api.ts')
  const image = new NodePodError(
    'image',
    "the node pod's image x:1 cannot be pulled on lab-2: ErrImagePull",
    'check the image name',
  )
  const rbac = new NodePodError('rbac', 'user "u" may not create daemonsets', 'grant it')
  const late = new NodePodError('timeout', 'pod p on lab-2 was not Running after 60 s')
  const ssh = {
    transport: 'ssh' as const,
    outcome: 'not-configured' as const,
    reason: 'no ssh config entry, key or agent applies to lab-2',
  }
  const pod = (cause: unknown) => ({
    transport: 'pod' as const,
    outcome: 'failed' as const,
    reason: (cause as Error).message,
    hint: (cause as { hint?: string }).hint,
    cause,
  })
  assert.equal(classifyError(unreachable('lab-2', [ssh, pod(image)])), {
    class: 'unreachable',
    message:
      "ssh: no ssh config entry, key or agent applies to lab-2; pod: the node pod's image x:1 cannot be pulled on lab-2: ErrImagePull",
    hint: 'pod: check the image name',
  })
  assert.is(classifyError(unreachable('lab-2', [ssh, pod(rbac)])).class, 'forbidden')
  assert.is(classifyError(unreachable('lab-2', [pod(late)])).class, 'timeout')
  // refused consent (nothing was tried) stays unreachable, with the reason
  const consent = classifyError(
    unreachable('lab-2', [{ transport: 'pod', outcome: 'consent', reason: 'node pods declined' }]),
  )
  assert.equal([consent.class, consent.message], ['unreachable', 'pod: node pods declined'])
})

test.run()
