// The command line sent to a node (quoting, deadline, sudo), the pid announcement that lets an abort stop it, and the
// command that stops it: pure builders (test/exec/ssh.test.ts runs them against a real sshd).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fc from 'fast-check'
import { remoteCommand } from '../../../src/exec/ssh/exec.ts'
import { announcePid, killTree, posixLoginShell, takePid } from '../../../src/exec/ssh/stop.ts'

test('remoteCommand: POSIX quoting, timeout -k on the node, sudo -n -- in front', () => {
  assert.is(remoteCommand(['echo', "it's"], { timeoutMs: 1500 }), `timeout -k 2 2 echo 'it'\\''s'`)
  assert.is(remoteCommand(['id'], { timeoutMs: 30000, sudo: true }), 'sudo -n -- timeout -k 2 30 id')
})

test("the pid announcement: wrapped argv or the login shell's own line, found and removed from stderr wherever a login shell put it first", () => {
  assert.is(
    remoteCommand(['id'], { timeoutMs: 30000, sudo: true, announce: 'abc12' }),
    `sh -c 'echo "kinspect-pid:$0:$$:\${SHELL-}" >&2; exec "$@"' abc12 sudo -n -- timeout -k 2 30 id`,
  )
  for (const shell of ['/bin/bash', '/usr/bin/dash', '/bin/sh', '/usr/bin/zsh', '/bin/ksh'])
    assert.is(
      remoteCommand(['echo', 'a b'], { timeoutMs: 30000, announce: 'abc12', loginShell: shell }),
      `echo kinspect-pid:abc12:$$ >&2; exec timeout -k 2 30 echo 'a b'`,
      shell,
    )
  for (const shell of ['/usr/bin/fish', '/bin/tcsh', '/bin/csh', 'bash', '', '/usr/sbin/nologin'])
    assert.match(
      remoteCommand(['id'], { timeoutMs: 30000, announce: 'abc12', loginShell: shell }),
      /^sh -c /,
      `${JSON.stringify(shell)} is not taken for a POSIX login shell`,
    )
  assert.equal(takePid('kinspect-pid:abc12:4242:/bin/bash\nerr\n', 'abc12'), {
    pid: 4242,
    shell: '/bin/bash',
    rest: 'err\n',
  })
  assert.equal(takePid('kinspect-pid:abc12:4242:\n', 'abc12'), { pid: 4242, shell: '', rest: '' })
  assert.equal(takePid('kinspect-pid:abc12:4242\nerr\n', 'abc12'), { pid: 4242, rest: 'err\n' })
  assert.equal(takePid('rc noise\nkinspect-pid:abc12:77\nerr\n', 'abc12'), { pid: 77, rest: 'rc noise\nerr\n' })
  assert.equal(takePid('kinspect-pid:other:5\n', 'abc12'), { rest: 'kinspect-pid:other:5\n' })
  assert.equal(killTree(123, true).slice(0, 4), ['sudo', '-n', '--', 'sh'])
  assert.is(killTree(123).at(-1), '123')
  assert.throws(() => killTree(1), /pid must be a process id above 1/)
  assert.throws(() => announcePid(['x'], 'Bad Token'), /token must be/)
})

test('takePid: the announcement only as a whole line of its own, the first well-formed one', () => {
  assert.equal(takePid('xkinspect-pid:abc12:5\n', 'abc12'), { rest: 'xkinspect-pid:abc12:5\n' })
  assert.equal(takePid('kinspect-pid:abc12:5', 'abc12'), { rest: 'kinspect-pid:abc12:5' }, 'a line not yet ended')
  assert.equal(takePid('kinspect-pid:abc12:5x\nkinspect-pid:abc12:6\n', 'abc12'), {
    pid: 6,
    rest: 'kinspect-pid:abc12:5x\n',
  })
  assert.equal(takePid('kinspect-pid:abc12:\n', 'abc12'), { rest: 'kinspect-pid:abc12:\n' })
})

// The reference: the regular expression takePid was first written with.
function takePidReference(stderr: string, token: string): { pid?: number; shell?: string; rest: string } {
  const m = new RegExp(`(^|\\n)kinspect-pid:${token}:(\\d+)(?::([^\\n]*))?\\n`).exec(stderr)
  if (!m) return { rest: stderr }
  const rest = stderr.slice(0, m.index) + m[1] + stderr.slice(m.index + m[0].length)
  return m[3] === undefined ? { pid: Number(m[2]), rest } : { pid: Number(m[2]), shell: m[3], rest }
}

test('takePid agrees with its regular-expression reference on random stderr', () => {
  const piece = fc.constantFrom('kinspect-pid:', 'abc12', ':', '42', '7', '\n', 'x', '/bin/sh', 'other', ' ')
  fc.assert(
    fc.property(fc.array(piece, { maxLength: 14 }), (parts) => {
      const s = parts.join('')
      assert.equal(takePid(s, 'abc12'), takePidReference(s, 'abc12'), JSON.stringify(s))
    }),
    { numRuns: 3000 },
  )
})

test('posixLoginShell: only an absolute path to a shell that reads POSIX sh', () => {
  for (const s of ['/bin/sh', '/usr/bin/bash', '/bin/dash', '/usr/bin/zsh', '/usr/bin/mksh'])
    assert.ok(posixLoginShell(s), s)
  for (const s of [undefined, '', 'sh', '/usr/bin/fish', '/bin/tcsh', '/usr/sbin/nologin', '/usr/bin/git-shell'])
    assert.not.ok(posixLoginShell(s), String(s))
})

test.run()
