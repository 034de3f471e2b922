import { test } from 'uvu'
import * as assert from 'uvu/assert'
import vm from 'node:vm'
import { formatError, ShellError, isExpected } from '../../src/repl/errors.ts'
import { ExecError } from '../../src/exec/index.ts'
import { KubeError } from '../../src/kube/index.ts'
import { ConfigError } from '../../src/config.ts'
import { historyPath, historyWorthy, loadHistory } from '../../src/repl/history.ts'

test('errors with a hint print as error: + hint:, no stack (ExecError, KubeError, ConfigError, ShellError)', () => {
  const errs = [
    new ExecError(
      'exit',
      { target: 'ssh:lab-1', argv: ['false'] },
      '`false` on ssh:lab-1 exited 1',
      'pass {nothrow: true}',
    ),
    new KubeError('connection', 'connection refused by https://10.99.0.1:6443', 'the API server is not running'),
    new ConfigError(
      'invalid',
      '/x/.recipes',
      '/x/.recipes:3: contxt: expected one of the keys …',
      'see .recipes.example',
    ),
    new ShellError('unavailable', 'recipes are not available', 'later'),
  ]
  for (const e of errs) {
    assert.ok(isExpected(e))
    const text = formatError(e)
    assert.is(text, `error: ${e.message}\nhint: ${e.hint}\n`)
  }
  assert.is(formatError(new ShellError('usage', 'no hint here')), 'error: no hint here\n')
})

test('unexpected errors: message and at most 4 frames; errors from a vm context count as errors', () => {
  const text = formatError(new TypeError('boom'))
  assert.match(text, /^error: TypeError: boom\n/)
  const frames = text.split('\n').filter((l) => l.startsWith('    at '))
  assert.ok(frames.length >= 1 && frames.length <= 4)
  const foreign = vm.runInNewContext('new RangeError("far")')
  assert.match(formatError(foreign), /^error: RangeError: far\n/)
  assert.is(formatError('a string'), "error: thrown 'a string'\n")
})

test("an error in code typed at the shell: the user's frames and what they called, not the shell that ran them", () => {
  const e = Object.assign(new Error('x'), {
    name: 'ReferenceError',
    message: 'conntrack is not defined',
    stack: [
      'ReferenceError: conntrack is not defined',
      '    at helper (/work/main/dist/cli.cjs:120:3)',
      '    at REPL3:1:40',
      '    at REPL:3:4',
      '    at Object.bound [as evaluator] (/work/main/dist/cli.cjs:25069:51)',
      '    at /work/main/dist/cli.cjs:26873:9',
    ].join('\n'),
  })
  assert.is(
    formatError(e),
    'error: ReferenceError: conntrack is not defined\n    at helper (/work/main/dist/cli.cjs:120:3)\n    at REPL3:1:40\n    at REPL:3:4\n',
  )
})

test('colour only when asked', () => {
  assert.match(formatError(new ShellError('usage', 'x', 'y'), true), '\u001b[31merror: x\u001b[39m')
  assert.not.match(formatError(new ShellError('usage', 'x', 'y'), false), '\u001b[')
})

test('history file: KINSPECT_HISTORY overrides ~/.kinspect_history; secrets never qualify', () => {
  assert.is(historyPath({ KINSPECT_HISTORY: '/tmp/h' }, '/home/u'), '/tmp/h')
  assert.is(historyPath({}, '/home/u'), '/home/u/.kinspect_history')
  assert.ok(historyWorthy('(await pods()).length'))
  assert.not.ok(historyWorthy('   '))
  assert.not.ok(historyWorthy('$`mysql -psecret`'))
  assert.not.ok(historyWorthy("const h = {Authorization: 'Bearer abcdefghijkl'}"))
  assert.equal(loadHistory('/nonexistent/history'), [])
})

test.run()
