// NodeAccessExec over fake SSH and pod sides: the choice on the first command, kept for the session; one error listing
// each transport when none works; a lost SSH connection does not switch; the session's signal reaches every run.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { NodeAccessExec, type ChooserDeps, type PodSide, type SshSide } from '../../src/access/chooser.ts'
import { NodeAccessError } from '../../src/access/errors.ts'
import { nodeAccessFor } from '../../src/config-access.ts'
import { ExecError, ExecOutput, type Exec, type RunOptions } from '../../src/exec/types.ts'
import { NodeHandle } from '../../src/exec/node.ts'
import type { ResolvedHost } from '../../src/exec/ssh/sshconfig-types.ts'

/** An Exec that records runs (with their signal) and answers through `answer`. */
function recorder(
  target: string,
  answer: (argv: readonly string[], o: RunOptions) => Promise<ExecOutput> | ExecOutput = (argv) =>
    new ExecOutput({ target, argv: [...argv], exitCode: 0, stdout: `${target}\n`, stderr: '', durationMs: 1 }),
) {
  const runs: { argv: string[]; signal?: AbortSignal }[] = []
  const exec: Exec = {
    target,
    run: async (argv, o = {}) => (runs.push({ argv: [...argv], signal: o.signal }), answer(argv, o)),
  }
  return { exec, runs }
}

function sides(o: { applies?: boolean; connect?: () => Promise<void>; ensure?: () => Promise<unknown> } = {}) {
  const log: string[] = []
  const ssh = recorder('ssh:lab-2')
  const pod = recorder('pod:lab-2')
  const sshSide: SshSide = {
    resolve: async (node) =>
      (log.push(`resolve ${node}`),
      {
        name: node,
        hostName: o.applies === false ? node : '10.99.0.2',
        identityFiles: [],
        identityFilesExplicit: false,
        identitiesOnly: false,
        proxyJump: [],
      }) as unknown as ResolvedHost,
    connect: async (node) => (log.push(`connect ${node}`), o.connect?.()),
    exec: () => ssh.exec,
  }
  const podSide: PodSide = { ensure: async (node) => (log.push(`ensure ${node}`), o.ensure?.()), exec: () => pod.exec }
  return { log, ssh, pod, sshSide, podSide }
}

function chooser(
  s: ReturnType<typeof sides>,
  rules: Parameters<typeof nodeAccessFor>[0] = [],
  extra: Partial<ChooserDeps> = {},
): NodeAccessExec {
  return new NodeAccessExec({
    node: 'lab-2',
    settings: nodeAccessFor(rules, 'lab-2'),
    rule: false,
    env: {},
    ssh: () => s.sshSide,
    pods: () => s.podSide,
    signal: () => undefined,
    facts: async (host, rule) => ({ rule, host, keys: [] }),
    ...extra,
  })
}

test('SSH applies and connects: chosen once, kept; via and target tell it; the pod is never tried', async () => {
  const s = sides()
  const e = chooser(s)
  const h = new NodeHandle(e)
  assert.equal([h.via, h.target], [undefined, 'node:lab-2'])
  await Promise.all([h.$`uname -r`, h.$`true`])
  await h.$`id`
  assert.equal([h.via, h.target, h.sudo.via], ['ssh', 'ssh:lab-2', 'ssh'])
  assert.equal(s.log, ['resolve lab-2', 'connect lab-2'])
  assert.equal(
    s.ssh.runs.map((r) => r.argv[0]),
    ['uname', 'true', 'id'],
  )
  assert.equal(e.skipped, [])
})

test('SSH does not apply: the pod is used, and why SSH was skipped is kept', async () => {
  const s = sides({ applies: false })
  const e = chooser(s)
  await e.run(['true'])
  assert.is(e.via, 'pod')
  assert.equal(s.log, ['resolve lab-2', 'ensure lab-2'])
  assert.equal(
    e.skipped.map((a) => [a.transport, a.outcome, a.reason]),
    [['ssh', 'not-configured', 'no ssh config entry, key or agent applies to lab-2']],
  )
})

test('SSH applies but does not connect: the pod; with transports [pod, ssh] the pod comes first', async () => {
  const s = sides({
    connect: async () =>
      Promise.reject(
        new ExecError(
          'connect',
          { target: 'ssh:lab-2' },
          'cannot connect to lab-2 (10.99.0.2:2222): connect ECONNREFUSED',
          'is sshd running?',
        ),
      ),
  })
  const e = chooser(s)
  await e.run(['true'])
  assert.is(e.via, 'pod')
  assert.equal(
    e.skipped.map((a) => [a.transport, a.outcome]),
    [['ssh', 'failed']],
  )
  const first = sides()
  const p = chooser(first, [{ match: '*', transports: ['pod', 'ssh'] }])
  await p.run(['true'])
  assert.equal([p.via, first.log], ['pod', ['ensure lab-2']])
})

