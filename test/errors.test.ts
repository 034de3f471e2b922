// src/errors.ts: received() (how a wrong value reads in a message) and the HintedError shape.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { inspect } from 'node:util'
import vm from 'node:vm'
import { HintedError, optionsProblem, received } from '../src/errors.ts'
import { ConfigError } from '../src/config.ts'
import { SshConfigError } from '../src/exec/ssh/sshconfig.ts'
import { ExecError } from '../src/exec/types.ts'
import { KubeError } from '../src/kube/errors.ts'
import { NameError } from '../src/names.ts'
import { NetError } from '../src/net/errors.ts'
import { SvcRulesError } from '../src/net/svc/errors.ts'
import { RecipeFormatError } from '../src/recipes/format.ts'
import { ParamError } from '../src/recipes/params.ts'
import { RecipeError } from '../src/recipes/report.ts'
import { ShellError, formatError } from '../src/repl/errors.ts'

test('received: strings quoted and clipped at 60 characters; the empty string shows as ""', () => {
  assert.is(received('web'), '"web"')
  assert.is(received(''), '""')
  assert.is(received('say "hi"\n'), '"say \\"hi\\"\\n"')
  assert.is(received('x'.repeat(60)), JSON.stringify('x'.repeat(60)))
  assert.is(received('x'.repeat(61)), JSON.stringify(`${'x'.repeat(60)}…`))
})

test('received: null, undefined, numbers, booleans, bigints, symbols, functions', () => {
  assert.is(received(null), 'null')
  assert.is(received(undefined), 'undefined')
  assert.is(received(42), 'number 42')
  assert.is(received(NaN), 'number NaN')
  assert.is(received(-0.5), 'number -0.5')
  assert.is(received(true), 'boolean true')
  assert.is(received(10n), 'bigint 10')
  assert.is(received(Symbol('x')), 'symbol Symbol(x)')
  assert.is(
    received(() => 1),
    'a function',
  )
  assert.is(received(class Foo {}), 'a function')
})

test('received: arrays by length, objects by class (also from another realm), null-prototype objects', () => {
  assert.is(received([]), 'an array of 0')
  assert.is(received(['a', 'b']), 'an array of 2')
  assert.is(received({ a: 1 }), 'Object')
  assert.is(received(new Map()), 'Map')
  assert.is(received(Object.create(null)), 'an object')
  assert.is(received(vm.runInNewContext('({ a: 1 })')), 'Object')
  assert.is(received(vm.runInNewContext('[1, 2, 3]')), 'an array of 3')
})

test('optionsProblem: an unknown key is named, with the option a typo most likely meant and every option', () => {
  const known = ['namespace', 'allNamespaces', 'fieldSelector', 'timeoutMs']
  assert.is(optionsProblem(undefined, known), undefined)
  assert.is(optionsProblem({}, known), undefined)
  assert.is(optionsProblem({ namespace: 'x', timeoutMs: undefined }, known), undefined)
  assert.is(
    optionsProblem({ namepsace: 'kube-system' }, known),
    'opts: unknown option "namepsace" (did you mean namespace?); the options are namespace, allNamespaces, fieldSelector, timeoutMs',
  )
  assert.match(optionsProblem({ allnamespaces: true }, known)!, '(did you mean allNamespaces?)')
  assert.match(optionsProblem({ timeout: 5 }, known)!, '(did you mean timeoutMs?)')
  // nothing close: no guess
  assert.is(
    optionsProblem({ colour: true }, ['ifname'], 'options'),
    'options: unknown option "colour"; the options are ifname',
  )
  assert.is(
    optionsProblem('kube-system', known),
    'opts: expected an object of options (namespace, allNamespaces, fieldSelector, timeoutMs), received "kube-system"',
  )
  assert.match(optionsProblem(null, known)!, 'received null')
  assert.match(optionsProblem([1], known)!, 'received an array of 1')
  // an object typed at the REPL comes from another realm
  assert.match(optionsProblem(vm.runInNewContext('({ namespce: "a" })'), known)!, 'did you mean namespace?')
})

test('HintedError: kind, message, hint, cause; prints as "Name [kind] message" and the hint, without a stack', () => {
  class DemoError extends HintedError<'invalid'> {
    override name = 'DemoError'
  }
  const cause = new Error('inner')
  const e = new DemoError('invalid', 'size: expected a number, received "x"', 'e.g. 3', cause)
  assert.equal(
    [e.kind, e.message, e.hint, e.cause],
    ['invalid', 'size: expected a number, received "x"', 'e.g. 3', cause],
  )
  assert.ok(e instanceof HintedError && e instanceof Error)
  assert.is(inspect(e), 'DemoError [invalid] size: expected a number, received "x"\n  hint: e.g. 3')
  assert.is(inspect(new DemoError('invalid', 'no hint')), 'DemoError [invalid] no hint')
  assert.not.ok('cause' in new DemoError('invalid', 'no cause'))
})

test('one family: every error class is a HintedError with its kind, message, hint and its own fields', () => {
  const exec = new ExecError(
    'exit',
    { target: 'ssh:lab-1', argv: ['false'], exitCode: 1 },
    '`false` on ssh:lab-1 exited 1',
    'pass {nothrow: true}',
  )
  const kube = new KubeError('notfound', 'pod "x" not found', 'pods() to list', undefined, {
    status: 404,
    path: '/api/v1/namespaces/shop/pods/x',
  })
  const config = new ConfigError(
    'invalid',
    '/x/.recipes',
    '/x/.recipes:3: contxt: expected one of the keys',
    'see .recipes.example',
    'contxt',
    3,
  )
  const ssh = new SshConfigError('/c:2: StrictHostKeyChecking: expected yes, no, ask or accept-new, received maybe')
  const param = new ParamError(
    'parameter tail (int): expected a whole number, received "ten"',
    'usage: kinspect run t [--tail 20]',
    ['tail'],
  )
  const format = new RecipeFormatError('/r/t.md', 7, 'name: expected "t"')
  const all = [
    exec,
    kube,
    config,
    ssh,
    param,
    format,
    new NetError('invalid', 'n'),
    new SvcRulesError('parse', 's'),
    new RecipeError('usage', 'r'),
    new ShellError('usage', 'u'),
    new NameError('invalid', 'x'),
  ]
  for (const e of all) {
    assert.ok(e instanceof HintedError && e instanceof Error, e.name)
    assert.ok('hint' in e, `${e.name} is an expected failure (printed without a stack)`)
    assert.is(inspect(e).split('\n')[0], `${e.name} [${e.kind}] ${e.message}`)
  }
  assert.equal(
    [exec.kind, exec.target, exec.argv, exec.exitCode, exec.stdout, exec.hint],
    ['exit', 'ssh:lab-1', ['false'], 1, '', 'pass {nothrow: true}'],
  )
  assert.equal([kube.status, kube.path, 'server' in kube], [404, '/api/v1/namespaces/shop/pods/x', false])
  assert.equal([config.kind, config.file, config.keyPath, config.line], ['invalid', '/x/.recipes', 'contxt', 3])
  assert.equal(
    [param.kind, param.params, format.kind, format.message, format.hint],
    ['usage', ['tail'], 'invalid', '/r/t.md:7: name: expected "t"', 'docs/recipes.md describes the format'],
  )
  assert.is(
    formatError(param),
    'error: parameter tail (int): expected a whole number, received "ten"\nhint: usage: kinspect run t [--tail 20]\n',
  )
})

test.run()
