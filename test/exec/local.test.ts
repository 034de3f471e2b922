// LocalExec: argv without a shell, exit codes, stdin, deadlines that kill the process group, abort, sudo.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawnSync } from 'node:child_process'
import { LocalExec, sudoArgv } from '../../src/exec/local.ts'
import { ExecError, ExecOutput } from '../../src/exec/types.ts'

const local = new LocalExec({ killGraceMs: 500 })

async function rejects(p: Promise<unknown>): Promise<ExecError> {
  try {
    await p
  } catch (e) {
    assert.instance(e, ExecError)
    return e as ExecError
  }
  throw new assert.Assertion({
    message: 'expected the command to fail',
    generated: false,
    operator: 'rejects',
    expects: 'ExecError',
    actual: 'success',
  })
}

const alive = (pattern: string) => spawnSync('pgrep', ['-f', pattern]).status === 0

test('runs argv directly: no shell expansion of arguments', async () => {
  const out = await local.run(['printf', '%s|', '$HOME', '*', "a' ; echo INJECTED #", ''])
  assert.instance(out, ExecOutput)
  assert.is(out.stdout, "$HOME|*|a' ; echo INJECTED #||")
  assert.is(out.exitCode, 0)
  assert.is(out.target, 'local')
  assert.equal(out.argv, ['printf', '%s|', '$HOME', '*', "a' ; echo INJECTED #", ''])
})

test('non-zero exit throws ExecError kind exit with stdout, stderr and code; nothrow returns it', async () => {
  const e = await rejects(local.run(['sh', '-c', 'echo out; echo err >&2; exit 3']))
  assert.is(e.kind, 'exit')
  assert.is(e.exitCode, 3)
  assert.is(e.stdout, 'out\n')
  assert.is(e.stderr, 'err\n')
  assert.match(e.message, /exited 3: err/)
  const r = await local.run(['sh', '-c', 'exit 5'], { nothrow: true })
  assert.is(r.exitCode, 5)
  assert.is(r.ok, false)
})

test('input goes to stdin; without input stdin is empty, not inherited', async () => {
  assert.is((await local.run(['cat'], { input: 'héllo\n' })).stdout, 'héllo\n')
  assert.is((await local.run(['cat'], { timeoutMs: 5000 })).stdout, '')
})

test('deadline: kills the whole process group, exit 124, kind timeout', async () => {
  const t0 = Date.now()
  const e = await rejects(local.run(['sh', '-c', 'sleep 41.31 & sleep 41.32; wait'], { timeoutMs: 400 }))
  assert.is(e.kind, 'timeout')
  assert.is(e.exitCode, 124)
  assert.ok(Date.now() - t0 < 3000, 'returned soon after the deadline')
  await new Promise((r) => setTimeout(r, 200))
  assert.not.ok(alive('^sleep 41.31$'), 'background child of the command was killed too')
  assert.not.ok(alive('^sleep 41.32$'))
  const r = await local.run(['sleep', '5'], { timeoutMs: 200, nothrow: true })
  assert.is(r.exitCode, 124)
})

test('SIGKILL follows when SIGTERM is ignored', async () => {
  const t0 = Date.now()
  const e = await rejects(local.run(['sh', '-c', 'trap "" TERM; sleep 41.33'], { timeoutMs: 300 }))
  assert.is(e.kind, 'timeout')
  assert.ok(Date.now() - t0 < 3000)
  await new Promise((r) => setTimeout(r, 300))
  assert.not.ok(alive('^sleep 41.33$'))
})

test('abort signal stops the command with kind aborted', async () => {
  const ac = new AbortController()
  setTimeout(() => ac.abort(), 150)
  const e = await rejects(local.run(['sleep', '5'], { signal: ac.signal }))
  assert.is(e.kind, 'aborted')
  const pre = await rejects(local.run(['true'], { signal: AbortSignal.abort() }))
  assert.is(pre.kind, 'aborted')
})

test('a missing command is kind spawn with exit 127; nothrow returns 127', async () => {
  const e = await rejects(local.run(['kinspect-no-such-cmd', 'x']))
  assert.is(e.kind, 'spawn')
  assert.is(e.exitCode, 127)
  assert.match(e.message, /kinspect-no-such-cmd.*command not found/)
  const r = await local.run(['kinspect-no-such-cmd'], { nothrow: true })
  assert.is(r.exitCode, 127)
})

test('bad input is rejected before anything runs, naming the argument', async () => {
  assert.match((await rejects(local.run([]))).message, /argv: expected a non-empty array/)
  assert.match(
    (await rejects(local.run(['echo', 1 as unknown as string]))).message,
    /argv\[1\]: expected a string, received number 1/,
  )
  assert.match((await rejects(local.run(['echo', 'a\0b']))).message, /argv\[1\].*NUL/)
  assert.match((await rejects(local.run(['true'], { timeoutMs: -1 }))).message, /timeoutMs: expected a positive number/)
  assert.is((await rejects(local.run(['true'], { timeoutMs: 0 }))).kind, 'invalid')
})

test('sudo: prefixes sudo -n -- unless already root', async () => {
  assert.equal(sudoArgv(['id'], true, false), ['sudo', '-n', '--', 'id'])
  assert.equal(sudoArgv(['id'], true, true), ['id'])
  assert.equal(sudoArgv(['id'], false, false), ['id'])
  if (process.getuid?.() === 0) assert.is((await local.run(['id', '-u'], { sudo: true })).text(), '0')
})

test('output helpers: text, lines, json; a JSON error names the command', async () => {
  const r = await local.run(['printf', 'a\n\nb\n'])
  assert.is(r.text(), 'a\n\nb')
  assert.equal(r.lines(), ['a', 'b'])
  assert.equal((await local.run(['echo', '{"x":[1]}'])).json(), { x: [1] })
  try {
    ;(await local.run(['echo', 'nope'])).json()
    assert.unreachable('json() should throw')
  } catch (e) {
    assert.instance(e, ExecError)
    assert.is((e as ExecError).kind, 'parse')
    assert.match((e as ExecError).message, /echo nope/)
  }
})

test.run()