test('none works: one error, one line per transport, with each hint; nothing is cached, the next command tries again', async () => {
  const s = sides({
    connect: async () =>
      Promise.reject(
        new ExecError(
          'connect',
          { target: 'ssh:lab-2' },
          'cannot connect to lab-2 (10.99.0.2:2222): connect ECONNREFUSED',
          'is sshd running there?',
        ),
      ),
    ensure: async () =>
      Promise.reject(
        new NodeAccessError(
          'consent',
          'creating a privileged node pod on lab-2 needs consent, and there is no terminal to ask on',
          'pass --yes',
          undefined,
          'lab-2',
        ),
      ),
  })
  const e = chooser(s)
  const err = await e.run(['true']).then(
    () => undefined,
    (x) => x,
  )
  assert.instance(err, NodeAccessError)
  assert.is(err.kind, 'consent')
  assert.is(err.notSeen, true)
  assert.is(
    err.message,
    'no transport reaches node lab-2 (tried ssh, pod):\nssh: cannot connect to lab-2 (10.99.0.2:2222): connect ECONNREFUSED\npod: creating a privileged node pod on lab-2 needs consent, and there is no terminal to ask on',
  )
  assert.is(err.hint, 'ssh: is sshd running there?; pod: pass --yes')
  assert.equal(
    err.attempts.map((a: { transport: string; outcome: string }) => `${a.transport} ${a.outcome}`),
    ['ssh failed', 'pod consent'],
  )
  assert.is(e.via, undefined)
  await e.run(['true']).catch(() => {})
  assert.is(s.log.filter((l) => l.startsWith('connect')).length, 2)
  // pods: never and ssh not applying: unreachable, both lines say why
  const never = chooser(sides({ applies: false }), [{ match: '*', pods: 'never' }])
  const n = await never.run(['true']).then(
    () => undefined,
    (x) => x,
  )
  assert.is(n.kind, 'unreachable')
  assert.match(
    n.message,
    /\nssh: no ssh config entry, key or agent applies to lab-2\npod: nodeAccess pods is never for lab-2$/,
  )
})

test('a lost SSH connection after the choice is an SSH error, not a silent switch to a pod', async () => {
  let lost = false
  const s = sides()
  s.sshSide.exec = () => ({
    target: 'ssh:lab-2',
    run: async (argv) =>
      lost
        ? Promise.reject(
            new ExecError('connect', { target: 'ssh:lab-2', argv: [...argv] }, 'connection to lab-2 was lost'),
          )
        : new ExecOutput({ target: 'ssh:lab-2', argv: [...argv], exitCode: 0, stdout: '', stderr: '', durationMs: 1 }),
  })
  const e = chooser(s)
  await e.run(['true'])
  lost = true
  const err = await e.run(['true']).then(
    () => undefined,
    (x) => x,
  )
  assert.instance(err, ExecError)
  assert.is(err.message, 'connection to lab-2 was lost')
  assert.is(e.via, 'ssh')
  assert.not.ok(s.log.includes('ensure lab-2'))
})

test("every run gets the session's signal unless it passed its own; an abort while choosing is an aborted ExecError", async () => {
  const session = new AbortController()
  const s = sides()
  const e = chooser(s, [], { signal: () => session.signal })
  await e.run(['a'])
  const own = new AbortController()
  await e.run(['b'], { signal: own.signal })
  assert.is(s.ssh.runs[0].signal, session.signal)
  assert.is(s.ssh.runs[1].signal, own.signal)
  // a choice that hangs (a slow pod start) is left at once on abort
  const slow = sides({ applies: false, ensure: () => new Promise(() => {}) })
  const ac = new AbortController()
  const p = chooser(slow).run(['sleep', '9'], { signal: ac.signal })
  setTimeout(() => ac.abort(), 20)
  const err = await p.then(
    () => undefined,
    (x) => x,
  )
  assert.instance(err, ExecError)
  assert.is(err.kind, 'aborted')
  assert.equal(err.argv, ['sleep', '9'])
})

test('settle() waits for aborted commands to stop their remote process (so shutdown does not close the connection under the kill), bounded', async () => {
  const s = sides()
  // An aborted run that needs 150 ms more to stop its remote process, as SshExec's kill through a second channel does.
  s.sshSide.exec = () => ({
    target: 'ssh:lab-2',
    run: (_argv, o) =>
      new Promise((_, reject) =>
        o?.signal?.addEventListener('abort', () => setTimeout(() => reject(new Error('aborted')), 150)),
      ),
  })
  const session = new AbortController()
  const e = chooser(s, [], { signal: () => session.signal })
  const running = e.run(['sleep', '9']).catch(() => 'stopped')
  await new Promise((r) => setTimeout(r, 20))
  session.abort()
  const t0 = Date.now()
  await e.settle(5000)
  assert.ok(Date.now() - t0 >= 120, `settled after ${Date.now() - t0} ms, before the remote stop`)
  assert.is(await running, 'stopped')
  const stuck = chooser(sides(), [], { signal: () => undefined })
  stuck.deps.ssh().exec = () => ({ target: 'ssh:lab-2', run: () => new Promise(() => {}) })
  void stuck.run(['x'])
  const t1 = Date.now()
  await stuck.settle(100)
  assert.ok(Date.now() - t1 < 1000)
  await chooser(sides()).settle(10) // nothing running
})

test.run()
