// "Could not see" against "failed" (src/notseen.ts) on the errors node access raises, and unreachable()'s one-line-per-transport error.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { NodeAccessError, unreachable } from '../../src/access/errors.ts'
import { couldNotSee as notSeen } from '../../src/notseen.ts'
import { ExecError } from '../../src/exec/types.ts'
import { KubeError } from '../../src/kube/errors.ts'
import { NetError } from '../../src/net/errors.ts'
import { NodePodError } from '../../src/exec/nodepod/api.ts'

test('not seen: no transport, a transport that could not connect, the API refusing or unreachable; with the remedy', () => {
  const none = unreachable('lab-2', [
    {
      transport: 'ssh',
      outcome: 'not-configured',
      reason: 'no ssh config entry, key or agent applies to lab-2',
      hint: 'add a Host entry',
    },
  ])
  assert.equal(notSeen(none), {
    kind: 'unreachable',
    reason: 'no transport reaches node lab-2 (tried ssh):\nssh: no ssh config entry, key or agent applies to lab-2',
    configure: 'ssh: add a Host entry',
  })
  assert.ok(
    notSeen(
      new ExecError('auth', { target: 'ssh:lab-1' }, 'authentication as root to lab-1 failed', 'authorize a key'),
    ),
  )
  assert.ok(notSeen(new ExecError('connect', { target: 'pod:lab-1' }, 'no node pod on lab-1: …')))
  assert.ok(
    notSeen(new KubeError('forbidden', 'pods is forbidden: User "v" cannot list resource "pods"', 'ask for list pods')),
  )
  assert.ok(notSeen(new KubeError('connection', 'connect ETIMEDOUT 10.99.0.1:6443')))
  assert.ok(notSeen(new NetError('unreachable', 'node lab-1 (where shop/client runs) is unreachable: …')))
  assert.ok(notSeen(new NodePodError('podsecurity', 'PodSecurity "baseline" rejects the node pod')))
  assert.ok(notSeen(new NodeAccessError('consent', 'node pods declined', 'pass --yes', undefined, 'lab-1')))
})

test('a command that hit its deadline on the node did not finish looking: NOT SEEN (timeout), not a finding', () => {
  assert.is(notSeen(new ExecError('timeout', { target: 'ssh:lab-1', exitCode: 124 }, 'timed out'))?.kind, 'timeout')
})

test('seen: a command that ran and failed, a missing object, bugs and bad input', () => {
  assert.is(
    notSeen(new ExecError('exit', { target: 'ssh:lab-1', exitCode: 1 }, '`false` on ssh:lab-1 exited 1')),
    undefined,
  )
  assert.is(notSeen(new KubeError('notfound', 'pod "x" not found')), undefined)
  assert.is(notSeen(new NetError('nopid', 'no process of the pod')), undefined)
  assert.is(notSeen(new NodePodError('invalid', 'bad option')), undefined)
  assert.is(notSeen(new TypeError('x is not a function')), undefined)
  assert.is(notSeen(undefined), undefined)
  assert.is(notSeen('a string'), undefined)
})

test.run()
